//! Queues: create, metadata get/patch, delete, list, stats, purge.
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::body;
use super::context::{queue_name, RequestContext};
use super::params::Params;
use super::state::AppState;
use crate::clock::iso8601;
use crate::domain::limits::{DEFAULT_PER_PAGE, MAX_PER_PAGE, MAX_QUEUE_METADATA};
use crate::domain::queue_metadata;
use crate::error::{ApiError, ApiResult};
use crate::store;

pub const JSON_PATCH_TYPE: &str = "application/openstack-messaging-v2.0-json-patch";

fn metadata_too_large() -> ApiError {
    ApiError::invalid(format!(
        "Queue metadata is too large. Max size: {MAX_QUEUE_METADATA}"
    ))
}

#[tracing::instrument(skip_all, fields(queue = %path))]
pub async fn create(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let name = queue_name(&path)?;
    let raw = body::read(
        &req,
        payload,
        MAX_QUEUE_METADATA as usize,
        metadata_too_large,
    )
    .await?;
    let metadata = match body::parse_json(&raw)? {
        None => Map::new(),
        Some(v) => body::expect_object(v)?,
    };
    queue_metadata::validate(&metadata).map_err(ApiError::invalid)?;
    let created =
        store::queues::create_if_absent(&state.db, &ctx.project, &name, &metadata, state.now())
            .await?;
    if created {
        state.metadata.invalidate(&ctx.project, &name);
    }
    let status = if created {
        actix_web::http::StatusCode::CREATED
    } else {
        actix_web::http::StatusCode::NO_CONTENT
    };
    Ok(HttpResponse::build(status)
        .insert_header((header::LOCATION, req.path().to_string()))
        .finish())
}

pub async fn get(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let name = queue_name(&path)?;
    let stored = store::queues::metadata(&state.db, &ctx.project, &name).await?;
    Ok(HttpResponse::Ok().json(queue_metadata::with_defaults(&stored)))
}

#[tracing::instrument(skip_all, fields(queue = %path))]
pub async fn patch(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let name = queue_name(&path)?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.split(';').next().unwrap_or("").trim() != JSON_PATCH_TYPE {
        return Err(ApiError::unsupported_media_type(format!(
            "Accepted media type for PATCH: {JSON_PATCH_TYPE}."
        )));
    }
    let raw = body::read(
        &req,
        payload,
        MAX_QUEUE_METADATA as usize,
        metadata_too_large,
    )
    .await?;
    let changes = body::parse_json(&raw)?
        .ok_or_else(|| ApiError::bad_body("PATCH body could not be empty for update."))?;
    let changes = parse_patch(changes).map_err(ApiError::bad_body)?;

    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    let queue = store::queues::get(&txn, &ctx.project, &name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("Queue {name} does not exist.")))?;
    let mut metadata = store::queues::parse_metadata(&queue.metadata);
    for change in changes {
        apply_change(&mut metadata, change)?;
    }
    queue_metadata::validate(&metadata).map_err(ApiError::bad_body)?;
    if serde_json::to_vec(&metadata)
        .map(|v| v.len() as u64)
        .unwrap_or(0)
        > MAX_QUEUE_METADATA
    {
        return Err(metadata_too_large());
    }
    store::queues::set_metadata(&txn, queue.id, &metadata).await?;
    txn.commit().await?;
    state.metadata.invalidate(&ctx.project, &name);
    Ok(HttpResponse::Ok().json(queue_metadata::with_defaults(&metadata)))
}

#[derive(Debug)]
enum PatchOp {
    Add(String, Value),
    Replace(String, Value),
    Remove(String),
}

/// Validates a json-patch document as Zaqar's `queue_patching` does.
fn parse_patch(doc: Value) -> Result<Vec<PatchOp>, String> {
    let Value::Array(items) = doc else {
        return Err("Request body must be a JSON array of operation objects.".into());
    };
    let mut ops = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(mut change) = item else {
            return Err("Operations must be JSON objects.".into());
        };
        let op = change
            .get("op")
            .and_then(Value::as_str)
            .ok_or("Missing op field.")?
            .to_string();
        if !matches!(op.as_str(), "add" | "replace" | "remove") {
            return Err(format!("Invalid operation: `{op}`."));
        }
        let path = change
            .get("path")
            .and_then(Value::as_str)
            .ok_or("Missing path field.")?;
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        if !path.starts_with('/')
            || segments.len() != 2
            || segments[0] != "metadata"
            || segments[1].is_empty()
        {
            return Err(format!(
                "Invalid JSON pointer for this resource: '{path}, e.g. /metadata/key'"
            ));
        }
        let key = segments[1].replace("~1", "/").replace("~0", "~");
        ops.push(match op.as_str() {
            "remove" => PatchOp::Remove(key),
            _ => {
                let value = change
                    .remove("value")
                    .ok_or_else(|| format!("Missing value field for {op}."))?;
                if op == "add" {
                    PatchOp::Add(key, value)
                } else {
                    PatchOp::Replace(key, value)
                }
            }
        });
    }
    Ok(ops)
}

