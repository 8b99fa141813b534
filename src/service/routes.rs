//! "Why was X (not) notified": every subscription of a queue, a page at a
//! time, with routing's decision for one message (the same decision
//! fan-out makes) and, for a stored message, the delivery fan-out made.
use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr};
use serde_json::Value;

use crate::domain::message_keys::MessageKeys;
use crate::domain::subscription::Status;
use crate::domain::{ProjectId, QueueName};
use crate::routing::{explain, Candidate, Decision, EventTypeTemplate, Message, Router};
use crate::store;
use crate::store::entities::subscription;
use crate::store::metadata_cache::MetadataCache;

/// The handles the use case reads through.
pub struct RoutesContext<'a, C: ConnectionTrait> {
    pub db: &'a C,
    pub router: &'a Router,
    pub metadata: &'a MetadataCache,
    /// Opens sealed message bodies.
    pub keys: &'a MessageKeys,
    pub now: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct PageRequest<'a> {
    pub marker: Option<&'a str>,
    pub limit: u64,
}

/// What fan-out did for one subscription of a stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MadeDelivery {
    pub id: i64,
    pub status: String,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub subscription: subscription::Model,
    pub notification_type: Option<String>,
    pub decision: Decision,
    /// For a stored message: the delivery fan-out made, if any.
    pub delivery: Option<MadeDelivery>,
}

#[derive(Debug, Clone)]
pub struct Routes {
    pub event_type: Option<String>,
    pub routes: Vec<Route>,
}

/// Routes for a message that is not posted: its event type is derived as
/// a post would derive it.
pub async fn for_body<C: ConnectionTrait>(
    ctx: &RoutesContext<'_, C>,
    project: &ProjectId,
    queue: &QueueName,
    body: &Value,
    page: PageRequest<'_>,
) -> Result<Routes, DbErr> {
    let metadata = ctx.metadata.get(ctx.db, project, queue).await?;
    let event_type = EventTypeTemplate::for_queue(&metadata).derive(body);
    let rows =
        store::subscriptions::page_any_state(ctx.db, project, queue, page.marker, page.limit)
            .await?;
    let routes = decide(ctx, &metadata, event_type.as_deref(), body, rows);
    Ok(Routes { event_type, routes })
}

/// Routes for a stored message (None when there is no such live message).
/// A subscription that has a delivery of it reads `deliver: true` with that
/// delivery; the others say what routing decides now.
pub async fn for_message<C: ConnectionTrait>(
    ctx: &RoutesContext<'_, C>,
    project: &ProjectId,
    queue: &QueueName,
    message_id: &str,
    page: PageRequest<'_>,
) -> Result<Option<Routes>, DbErr> {
    let Some(message) = store::messages::get(ctx.db, project, queue, message_id, ctx.now).await?
    else {
        return Ok(None);
    };
    let body = ctx
        .keys
        .open_json(&message.id, &message.body, message.key_id.as_deref());
    let metadata = ctx.metadata.get(ctx.db, project, queue).await?;
    let rows =
        store::subscriptions::page_any_state(ctx.db, project, queue, page.marker, page.limit)
            .await?;
    let fanouts =
        store::fanouts::ids_for_message(ctx.db, project.as_str(), queue.as_str(), message_id)
            .await?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut made: HashMap<String, MadeDelivery> = HashMap::new();
    for d in store::deliveries::for_fanouts(ctx.db, &fanouts, &ids).await? {
        made.insert(
            d.subscription_id,
            MadeDelivery {
                id: d.id,
                status: d.status,
            },
        );
    }
    let mut routes = decide(ctx, &metadata, message.event_type.as_deref(), &body, rows);
    for route in &mut routes {
        if let Some(delivery) = made.remove(&route.subscription.id) {
            route.decision = Decision {
                deliver: true,
                reason: None,
            };
            route.delivery = Some(delivery);
        }
    }
    Ok(Some(Routes {
        event_type: message.event_type,
        routes,
    }))
}

fn decide<C: ConnectionTrait>(
    ctx: &RoutesContext<'_, C>,
    metadata: &serde_json::Map<String, Value>,
    event_type: Option<&str>,
    body: &Value,
    rows: Vec<subscription::Model>,
) -> Vec<Route> {
    let effective = ctx.router.policy_for(metadata);
    let message = Message { event_type, body };
    let mut lookup = ctx.router.cache().lookup();
    rows.into_iter()
        .map(|row| {
            let routing = lookup.routing(&row.id, &row.subscriber, &row.options);
            let decision = explain(
                Candidate {
                    status: Status::parse(&row.status),
                    expires_at: row.expires_at,
                    routing: &routing,
                },
                message,
                effective.get(),
                ctx.now,
            );
            Route {
                notification_type: routing.notification_type.clone(),
                subscription: row,
                decision,
                delivery: None,
            }
        })
        .collect()
}
