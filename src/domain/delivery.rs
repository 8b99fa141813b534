//! The durable outbox's vocabulary: the contract between the request path
//! (which enqueues inside its transaction, `store::deliveries::enqueue`) and
//! the delivery workers (which send). It lives here so that store, service
//! and delivery can all speak it without importing each other.
//!
//! `payload` carries everything a worker needs to render and send without
//! reading other tables (the subscriber URI, options, links), so a delivery
//! survives the deletion of whatever caused it.
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
