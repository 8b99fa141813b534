//! One leased delivery and what becomes of it: the channel contract
//! (`Deliver`), and the pure step from an attempt's outcome to the row's
//! next state (delivered, retry at a time, dead letter).
use std::future::Future;

use serde_json::Value;

use super::retry;
use crate::domain::delivery::DeliveryKind;
use crate::drivers::{AttemptOutcome, Verdict};
use crate::store::delivery_outcomes::{AttemptRecord, Next, Outcome};
use crate::store::entities::{delivery, subscription};

/// A leased delivery with everything its attempt needs, loaded in bulk
/// with the rest of its lease batch.
#[derive(Debug, Clone)]
pub struct Job {
    pub delivery: delivery::Model,
    pub kind: DeliveryKind,
    pub payload: Value,
    /// The message's event type (None for confirmation notices and
    /// messages without one): what AMQP uses as the routing key.
    pub event_type: Option<String>,
    /// The subscription as it is now; None once deleted or expired.
    pub subscription: Option<subscription::Model>,
}

/// What a channel did with a job.
#[derive(Debug)]
pub enum Handled {
    /// An attempt was made. `retry_policies` are the queue's and the
    /// subscription's `_retry_policy`, if any.
    Attempted {
        channel: &'static str,
        outcome: AttemptOutcome,
        retry_policies: (Option<Value>, Option<Value>),
    },
    /// Nothing to do any more (subscription deleted, expired, unsubscribed).
    Skipped(String),
}

/// The channels: turns a job into one attempt.
pub trait Deliver: Send + Sync + 'static {
    fn deliver(&self, job: &Job) -> impl Future<Output = anyhow::Result<Handled>> + Send;
}

pub fn kind_of(row: &delivery::Model) -> DeliveryKind {
    match row.kind.as_str() {
        "confirmation" => DeliveryKind::Confirmation,
        "unsubscribed" => DeliveryKind::Unsubscribed,
        "alert" => DeliveryKind::Alert,
        _ => DeliveryKind::Notification,
    }
}

/// The row to record for a handled job at `now`.
pub fn outcome_of(job: &Job, handled: &Handled, now: i64) -> Outcome {
    let delivery_id = job.delivery.id;
    match handled {
        Handled::Skipped(reason) => Outcome::Skipped {
            delivery_id,
            reason: reason.clone(),
            at: now,
        },
        Handled::Attempted {
            outcome,
            retry_policies,
            ..
        } => {
            let attempts_made = job.delivery.attempts.max(0) as u32 + 1;
            Outcome::Attempted {
                delivery_id,
                attempt: AttemptRecord {
                    at: now,
                    outcome: outcome.outcome_label(),
                    code: outcome.code,
                    detail: outcome.detail.clone(),
                    duration_ms: outcome.duration.as_millis() as i64,
                },
                next: next_step(outcome, attempts_made, retry_policies, now),
                // Confirmation payloads carry a plaintext token link: once
                // sent, it has no reason to stay at rest.
                scrub: matches!(
                    job.kind,
                    DeliveryKind::Confirmation | DeliveryKind::Unsubscribed
                ),
            }
        }
    }
}

/// After `attempts_made` attempts ending in `outcome`: delivered, retry at a
/// time, or failed for good (dead letter).
pub fn next_step(
    outcome: &AttemptOutcome,
    attempts_made: u32,
    policies: &(Option<Value>, Option<Value>),
    now: i64,
) -> Next {
    match outcome.verdict {
        Verdict::Delivered => Next::Delivered,
        Verdict::Permanent => Next::Failed,
        Verdict::Transient { retry_after } => {
            let schedule =
                retry::effective_policy(policies.0.as_ref(), policies.1.as_ref()).schedule();
            match retry::next_delay(
                &schedule,
                attempts_made,
                retry_after,
                &mut rand::thread_rng(),
            ) {
                None => Next::Failed,
                Some(delay) => Next::RetryAt(now + delay.as_millis() as i64),
            }
        }
    }
}
