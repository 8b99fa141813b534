//! Alerts: state-change subscriptions (the Providence notification rules).
//!
//! Pure code, no I/O, at the routing layer's level. A message may report
//! that an element is now ok, warning or error (`layout`, from the queue's
//! `_alert` metadata); a subscription in alert mode (`rule`, from
//! `options.alert`) hears that a watched state "occurred" once it has
//! lasted the rule's interval, and that it was "resolved" at once, but only
//! after an "occurred" was sent (`machine`). When a whole branch fails,
//! only the highest element is told (`machine::on_due`).
pub mod layout;
pub mod machine;
pub mod providence;
pub mod rule;
pub mod state;

#[cfg(test)]
mod seed_table_tests;

pub use layout::{AlertLayout, Report};
pub use machine::{judge, on_due, Ancestor, DueVerdict, Effect, ElementState, Judgement, Pending};
pub use rule::AlertRule;
pub use state::{AlertKind, AlertState};

use serde_json::{Map, Value};

/// Checks a subscription's `options.alert` against its queue's metadata:
/// Ok(None) when the subscription is not in alert mode.
pub fn validate_subscription(
    options: &Map<String, Value>,
    queue_metadata: &Map<String, Value>,
) -> Result<Option<AlertRule>, String> {
    let Some(rule) = AlertRule::from_options(options)? else {
        return Ok(None);
    };
    let layout = AlertLayout::from_metadata(queue_metadata)?;
    rule.check_levels(&layout)?;
    Ok(Some(rule))
}
