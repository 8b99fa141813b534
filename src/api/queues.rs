//! Queues: create, metadata get/patch, delete, list, stats, purge.
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::body;
use super::context::RequestContext;
use super::openapi::schemas;
use super::params::Params;
use super::queue_patch::{self, JSON_PATCH_TYPE};
use super::state::AppState;
use crate::clock::iso8601;
use crate::domain::limits::{DEFAULT_PER_PAGE, MAX_PER_PAGE, MAX_QUEUE_METADATA};
use crate::domain::{display_name, queue_metadata};
use crate::error::{ApiError, ApiResult};
use crate::service::queues::{self, MetadataError, Purge};
use crate::store;

fn metadata_too_large_text() -> String {
    format!("Queue metadata is too large. Max size: {MAX_QUEUE_METADATA}")
}

fn metadata_too_large() -> ApiError {
    ApiError::invalid(metadata_too_large_text())
}

#[utoipa::path(
    put,
    path = "/v2/queues/{queue}",
    tag = "queues",
    summary = "Create a queue (with metadata)",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
    ),
    request_body(content = Object, content_type = "application/json"),
    responses(
        (status = 201, description = "Created"),
        (status = 204, description = "It already existed"),
    ),
)]
#[tracing::instrument(skip_all, fields(queue = %path))]
pub async fn create(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let name = ctx.queue_name(&path)?;
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
    queue_metadata::validate_for_queue(&name, &metadata).map_err(ApiError::invalid)?;
    state
        .router
        .validate_queue_metadata(&metadata)
        .map_err(ApiError::invalid)?;
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

#[utoipa::path(
    get,
    path = "/v2/queues/{queue}",
    tag = "queues",
    summary = "A queue's metadata",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
    ),
    responses(
        (status = 200, description = "The metadata, reserved keys with their defaults", body = Object),
    ),
)]
pub async fn get(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let name = ctx.queue_name(&path)?;
    let stored = store::queues::metadata(&state.db, &ctx.project, &name).await?;
    Ok(HttpResponse::Ok().json(queue_metadata::with_defaults(&stored)))
}

#[utoipa::path(
    patch,
    path = "/v2/queues/{queue}",
    tag = "queues",
    summary = "Change a queue's metadata (JSON patch)",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
    ),
    request_body(content = Vec<schemas::PatchOperation>, content_type = "application/openstack-messaging-v2.0-json-patch"),
    responses(
        (status = 200, description = "The metadata after the change", body = Object),
    ),
)]
#[tracing::instrument(skip_all, fields(queue = %path))]
pub async fn patch(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let name = ctx.queue_name(&path)?;
    // Zaqar checks the declared size first, then wants exactly this media
    // type (no parameters), then a body.
    let too_large = || ApiError::bad_body(metadata_too_large_text());
    if body::content_length(&req).unwrap_or(0) > MAX_QUEUE_METADATA {
        return Err(too_large());
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type != JSON_PATCH_TYPE {
        return Err(ApiError::unsupported_media_type(format!(
            "Accepted media type for PATCH: {{'Accept-Patch': '{JSON_PATCH_TYPE}'}}."
        )));
    }
    let raw = body::read(&req, payload, MAX_QUEUE_METADATA as usize, too_large).await?;
    let changes = body::parse_json(&raw)?
        .ok_or_else(|| ApiError::bad_body("PATCH body could not be empty for update."))?;
    let changes = queue_patch::parse(changes)?;

    let router = &state.router;
    let edit = |metadata: &mut Map<String, Value>| -> ApiResult<()> {
        for change in changes {
            queue_patch::apply(metadata, change)?;
        }
        queue_metadata::validate_for_queue(&name, metadata).map_err(ApiError::bad_body)?;
        router
            .validate_queue_metadata(metadata)
            .map_err(ApiError::bad_body)?;
        if serde_json::to_vec(&*metadata)
            .map(|v| v.len() as u64)
            .unwrap_or(0)
            > MAX_QUEUE_METADATA
        {
            return Err(too_large());
        }
        Ok(())
    };
    let metadata = queues::update_metadata(&state.db, &state.metadata, &ctx.project, &name, edit)
        .await
        .map_err(|err| match err {
            MetadataError::NotFound => ApiError::not_found(format!(
                "{} {name} does not exist for project {}",
                name.namespace().title(),
                ctx.project.as_str()
            )),
            MetadataError::Refused(err) => err,
            MetadataError::Db(err) => err.into(),
        })?;
    Ok(HttpResponse::Ok().json(queue_metadata::with_defaults(&metadata)))
}

#[utoipa::path(
    delete,
    path = "/v2/queues/{queue}",
    tag = "queues",
    summary = "Delete a queue",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
    ),
    responses(
        (status = 204, description = "Deleted (or never there)"),
    ),
)]
#[tracing::instrument(skip_all, fields(queue = %path))]
pub async fn delete(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let name = ctx.queue_name(&path)?;
    queues::delete(&state.db, &state.metadata, &ctx.project, &name).await?;
    Ok(HttpResponse::NoContent().finish())
}

