//! The delivery log (a tidings extension beside the Zaqar routes): every
//! attempt of every delivery to a subscription, email and webhook alike, and
//! redelivery of a failed one.
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::context::RequestContext;
use super::openapi::schemas;
use super::params::Params;
use super::state::AppState;
use crate::domain::limits::{DEFAULT_PER_PAGE, MAX_PER_PAGE};
use crate::domain::{ProjectId, QueueName};
use crate::error::{ApiError, ApiResult};
use crate::store::deliveries::{
    self, STATUS_DELIVERED, STATUS_FAILED, STATUS_PENDING, STATUS_SKIPPED,
};
use crate::store::entities::{delivery, delivery_attempt};

const STATUSES: [&str; 4] = [
    STATUS_PENDING,
    STATUS_DELIVERED,
    STATUS_FAILED,
    STATUS_SKIPPED,
];

fn delivery_json(d: &delivery::Model, attempts: &[&delivery_attempt::Model]) -> Value {
    json!({
        "id": d.id.to_string(),
        "kind": d.kind,
        "message_id": d.message_id,
        "status": d.status,
        "attempts": attempts.iter().map(|a| json!({
            "at": crate::clock::iso8601(a.at),
            "outcome": a.outcome,
            "code": a.code,
            "detail": a.detail,
            "duration_ms": a.duration_ms,
        })).collect::<Vec<_>>(),
        "next_attempt_at": (d.status == STATUS_PENDING).then(|| crate::clock::iso8601(d.next_attempt_at)),
        // Why nothing was attempted (subscription gone, alert cancelled or
        // suppressed); a failure's reason is its last attempt's detail.
        "reason": if d.status == STATUS_SKIPPED { d.last_error.clone() } else { None },
    })
}

async fn require_subscription(
    state: &AppState,
    project: &ProjectId,
    queue: &QueueName,
    id: &str,
) -> ApiResult<()> {
    if crate::store::subscriptions::get_live(&state.db, project, queue, id, state.now())
        .await?
        .is_some()
    {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "Subscription {id} does not exist"
        )))
    }
}

#[utoipa::path(
    get,
    path = "/v2/queues/{queue}/subscriptions/{subscription_id}/deliveries",
    tag = "deliveries",
    summary = "A subscription's delivery log",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("subscription_id" = String, Path, description = "The subscription id"),
        ("limit" = Option<i64>, Query, description = "Items per page (1 to 20)"),
        ("marker" = Option<String>, Query, description = "Where the previous page ended (its `next` link carries it)"),
        ("status" = Option<String>, Query, description = "Only deliveries in this status"),
    ),
    responses(
        (status = 200, description = "A page of deliveries with their attempts", body = schemas::DeliveryList),
    ),
)]
pub async fn list(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (queue, id) = path.into_inner();
    let name = ctx.queue_name(&queue)?;
    let params = Params::parse(req.query_string());
    let limit = params.limit(DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
    let status = params.str("status");
    if let Some(s) = status {
        if !STATUSES.contains(&s) {
            return Err(ApiError::invalid(format!(
                "status must be one of {}.",
                STATUSES.join(", ")
            )));
        }
    }
    let marker = match params.str("marker") {
        None => None,
        Some(m) => Some(
            m.parse::<i64>()
                .map_err(|_| ApiError::invalid("marker must be a delivery id."))?,
        ),
    };
    require_subscription(&state, &ctx.project, &name, &id).await?;
    let rows =
        deliveries::list_for_subscription(&state.db, &id, status, marker, limit as u64).await?;
    let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
    let attempts = deliveries::attempts_for(&state.db, &ids).await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|d| {
            let mine: Vec<&delivery_attempt::Model> =
                attempts.iter().filter(|a| a.delivery_id == d.id).collect();
            delivery_json(d, &mine)
        })
        .collect();
    let links = match rows.last() {
        Some(last) if rows.len() as i64 == limit => {
            let mut href = format!(
                "{}/subscriptions/{id}/deliveries?marker={}&limit={limit}",
                name.href(),
                last.id
            );
            if let Some(s) = status {
                href.push_str(&format!("&status={s}"));
            }
            json!([{"rel": "next", "href": href}])
        }
        _ => json!([]),
    };
    Ok(HttpResponse::Ok().json(json!({"deliveries": items, "links": links})))
}

#[utoipa::path(
    post,
    path = "/v2/queues/{queue}/subscriptions/{subscription_id}/deliveries/{delivery_id}/retry",
    tag = "deliveries",
    summary = "Retry a failed delivery now",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("subscription_id" = String, Path, description = "The subscription id"),
        ("delivery_id" = String, Path, description = "The delivery id"),
    ),
    responses(
        (status = 202, description = "Queued again", body = schemas::Delivery),
    ),
)]
#[tracing::instrument(skip_all, fields(queue = %path.0, subscription_id = %path.1))]
pub async fn retry(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    let (queue, id, delivery_id) = path.into_inner();
    let name = ctx.queue_name(&queue)?;
    require_subscription(&state, &ctx.project, &name, &id).await?;
    let not_found = || ApiError::not_found(format!("Delivery {delivery_id} does not exist"));
    let did: i64 = delivery_id.parse().map_err(|_| not_found())?;
    let row = deliveries::get(&state.db, did)
        .await?
        .ok_or_else(not_found)?;
    if row.subscription_id != id || row.project != ctx.project.as_str() {
        return Err(not_found());
    }
    if !deliveries::requeue_failed(&state.db, did, state.now()).await? {
        return Err(ApiError::conflict(format!(
            "Delivery {delivery_id} is {}; only failed deliveries can be retried.",
            row.status
        )));
    }
    state.wake.notify_one();
    let row = deliveries::get(&state.db, did)
        .await?
        .ok_or_else(not_found)?;
    let attempts = deliveries::attempts_for(&state.db, &[did]).await?;
    let attempts: Vec<&delivery_attempt::Model> = attempts.iter().collect();
    Ok(HttpResponse::Accepted().json(delivery_json(&row, &attempts)))
}

/// Prometheus text exposition; needs no API headers (scrapers send none).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    summary = "Prometheus metrics (a reader token of project *)",
    responses(
        (status = 200, description = "The metrics", body = String, content_type = "text/plain; version=0.0.4"),
    ),
)]
pub async fn metrics(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let backlog = deliveries::backlog(&state.db, state.now()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(backlog)))
}
