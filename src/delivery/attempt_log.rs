//! The log line each delivery attempt leaves. A success is routine (debug:
//! at thousands a second an info line each would cost more than the
//! attempt); a
//! failure is a warning that says why (the attempt's detail, which names no
//! full address or secret) and what happens next, so an operator reading the
//! log learns as much as the delivery log shows.
use crate::clock::iso8601;
use crate::drivers::{AttemptOutcome, Verdict};
use crate::store::delivery_outcomes::Next;

pub fn log_attempt(channel: &str, outcome: &AttemptOutcome, next: &Next, now: i64) {
    let then = match next {
        Next::Delivered => "done".to_string(),
        Next::RetryAt(at) => format!(
            "retry in {}s at {}",
            ((at - now).max(0) + 999) / 1000,
            iso8601(*at)
        ),
        Next::Failed => {
            "gave up: failed (dead letter; POST .../deliveries/{id}/retry redelivers)".to_string()
        }
    };
    let code = outcome
        .code
        .map(|c| c.to_string())
        .unwrap_or_else(|| "-".into());
    match outcome.verdict {
        Verdict::Delivered => {
            tracing::debug!(channel, outcome = outcome.outcome_label(), code = %code, "delivery attempt")
        }
        _ => tracing::warn!(
            channel,
            outcome = outcome.outcome_label(),
            code = %code,
            detail = %outcome.detail,
            next = %then,
            "delivery attempt failed"
        ),
    }
}