const LIST_PARAMS: [&str; 5] = ["limit", "marker", "detailed", "name", "with_count"];

#[utoipa::path(
    get,
    path = "/v2/queues",
    tag = "queues",
    summary = "List queues",
    params(
        ("limit" = Option<i64>, Query, description = "Items per page (1 to 20)"),
        ("marker" = Option<String>, Query, description = "Where the previous page ended (its `next` link carries it)"),
        ("detailed" = Option<bool>, Query, description = "Include each queue's metadata"),
        ("with_count" = Option<bool>, Query, description = "Include the number of queues"),
        ("name" = Option<String>, Query, description = "Only queues whose name contains this"),
    ),
    responses(
        (status = 200, description = "A page of queues", body = schemas::QueueList),
    ),
)]
pub async fn list(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let params = Params::parse(req.query_string());
    // The queue list words its limit error differently from the others.
    let limit = match params.int("limit")? {
        None => DEFAULT_PER_PAGE,
        Some(n) if (1..=MAX_PER_PAGE).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::invalid(format!(
                "Limit must be at least 1 and no greater than {MAX_PER_PAGE}."
            )))
        }
    };
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
        let batch = store::queues::list_page(
            &state.db,
            &ctx.project,
            ctx.namespace,
            marker.as_deref(),
            name,
            100,
        )
        .await?;
        let exhausted = batch.len() < 100;
        for q in batch {
            let shown = display_name(&q.name).to_string();
            marker = Some(shown.clone());
            let metadata = store::queues::parse_metadata(&q.metadata);
            let name_matches = name.is_none_or(|part| shown.contains(part));
            if name_matches && filters.iter().all(|(k, v)| metadata.get(*k) == Some(v)) {
                page.push((shown, metadata));
                if page.len() as i64 == limit {
                    break 'pages;
                }
            }
        }
        if exhausted {
            break;
        }
    }

    let collection = ctx.namespace.collection();
    let queues: Vec<Value> = page
        .iter()
        .map(|(name, metadata)| {
            let mut item = json!({"name": name, "href": format!("/v2/{collection}/{name}")});
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
            json!([{"rel": "next", "href": format!("/v2/{collection}?{}", query.finish())}])
        }
    };
    let mut out = json!({collection: queues, "links": links});
    if with_count {
        let count = store::queues::count(&state.db, &ctx.project, ctx.namespace).await?;
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

#[utoipa::path(
    get,
    path = "/v2/queues/{queue}/stats",
    tag = "queues",
    summary = "Message counts of a queue",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
    ),
    responses(
        (status = 200, description = "The counts", body = schemas::QueueStats),
    ),
)]
pub async fn stats(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let name = ctx.queue_name(&path)?;
    let now = state.now();
    let stats = store::messages::stats(&state.db, &ctx.project, &name, now).await?;
    let mut messages = json!({
        "claimed": stats.claimed,
        "free": stats.total - stats.claimed,
        "total": stats.total,
    });
    let describe = |m: &store::entities::message::Model| {
        json!({
            "href": format!("{}/messages/{}", name.href(), m.id),
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

/// Zaqar's `queue_purging`: the key must be there and name a subset of the
/// purgeable types (an empty list purges nothing).
fn purge_types(doc: &Value) -> ApiResult<Vec<String>> {
    let Some(list) = doc.get("resource_types") else {
        return Err(ApiError::invalid(
            "Post body must contain key \"resource_types\".",
        ));
    };
    let not_subset =
        || ApiError::invalid("Resource types must be a sub set of {'messages', 'subscriptions'}.");
    list.as_array()
        .ok_or_else(not_subset)?
        .iter()
        .map(|t| match t.as_str() {
            Some(s) if PURGEABLE.contains(&s) => Ok(s.to_string()),
            _ => Err(not_subset()),
        })
        .collect()
}

#[utoipa::path(
    post,
    path = "/v2/queues/{queue}/purge",
    tag = "queues",
    summary = "Remove a queue's messages and/or subscriptions",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
    ),
    request_body(content = schemas::Purge),
    responses(
        (status = 204, description = "Purged"),
    ),
)]
#[tracing::instrument(skip_all, fields(queue = %path))]
pub async fn purge(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let name = ctx.queue_name(&path)?;
    let raw = body::read(
        &req,
        payload,
        MAX_QUEUE_METADATA as usize,
        metadata_too_large,
    )
    .await?;
    let types = match body::parse_json(&raw)? {
        None => PURGEABLE.iter().map(|s| s.to_string()).collect(),
        Some(doc) => purge_types(&doc)?,
    };
    let what = Purge {
        messages: types.iter().any(|t| t == "messages"),
        subscriptions: types.iter().any(|t| t == "subscriptions"),
    };
    queues::purge(&state.db, &state.fanout_targets, &ctx.project, &name, what).await?;
    Ok(HttpResponse::NoContent().finish())
}
