//! What the operator offers, for a console or CLI to build forms from:
//! `GET /v2/notification_types` and `GET /v2/queues/{queue}/notification_policy`.
use actix_web::{web, HttpResponse};

use super::context::RequestContext;
use super::state::AppState;
use crate::error::ApiResult;

#[utoipa::path(
    get,
    path = "/v2/notification_types",
    tag = "routing",
    summary = "The notification types this server declares",
    responses(
        (status = 200, description = "The types", body = Object),
    ),
)]
pub async fn notification_types(
    state: web::Data<AppState>,
    _ctx: RequestContext,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.router.types().to_json()))
}

/// The effective policy: the queue's `_supported_notifications`, else the
/// server's `[supported_notifications]`, else none.
#[utoipa::path(
    get,
    path = "/v2/queues/{queue}/notification_policy",
    tag = "routing",
    summary = "The notification policy in force on a queue",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
    ),
    responses(
        (status = 200, description = "The policy", body = Object),
    ),
)]
pub async fn queue_policy(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let queue = ctx.queue_name(&path)?;
    let metadata = state.metadata.get(&state.db, &ctx.project, &queue).await?;
    Ok(HttpResponse::Ok().json(state.router.policy_for(&metadata).to_json()))
}
