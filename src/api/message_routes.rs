//! `POST /v2/queues/{queue}/routes` (a message that is not posted) and
//! `GET /v2/queues/{queue}/messages/{id}/routes` (a stored one): who gets
//! the message, who does not and why, paged like the subscription list.
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::body;
use super::context::RequestContext;
use super::openapi::schemas;
use super::params::Params;
use super::state::AppState;
use crate::domain::limits::{DEFAULT_PER_PAGE, MAX_MESSAGES_POST_SIZE, MAX_PER_PAGE};
use crate::domain::masking::mask_password;
use crate::error::{ApiError, ApiResult};
use crate::service::routes::{self as service, PageRequest, Routes, RoutesContext};

fn too_large() -> ApiError {
    ApiError::invalid(format!(
        "Message body is too large. Max size {MAX_MESSAGES_POST_SIZE}"
    ))
}

fn context(state: &AppState) -> RoutesContext<'_, sea_orm::DatabaseConnection> {
    RoutesContext {
        db: &state.db,
        router: &state.router,
        metadata: &state.metadata,
        keys: &state.keys,
        now: state.now(),
    }
}

fn to_json(routes: Routes, path: &str, limit: i64, stored: bool) -> Value {
    let links = match routes.routes.last() {
        None => json!([]),
        Some(last) => {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("marker", &last.subscription.id)
                .append_pair("limit", &limit.to_string())
                .finish();
            json!([{"rel": "next", "href": format!("{path}?{query}")}])
        }
    };
    let subscriptions: Vec<Value> = routes
        .routes
        .iter()
        .map(|route| {
            let mut item = json!({
                "id": route.subscription.id,
                "subscriber": mask_password(&route.subscription.subscriber),
                "notification_type": route.notification_type,
                "deliver": route.decision.deliver,
                "reason": route.decision.reason.map(|r| r.as_str()),
            });
            if stored {
                item["delivery"] = match &route.delivery {
                    // Ids as the delivery log shows them.
                    Some(d) => json!({"id": d.id.to_string(), "status": d.status}),
                    None => Value::Null,
                };
            }
            item
        })
        .collect();
    json!({
        "event_type": routes.event_type,
        "subscriptions": subscriptions,
        "links": links,
    })
}

#[utoipa::path(
    post,
    path = "/v2/queues/{queue}/routes",
    tag = "routing",
    summary = "Who would receive a message with this body (a dry run)",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("limit" = Option<i64>, Query, description = "Items per page (1 to 20)"),
        ("marker" = Option<String>, Query, description = "Where the previous page ended (its `next` link carries it)"),
    ),
    request_body(content = schemas::RouteProbe),
    responses(
        (status = 200, description = "The subscriptions that would and would not receive it", body = schemas::Routes),
    ),
)]
#[tracing::instrument(skip_all, fields(queue = %path))]
pub async fn for_body(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let queue = ctx.queue_name(&path)?;
    let params = Params::parse(req.query_string());
    let limit = params.limit(DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
    let raw = body::read(&req, payload, MAX_MESSAGES_POST_SIZE as usize, too_large).await?;
    let mut doc = match body::parse_json(&raw)? {
        Some(Value::Object(doc)) => doc,
        _ => {
            return Err(ApiError::bad_body(
                "Expected {\"body\": ...}: the message to route.",
            ))
        }
    };
    let message = doc
        .remove("body")
        .ok_or_else(|| ApiError::bad_body("Missing \"body\" field."))?;
    let page = PageRequest {
        marker: params.str("marker"),
        limit: limit as u64,
    };
    let routes = service::for_body(&context(&state), &ctx.project, &queue, &message, page).await?;
    Ok(HttpResponse::Ok().json(to_json(routes, req.path(), limit, false)))
}

#[utoipa::path(
    get,
    path = "/v2/queues/{queue}/messages/{message_id}/routes",
    tag = "routing",
    summary = "Who received a stored message, and why",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("message_id" = String, Path, description = "The message id"),
        ("limit" = Option<i64>, Query, description = "Items per page (1 to 20)"),
        ("marker" = Option<String>, Query, description = "Where the previous page ended (its `next` link carries it)"),
    ),
    responses(
        (status = 200, description = "The routes", body = schemas::Routes),
    ),
)]
pub async fn for_message(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (raw_queue, id) = path.into_inner();
    let queue = ctx.queue_name(&raw_queue)?;
    let params = Params::parse(req.query_string());
    let limit = params.limit(DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
    let page = PageRequest {
        marker: params.str("marker"),
        limit: limit as u64,
    };
    let routes = service::for_message(&context(&state), &ctx.project, &queue, &id, page)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Message {id} does not exist in queue {queue} for project {}",
                ctx.project.as_str()
            ))
        })?;
    Ok(HttpResponse::Ok().json(to_json(routes, req.path(), limit, true)))
}
