//! Supported notifications per event type (the OpenShift proposal's
//! `ClusterEventNotification`): which notification types each event type
//! may be sent as. Declared for the whole server in
//! `[supported_notifications]` and replaced per queue by the metadata key
//! `_supported_notifications`; `"*"` covers every event type not listed
//! (and messages without one). An event type neither listed nor covered by
//! `"*"` is sent as nothing.
//!
//! When a policy applies (and the server declares notification types):
//! - a subscription may only ask for event types its notification type is
//!   allowed for (a pattern passes when one listed event type it matches
//!   allows the type, or when `"*"` does);
//! - fan-out skips a subscription whose type the message's event type does
//!   not allow.
use indexmap::IndexMap;
use serde_json::Value;

use super::notification_types::NotificationTypes;
use super::patterns::{EventTypes, Glob};

pub const METADATA_KEY: &str = "_supported_notifications";
const OTHERS: &str = "*";
const MAX_KEY_LEN: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Event type (or `"*"`) → notification type names, in declared order.
    entries: IndexMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicySource {
    Queue,
    Server,
    None,
}

impl PolicySource {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicySource::Queue => "queue",
            PolicySource::Server => "server",
            PolicySource::None => "none",
        }
    }
}

impl Policy {
    /// A policy from its entries. An empty table is no policy (None).
    pub fn new(
        entries: IndexMap<String, Vec<String>>,
        types: &NotificationTypes,
    ) -> Result<Option<Policy>, String> {
        for (event_type, names) in &entries {
            if event_type.is_empty() || event_type.len() > MAX_KEY_LEN {
                return Err(format!(
                    "event type {event_type:?} must be 1 to {MAX_KEY_LEN} bytes long"
                ));
            }
            for name in names {
                types
                    .check_name(name)
                    .map_err(|why| format!("event type {event_type:?}: {why}"))?;
            }
        }
        Ok((!entries.is_empty()).then_some(Policy { entries }))
    }

    /// The `_supported_notifications` metadata value: an object of event
    /// type → list of type names. Null or `{}` is no queue policy.
    pub fn from_metadata(
        value: &Value,
        types: &NotificationTypes,
    ) -> Result<Option<Policy>, String> {
        let shape = || {
            format!("{METADATA_KEY} must map event types to lists of notification type names, e.g. {{\"Pod:PodFailed\": [\"email\"]}}.")
        };
        let map = match value {
            Value::Null => return Ok(None),
            Value::Object(map) => map,
            _ => return Err(shape()),
        };
        let mut entries = IndexMap::new();
        for (event_type, names) in map {
            let names = names
                .as_array()
                .and_then(|list| {
                    list.iter()
                        .map(|n| n.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                })
                .ok_or_else(|| {
                    format!("{METADATA_KEY}: event type {event_type:?} must map to a list of notification type names.")
                })?;
            entries.insert(event_type.clone(), names);
        }
        Policy::new(entries, types).map_err(|why| format!("{METADATA_KEY}: {why}."))
    }

    fn allowed_for(&self, key: &str) -> Option<&[String]> {
        self.entries.get(key).map(Vec::as_slice)
    }

    /// Whether a message of `event_type` may be sent as `notification_type`.
    pub fn allows(&self, event_type: Option<&str>, notification_type: Option<&str>) -> bool {
        let Some(wanted) = notification_type else {
            return false;
        };
        let listed = event_type
            .and_then(|e| self.allowed_for(e))
            .or_else(|| self.allowed_for(OTHERS));
        listed.is_some_and(|names| names.iter().any(|n| n == wanted))
    }

    fn pattern_allows(&self, glob: &Glob, notification_type: &str) -> bool {
        if let Some(literal) = glob.literal() {
            return self.allows(Some(literal), Some(notification_type));
        }
        let allows = |names: &Vec<String>| names.iter().any(|n| n == notification_type);
        self.entries
            .iter()
            .any(|(key, names)| key != OTHERS && glob.matches(key) && allows(names))
            || self.entries.get(OTHERS).is_some_and(allows)
    }

    /// The subscribe-time check; the refusal says which pair is refused.
    pub fn check(
        &self,
        source: PolicySource,
        event_types: Option<&EventTypes>,
        notification_type: Option<&str>,
    ) -> Result<(), String> {
        let whose = match source {
            PolicySource::Queue => "The queue's notification policy",
            _ => "The server's notification policy",
        };
        let Some(wanted) = notification_type else {
            return Err(format!(
                "{whose} applies, and this subscription has no notification type."
            ));
        };
        let Some(event_types) = event_types else {
            if self.entries.values().flatten().any(|n| n == wanted) {
                return Ok(());
            }
            return Err(format!(
                "{whose} allows {wanted:?} notifications for no event type."
            ));
        };
        for glob in event_types.included() {
            if !self.pattern_allows(glob, wanted) {
                let what = match glob.literal() {
                    Some(literal) => format!("{literal:?} events"),
                    None => format!("any event type matching {:?}", glob.to_string()),
                };
                return Err(format!(
                    "{whose} does not allow {wanted:?} notifications for {what}."
                ));
            }
        }
        Ok(())
    }

    /// `{"Pod:PodFailed": ["email"], ...}`.
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.entries
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                .collect(),
        )
    }
}

/// The policy in force on one queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectivePolicy {
    pub source: PolicySource,
    pub policy: Option<Policy>,
}

impl EffectivePolicy {
    /// The queue's `_supported_notifications` when it has one, else the
    /// server's; none at all when the server declares no notification
    /// types (the checks are off). A stored queue policy that no longer
    /// reads (a type the operator has since removed) still applies, as
    /// far as it names types that exist.
    pub fn for_queue(
        metadata: &serde_json::Map<String, Value>,
        server: Option<&Policy>,
        types: &NotificationTypes,
    ) -> EffectivePolicy {
        let none = EffectivePolicy {
            source: PolicySource::None,
            policy: None,
        };
        if types.is_empty() {
            return none;
        }
        let queue = metadata.get(METADATA_KEY).and_then(|v| {
            Policy::from_metadata(v, types)
                .ok()
                .flatten()
                .or_else(|| lenient(v))
        });
        match (queue, server) {
            (Some(policy), _) => EffectivePolicy {
                source: PolicySource::Queue,
                policy: Some(policy),
            },
            (None, Some(policy)) => EffectivePolicy {
                source: PolicySource::Server,
                policy: Some(policy.clone()),
            },
            (None, None) => none,
        }
    }

    pub fn get(&self) -> Option<&Policy> {
        self.policy.as_ref()
    }

    /// `GET /v2/queues/{queue}/notification_policy`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "event_types": self.policy.as_ref().map(Policy::to_json).unwrap_or_else(|| Value::Object(Default::default())),
            "source": self.source.as_str(),
        })
    }
}

/// A stored policy read without checking the type names.
fn lenient(value: &Value) -> Option<Policy> {
    let map = value.as_object()?;
    let entries: IndexMap<String, Vec<String>> = map
        .iter()
        .map(|(k, v)| {
            let names = v
                .as_array()
                .map(|list| {
                    list.iter()
                        .filter_map(|n| n.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            (k.clone(), names)
        })
        .collect();
    (!entries.is_empty()).then_some(Policy { entries })
}

#[cfg(test)]
mod tests;
