//! Version discovery, JSON home, ping and health.
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::context::RequestContext;
use super::openapi::schemas;
use super::state::AppState;
use crate::error::{ApiError, ApiResult};

#[utoipa::path(
    get,
    path = "/",
    tag = "discovery",
    summary = "The API versions",
    responses(
        (status = 300, description = "The versions this server speaks", body = Object),
    ),
    security(()),
)]
pub async fn versions(req: HttpRequest) -> ApiResult<HttpResponse> {
    super::context::check_content_negotiation(&req)?;
    Ok(HttpResponse::MultipleChoices().json(json!({
        "versions": [{
            "id": "2",
            "status": "CURRENT",
            "updated": "2014-9-24T04:06:47Z",
            "media-types": [{"base": "application/json", "type": "application/vnd.openstack.messaging-v2+json"}],
            "links": [{"href": "/v2/", "rel": "self"}],
        }]
    })))
}

#[utoipa::path(
    get,
    path = "/v2/ping",
    tag = "discovery",
    summary = "Storage reachable?",
    responses(
        (status = 204, description = "Reachable"),
    ),
)]
pub async fn ping(state: web::Data<AppState>, _ctx: RequestContext) -> ApiResult<HttpResponse> {
    match state.db.ping().await {
        Ok(()) => Ok(HttpResponse::NoContent().finish()),
        Err(_) => Err(ApiError::unavailable(
            "Storage is not reachable. Please try again in a few seconds.",
        )),
    }
}

#[utoipa::path(
    head,
    path = "/v2/ping",
    tag = "discovery",
    summary = "Storage reachable? (no body)",
    responses(
        (status = 204, description = "Reachable"),
    ),
)]
pub async fn ping_head(state: web::Data<AppState>, ctx: RequestContext) -> ApiResult<HttpResponse> {
    ping(state, ctx).await
}

#[utoipa::path(
    get,
    path = "/v2/health",
    tag = "discovery",
    summary = "Storage and message volume of the project",
    responses(
        (status = 200, description = "Health", body = schemas::Health),
    ),
)]
pub async fn health(state: web::Data<AppState>, ctx: RequestContext) -> ApiResult<HttpResponse> {
    let started = std::time::Instant::now();
    let reachable = state.db.ping().await.is_ok();
    let seconds = started.elapsed().as_secs_f64();
    let now = state.now();
    let (free, claimed, total) = if reachable {
        let stats = crate::store::messages::project_volume(&state.db, &ctx.project, now).await?;
        (stats.0, stats.1, stats.0 + stats.1)
    } else {
        (0, 0, 0)
    };
    Ok(HttpResponse::Ok().json(json!({
        "storage_reachable": reachable,
        "operation_status": {
            "ping": {"succeeded": reachable, "seconds": seconds, "ref": Value::Null},
        },
        "message_volume": {"free": free, "claimed": claimed, "total": total},
    })))
}

/// Zaqar's JSON home document (`GET /v2/`) as Zaqar 23 serves it, with
/// `rel/health` added because tidings always serves `/v2/health` (Zaqar
/// only in admin mode). Kept as data: it is Zaqar's text, typos included
/// (`subscriptions_id`), so clients that read it see what they expect.
const HOMEDOC: &str = include_str!("homedoc.json");

#[utoipa::path(
    get,
    path = "/v2",
    tag = "discovery",
    summary = "Zaqar's JSON home document",
    responses(
        (status = 200, description = "The home document", body = Object, content_type = "application/json-home"),
    ),
)]
pub async fn homedoc(_ctx: RequestContext) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json-home"))
        .insert_header((header::CACHE_CONTROL, "max-age=86400"))
        .body(HOMEDOC))
}
