//! One log line per request: method, route pattern, status, duration. The
//! route *pattern* is logged, never the raw path or query string, because
//! confirmation and unsubscribe links carry tokens in their query.
//! Every response also gets Zaqar's `x-openstack-request-id`.
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

pub async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "(unmatched)".to_string());
    let request_id = format!("req-{}", uuid::Uuid::new_v4());
    let mut res = next.call(req).await?;
    let status = res.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-openstack-request-id"), value);
    }
    // Successes at debug: at tens of thousands of requests a second an
    // info line each would cost more than the request.
    match status {
        500.. => tracing::error!(%method, %route, status, elapsed_ms, request_id, "request failed"),
        400..=499 => {
            tracing::info!(%method, %route, status, elapsed_ms, request_id, "request refused")
        }
        _ => tracing::debug!(%method, %route, status, elapsed_ms, request_id, "request"),
    }
    Ok(res)
}
