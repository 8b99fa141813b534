//! Messages: batch post, list, get, get-many, delete (with the claim rules),
//! delete by ids, pop.
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::body;
use super::context::RequestContext;
use super::openapi::schemas;
use super::params::Params;
use super::state::AppState;
use crate::domain::limits::*;
use crate::domain::message_keys::MessageKeys;
use crate::domain::queue_metadata::truthy;
use crate::domain::QueueName;
use crate::error::{ApiError, ApiResult};
use crate::routing::EventTypeTemplate;
use crate::service::message_deletes::{self, DeleteError};
use crate::service::message_posts::Post;
use crate::store;
use crate::store::entities::message::Model as MessageRow;
use crate::store::messages::{ListOptions, NewMessage};

/// The v2 message object; `href` carries `?claim_id=` while claimed.
pub fn format_message(keys: &MessageKeys, queue: &QueueName, m: &MessageRow, now: i64) -> Value {
    let mut href = format!("{}/messages/{}", queue.href(), m.id);
    if let Some(claim) = m.active_claim(now) {
        href.push_str("?claim_id=");
        href.push_str(claim);
    }
    json!({
        "id": m.id,
        "href": href,
        "ttl": m.ttl,
        "age": (now - m.created_at).max(0) / 1000,
        "body": keys.open_json(&m.id, &m.body, m.key_id.as_deref()),
    })
}

fn post_too_large(max: i64) -> impl Fn() -> ApiError {
    move || {
        ApiError::invalid(format!(
            "Message collection size is too large. Max size {max}"
        ))
    }
}

#[utoipa::path(
    post,
    path = "/v2/queues/{queue}/messages",
    tag = "messages",
    summary = "Post messages",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
    ),
    request_body(content = schemas::MessagesPost),
    responses(
        (status = 201, description = "Posted", body = schemas::Posted),
    ),
)]
#[tracing::instrument(skip_all, fields(queue = %path))]
pub async fn post(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let name = ctx.queue_name(&path)?;
    let metadata = state.metadata.get(&state.db, &ctx.project, &name).await?;
    let max_size = metadata
        .get("_max_messages_post_size")
        .and_then(Value::as_i64)
        .filter(|n| *n > 0)
        .map(|n| n.min(MAX_MESSAGES_POST_SIZE))
        .unwrap_or(MAX_MESSAGES_POST_SIZE);
    let raw = body::read(&req, payload, max_size as usize, post_too_large(max_size)).await?;
    let doc = body::require_json(&req, &raw)?;
    let default_ttl = metadata
        .get("_default_message_ttl")
        .and_then(Value::as_i64)
        .filter(|n| *n > 0);
    let delay_enabled = metadata
        .get("_default_message_delay")
        .map(truthy)
        .unwrap_or(false);
    let default_delay = metadata
        .get("_default_message_delay")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let mut batch = parse_batch(
        doc,
        default_ttl.unwrap_or(DEFAULT_MESSAGE_TTL),
        delay_enabled,
        default_delay,
    )?;
    let template = EventTypeTemplate::for_queue(&metadata);
    for m in &mut batch {
        m.event_type = template.derive(&m.body);
    }
    let ids: Vec<String> = batch.iter().map(|m| m.id.clone()).collect();
    state
        .posts
        .post(Post {
            project: ctx.project,
            queue: name.clone(),
            client: ctx.client_id,
            messages: batch,
            delay_enabled,
            encrypt: metadata
                .get("_enable_encrypt_messages")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            now: state.now(),
        })
        .await?;

    let resources: Vec<String> = ids
        .iter()
        .map(|id| format!("{}/messages/{id}", name.href()))
        .collect();
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("{}/messages?ids={}", name.href(), ids.join(",")),
        ))
        .json(json!({"resources": resources})))
}

