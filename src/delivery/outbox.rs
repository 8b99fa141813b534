//! The durable outbox: the contract between the request path (which enqueues
//! inside its transaction) and the delivery workers (which send).
//!
//! `payload` carries everything a worker needs to render and send without
//! reading other tables (the subscriber URI, options, links), so a delivery
//! survives the deletion of whatever caused it.
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};

/// What kind of thing is being delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryKind {
    /// A queue message fanned out to one subscription.
    Notification,
    /// "Please confirm your subscription" (email or Zaqar webhook form).
    Confirmation,
    /// "You have been unsubscribed" notice.
    Unsubscribed,
    /// An alert subscription's "occurred" (due when its interval ends) or
    /// "resolved" (see `alerts`).
    Alert,
}

impl DeliveryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryKind::Notification => "notification",
            DeliveryKind::Confirmation => "confirmation",
            DeliveryKind::Unsubscribed => "unsubscribed",
            DeliveryKind::Alert => "alert",
        }
    }
}

/// A row to enqueue.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub project: String,
    pub queue: String,
    pub subscription_id: String,
    /// The subscriber URI as stored (`mailto:...`, `https://...`).
    pub subscriber: String,
    pub kind: DeliveryKind,
    /// The queue message id for notifications.
    pub message_id: Option<String>,
    /// Kind-specific JSON; see `payload` docs per kind in the delivery worker.
    pub payload: serde_json::Value,
    /// Earliest time (epoch ms) to attempt delivery.
    pub due_at: i64,
}

/// Enqueues one delivery on `db` (normally the caller's open transaction),
/// due at `delivery.due_at`.
pub async fn enqueue(db: &impl ConnectionTrait, delivery: NewDelivery) -> Result<(), DbErr> {
    let now = delivery.due_at;
    crate::store::deliveries::insert(db, delivery, now).await
}
