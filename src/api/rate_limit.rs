//! The in-memory abuse limits, after `authorize`: requests per second per
//! project (the token's project, else the one the request names) and
//! requests per client IP on the public pages. Over a limit: 429 with
//! `Retry-After` and a Zaqar error body, counted in `/metrics`.
//!
//! The client IP is the TCP peer: a `Forwarded` header is not trusted,
//! since anyone can send one.
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};

use super::access_policy::{TOPIC_UNSUBSCRIBE_LINK, UNSUBSCRIBE_LINK};
use super::authorize::Granted;
use super::context::raw_project;
use super::state::AppState;
use super::subscriptions::is_link_request;
use crate::domain::abuse_limit::LimitKind;
use crate::error::ApiError;

pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if let Some(state) = req.app_data::<web::Data<AppState>>() {
        if let Some(err) = refusal(state, &req) {
            return Ok(req.error_response(err).map_into_right_body());
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

fn refusal(state: &AppState, req: &ServiceRequest) -> Option<ApiError> {
    let page = matches!(
        req.match_pattern().as_deref(),
        Some(UNSUBSCRIBE_LINK | TOPIC_UNSUBSCRIBE_LINK)
    ) || is_link_request(req.request());
    let (kind, verdict) = if page {
        let limit = state.limits.per_page_client.as_ref()?;
        let ip = req.peer_addr().map(|a| a.ip().to_string())?;
        (LimitKind::Page, limit.check(&ip))
    } else {
        let limit = state.limits.per_project.as_ref()?;
        let granted = req
            .extensions()
            .get::<Granted>()
            .and_then(|g| g.project.as_ref().map(|p| p.as_str().to_string()));
        let project =
            granted.or_else(|| raw_project(req.request()).map(|p| p.trim().to_string()))?;
        (LimitKind::Project, limit.check(&project))
    };
    let retry_after = verdict.err()?;
    state.metrics.record_rate_limited(kind);
    Some(ApiError::TooManyRequests {
        description: match kind {
            LimitKind::Page => "Too many requests from this address. Please wait a little and try again.",
            _ => "This project is sending more requests than it may. Retry after the seconds in Retry-After.",
        },
        retry_after,
    })
}