/// Validates the `{"messages": [...]}` document with Zaqar's rules.
fn parse_batch(
    doc: Value,
    default_ttl: i64,
    delay_enabled: bool,
    default_delay: i64,
) -> ApiResult<Vec<NewMessage>> {
    let Value::Object(mut doc) = doc else {
        return Err(ApiError::invalid(
            "No messages were found in the request body.",
        ));
    };
    let items = match doc.remove("messages") {
        None => {
            return Err(ApiError::invalid(
                "No messages were found in the request body.",
            ))
        }
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::bad_body("Document type not supported.")),
    };
    if items.is_empty() {
        return Err(ApiError::invalid("No messages to enqueu."));
    }
    let mut batch = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(mut item) = item else {
            return Err(ApiError::bad_body("Document type not supported."));
        };
        let ttl = body::int_field(&item, "ttl")?.unwrap_or(default_ttl);
        // Zaqar drops `delay` unread on queues without a default delay.
        let delay = if delay_enabled {
            body::int_field(&item, "delay")?
        } else {
            None
        };
        let body = item
            .remove("body")
            .ok_or_else(|| ApiError::bad_body("Missing \"body\" field."))?;
        if !(MIN_MESSAGE_TTL..=MAX_MESSAGE_TTL).contains(&ttl) {
            return Err(ApiError::invalid(format!(
                "The TTL for a message may not exceed {MAX_MESSAGE_TTL} seconds, and must be at least {MIN_MESSAGE_TTL} seconds long."
            )));
        }
        if let Some(d) = delay {
            if !(0..=MAX_MESSAGE_DELAY).contains(&d) {
                return Err(ApiError::invalid(format!(
                    "The Delay TTL for a message may not exceed {MAX_MESSAGE_DELAY} seconds,and must be at least 0 seconds long."
                )));
            }
        }
        // Zaqar honours per-message delay only on queues with a default delay.
        let delay = if delay_enabled {
            delay.unwrap_or(default_delay)
        } else {
            0
        };
        batch.push(NewMessage {
            // Time-ordered (v7): each post appends to the id index instead
            // of dirtying a random page of it per message.
            id: uuid::Uuid::now_v7().to_string(),
            body,
            ttl,
            delay,
            event_type: None,
        });
    }
    Ok(batch)
}

#[utoipa::path(
    get,
    path = "/v2/queues/{queue}/messages",
    tag = "messages",
    summary = "List messages, or get some by id",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("limit" = Option<i64>, Query, description = "Items per page (1 to 20)"),
        ("marker" = Option<String>, Query, description = "Where the previous page ended (its `next` link carries it)"),
        ("echo" = Option<bool>, Query, description = "Include this client's own messages"),
        ("include_claimed" = Option<bool>, Query, description = "Include claimed messages"),
        ("include_delayed" = Option<bool>, Query, description = "Include delayed messages"),
        ("ids" = Option<String>, Query, description = "Comma-separated message ids: just these"),
    ),
    responses(
        (status = 200, description = "The messages", body = schemas::MessageList),
        (status = 204, description = "No message"),
    ),
)]
pub async fn list(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let name = ctx.queue_name(&path)?;
    let params = Params::parse(req.query_string());
    if let Some(ids) = params.list("ids") {
        return get_many(&state, &ctx, &name, ids).await;
    }
    let limit = params.limit(DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
    let echo = params.bool("echo")?.unwrap_or(false);
    let include_claimed = params.bool("include_claimed")?.unwrap_or(false);
    let include_delayed = params.bool("include_delayed")?.unwrap_or(false);
    // Markers we hand out are sequence numbers; anything else starts over.
    let after_seq = params.str("marker").and_then(|m| m.parse::<i64>().ok());
    let now = state.now();
    let opts = ListOptions {
        after_seq,
        limit: limit as u64,
        exclude_client: (!echo).then_some(&ctx.client_id),
        include_claimed,
        include_delayed,
    };
    let rows = store::messages::list(&state.db, &ctx.project, &name, opts, now).await?;
    let messages: Vec<Value> = rows
        .iter()
        .map(|m| format_message(&state.keys, &name, m, now))
        .collect();
    let links = match rows.last() {
        None => json!([]),
        Some(last) => {
            let mut query = format!("marker={}&limit={limit}&echo={echo}", last.seq);
            if include_claimed {
                query.push_str("&include_claimed=true");
            }
            if include_delayed {
                query.push_str("&include_delayed=true");
            }
            json!([{"rel": "next", "href": format!("{}/messages?{query}", name.href())}])
        }
    };
    Ok(HttpResponse::Ok().json(json!({"messages": messages, "links": links})))
}

async fn get_many(
    state: &AppState,
    ctx: &RequestContext,
    name: &QueueName,
    ids: &[String],
) -> ApiResult<HttpResponse> {
    if ids.len() as i64 > MAX_PER_PAGE {
        return Err(ApiError::invalid(format!(
            "Limit must be at least 1 and may not be greater than {MAX_PER_PAGE}."
        )));
    }
    let now = state.now();
    let rows = store::messages::get_many(&state.db, &ctx.project, name, ids, now).await?;
    if rows.is_empty() {
        let listed: Vec<String> = ids.iter().map(|id| format!("'{id}'")).collect();
        return Err(ApiError::not_found(format!(
            "No messages with IDs: [{}] found in the queue {name} for project {}.",
            listed.join(", "),
            ctx.project.as_str()
        )));
    }
    let messages: Vec<Value> = rows
        .iter()
        .map(|m| format_message(&state.keys, name, m, now))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"messages": messages})))
}