fn apply_change(metadata: &mut Map<String, Value>, change: PatchOp) -> ApiResult<()> {
    match change {
        PatchOp::Add(key, value) => {
            metadata.insert(key, value);
        }
        PatchOp::Replace(key, value) => {
            if !metadata.contains_key(&key) && !queue_metadata::is_reserved(&key) {
                return Err(ApiError::conflict(format!(
                    "Can't replace non-existent object {key}."
                )));
            }
            metadata.insert(key, value);
        }
        PatchOp::Remove(key) => {
            if metadata.remove(&key).is_none() && !queue_metadata::is_reserved(&key) {
                return Err(ApiError::conflict(format!(
                    "Can't remove non-existent object {key}."
                )));
            }
        }
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(queue = %path))]
pub async fn delete(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let name = queue_name(&path)?;
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    store::messages::delete_all(&txn, &ctx.project, &name).await?;
    store::claims::delete_all(&txn, &ctx.project, &name).await?;
    store::queues::delete(&txn, &ctx.project, &name).await?;
    txn.commit().await?;
    state.metadata.invalidate(&ctx.project, &name);
    Ok(HttpResponse::NoContent().finish())
}

const LIST_PARAMS: [&str; 5] = ["limit", "marker", "detailed", "name", "with_count"];

pub async fn list(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let params = Params::parse(req.query_string());
    let limit = params.limit(DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
    let detailed = params.bool("detailed")?.unwrap_or(false);
    let with_count = params.bool("with_count")?.unwrap_or(false);
    let name = params.str("name");
    let filters: Vec<(&str, Value)> = params
        .others(&LIST_PARAMS)
        .map(|(k, v)| (k, filter_value(v)))
        .collect();

    // Metadata filters cannot be pushed into SQL portably, so read pages
    // until `limit` queues match or the project runs out.
    let mut marker = params.str("marker").map(String::from);
    let mut page = Vec::new();
    'pages: loop {
        let batch =
            store::queues::list_page(&state.db, &ctx.project, marker.as_deref(), name, 100).await?;
        let exhausted = batch.len() < 100;
        for q in batch {
            marker = Some(q.name.clone());
            let metadata = store::queues::parse_metadata(&q.metadata);
            if filters.iter().all(|(k, v)| metadata.get(*k) == Some(v)) {
                page.push((q.name, metadata));
                if page.len() as i64 == limit {
                    break 'pages;
                }
            }
        }
        if exhausted {
            break;
        }
    }

    let queues: Vec<Value> = page
        .iter()
        .map(|(name, metadata)| {
            let mut item = json!({"name": name, "href": format!("/v2/queues/{name}")});
            if detailed {
                item["metadata"] = Value::Object(queue_metadata::with_defaults(metadata));
            }
            item
        })
        .collect();
    let links = match page.last() {
        None => json!([]),
        Some((last, _)) => {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            query
                .append_pair("marker", last)
                .append_pair("limit", &limit.to_string());
            if detailed {
                query.append_pair("detailed", "true");
            }
            if with_count {
                query.append_pair("with_count", "true");
            }
            if let Some(name) = name {
                query.append_pair("name", name);
            }
            for (k, v) in params.others(&LIST_PARAMS) {
                query.append_pair(k, v);
            }
            json!([{"rel": "next", "href": format!("/v2/queues?{}", query.finish())}])
        }
    };
    let mut out = json!({"queues": queues, "links": links});
    if with_count {
        let count = store::queues::count(&state.db, &ctx.project).await?;
        if count > 0 {
            out["count"] = json!(count);
        }
    }
    Ok(HttpResponse::Ok().json(out))
}

/// Query values are strings; Zaqar converts them to integers when it can.
fn filter_value(raw: &str) -> Value {
    raw.parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::String(raw.to_string()))
}

pub async fn stats(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let name = queue_name(&path)?;
    let now = state.now();
    let stats = store::messages::stats(&state.db, &ctx.project, &name, now).await?;
    let mut messages = json!({
        "claimed": stats.claimed,
        "free": stats.total - stats.claimed,
        "total": stats.total,
    });
    let describe = |m: &store::entities::message::Model| {
        json!({
            "href": format!("/v2/queues/{name}/messages/{}", m.id),
            "age": (now - m.created_at).max(0) / 1000,
            "created": iso8601(m.created_at),
        })
    };
    if let (Some(oldest), Some(newest)) = (&stats.oldest, &stats.newest) {
        messages["oldest"] = describe(oldest);
        messages["newest"] = describe(newest);
    }
    Ok(HttpResponse::Ok().json(json!({"messages": messages})))
}

const PURGEABLE: [&str; 2] = ["messages", "subscriptions"];

#[tracing::instrument(skip_all, fields(queue = %path))]
pub async fn purge(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let name = queue_name(&path)?;
    let raw = body::read(
        &req,
        payload,
        MAX_QUEUE_METADATA as usize,
        metadata_too_large,
    )
    .await?;
    let types: Vec<String> = match body::parse_json(&raw)? {
        None => PURGEABLE.iter().map(|s| s.to_string()).collect(),
        Some(v) => {
            let doc = body::expect_object(v)?;
            let list = doc
                .get("resource_types")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    ApiError::invalid(format!(
                        "Resource types must be a sub set of {PURGEABLE:?}."
                    ))
                })?;
            let mut types = Vec::new();
            for t in list {
                match t.as_str() {
                    Some(s) if PURGEABLE.contains(&s) => types.push(s.to_string()),
                    _ => {
                        return Err(ApiError::invalid(format!(
                            "Resource types must be a sub set of {PURGEABLE:?}."
                        )))
                    }
                }
            }
            types
        }
    };
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    if types.iter().any(|t| t == "messages") {
        store::messages::delete_all(&txn, &ctx.project, &name).await?;
        store::claims::delete_all(&txn, &ctx.project, &name).await?;
    }
    if types.iter().any(|t| t == "subscriptions") {
        store::subscriptions::delete_all(&txn, &ctx.project, &name).await?;
    }
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