#[utoipa::path(
    get,
    path = "/v2/queues/{queue}/messages/{message_id}",
    tag = "messages",
    summary = "One message",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("message_id" = String, Path, description = "The message id"),
    ),
    responses(
        (status = 200, description = "The message", body = schemas::Message),
    ),
)]
pub async fn get(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (queue, id) = path.into_inner();
    let name = ctx.queue_name(&queue)?;
    let now = state.now();
    let row = store::messages::get(&state.db, &ctx.project, &name, &id, now)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Message {id} does not exist in queue {name} for project {}",
                ctx.project.as_str()
            ))
        })?;
    Ok(HttpResponse::Ok().json(format_message(&state.keys, &name, &row, now)))
}

#[utoipa::path(
    delete,
    path = "/v2/queues/{queue}/messages/{message_id}",
    tag = "messages",
    summary = "Delete a message",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("message_id" = String, Path, description = "The message id"),
        ("claim_id" = Option<String>, Query, description = "The claim holding it, if claimed"),
    ),
    responses(
        (status = 204, description = "Deleted"),
    ),
)]
#[tracing::instrument(skip_all, fields(queue = %path.0))]
pub async fn delete(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (queue, id) = (path.0.clone(), path.1.clone());
    let name = ctx.queue_name(&queue)?;
    let params = Params::parse(req.query_string());
    let claim_id = params.str("claim_id");
    let now = state.now();
    let claimed = || {
        ApiError::forbidden(
            "Unable to delete",
            "This message is claimed; it cannot be deleted without a valid claim ID.",
        )
    };
    message_deletes::delete(&state.db, &ctx.project, &name, &id, claim_id, now)
        .await
        .map_err(|err| match err {
            DeleteError::ClaimNotLive => ApiError::bad_request(
                "Unable to delete",
                "The specified claim does not exist or has expired.",
            ),
            DeleteError::Claimed => claimed(),
            DeleteError::NotClaimed => ApiError::bad_request(
                "Unable to delete",
                "A claim was specified, but the message is not currently claimed.",
            ),
            DeleteError::Db(err) => err.into(),
        })?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    delete,
    path = "/v2/queues/{queue}/messages",
    tag = "messages",
    summary = "Delete messages by id, or pop some",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("ids" = Option<String>, Query, description = "Comma-separated message ids"),
        ("pop" = Option<i64>, Query, description = "How many to pop (1 to 20)"),
    ),
    responses(
        (status = 200, description = "The popped messages", body = schemas::MessageList),
        (status = 204, description = "Deleted"),
    ),
)]
#[tracing::instrument(skip_all, fields(queue = %path))]
pub async fn delete_many(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let name = ctx.queue_name(&path)?;
    let params = Params::parse(req.query_string());
    let ids = params.list("ids");
    let pop = params.int("pop")?;
    match (ids, pop) {
        (None, None) => Err(ApiError::invalid(
            "The request should have either \"ids\" or \"pop\" parameter in the request, to be able to delete.",
        )),
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "pop and id params cannot be present together in the delete request.",
        )),
        (Some(ids), None) => {
            if ids.len() as i64 > MAX_PER_PAGE {
                return Err(ApiError::invalid(format!(
                    "ids parameter should have at least 1 and not greater than {MAX_PER_PAGE} values."
                )));
            }
            store::messages::delete_by_ids(&state.db, &ctx.project, &name, ids).await?;
            Ok(HttpResponse::NoContent().finish())
        }
        (None, Some(n)) => {
            if !(1..=MAX_MESSAGES_PER_CLAIM_OR_POP).contains(&n) {
                return Err(ApiError::invalid(format!(
                    "Pop value must be at least 1 and may not be greater than {MAX_MESSAGES_PER_CLAIM_OR_POP}."
                )));
            }
            pop_messages(&state, &ctx, &name, n).await
        }
    }
}

async fn pop_messages(
    state: &AppState,
    ctx: &RequestContext,
    name: &QueueName,
    n: i64,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let rows = message_deletes::pop(&state.db, &ctx.project, name, n as u64, now).await?;
    let messages: Vec<Value> = rows
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "age": (now - m.created_at).max(0) / 1000,
                "ttl": m.ttl,
                "body": state.keys.open_json(&m.id, &m.body, m.key_id.as_deref()),
                "claim_id": Value::Null,
                "claim_count": m.claim_count,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"messages": messages})))
}
