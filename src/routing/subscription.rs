//! A subscription's routing, compiled once from its options: the event
//! types it wants, its attribute filter and its notification type.
use serde_json::{Map, Value};

use super::explain::Reason;
use super::filter::Filter;
use super::notification_types::{NotificationTypes, OPTION_KEY};
use super::patterns::EventTypes;
use super::policy::{EffectivePolicy, Policy};

pub const EVENT_TYPES_KEY: &str = "event_types";
pub const FILTER_KEY: &str = "filter";

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SubscriptionRouting {
    /// None: every event type.
    pub event_types: Option<EventTypes>,
    /// None: every body.
    pub filter: Option<Filter>,
    /// None only when the server declares no notification types.
    pub notification_type: Option<String>,
}

/// The scheme of a subscriber URI, lower-cased (`mailto`, `https`, ...).
pub fn scheme_of(subscriber: &str) -> String {
    subscriber
        .split_once(':')
        .map(|(scheme, _)| scheme.to_ascii_lowercase())
        .unwrap_or_default()
}

fn present<'a>(options: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    options.get(key).filter(|v| !v.is_null())
}

impl SubscriptionRouting {
    /// The subscribe-time compile: any invalid part is refused, with a
    /// message naming the option (and the filter key).
    pub fn compile(
        options: &Map<String, Value>,
        scheme: &str,
        types: &NotificationTypes,
    ) -> Result<SubscriptionRouting, String> {
        let event_types = present(options, EVENT_TYPES_KEY)
            .map(EventTypes::from_json)
            .transpose()?;
        let filter = present(options, FILTER_KEY)
            .map(Filter::from_json)
            .transpose()?;
        let notification_type = types
            .resolve(options.get(OPTION_KEY), scheme)?
            .map(|t| t.name.clone());
        Ok(SubscriptionRouting {
            event_types,
            filter,
            notification_type,
        })
    }

    /// The fan-out compile of a stored subscription. Stored options passed
    /// `compile` when written; a part that no longer compiles (written
    /// before routing existed, or naming a type the operator has since
    /// removed) is left out rather than stopping every delivery: a bad
    /// event type list or filter then lets everything through, and an
    /// unknown type falls back to the scheme's default type.
    pub fn compile_stored(options_json: &str, scheme: &str, types: &NotificationTypes) -> Self {
        let options = match serde_json::from_str::<Value>(options_json) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        if let Ok(routing) = SubscriptionRouting::compile(&options, scheme, types) {
            return routing;
        }
        SubscriptionRouting {
            event_types: present(&options, EVENT_TYPES_KEY)
                .and_then(|v| EventTypes::from_json(v).ok()),
            filter: present(&options, FILTER_KEY).and_then(|v| Filter::from_json(v).ok()),
            notification_type: types
                .resolve(options.get(OPTION_KEY), scheme)
                .or_else(|_| types.resolve(None, scheme))
                .ok()
                .flatten()
                .map(|t| t.name.clone()),
        }
    }

    /// The subscribe-time policy check.
    pub fn check_policy(&self, effective: &EffectivePolicy) -> Result<(), String> {
        match effective.get() {
            None => Ok(()),
            Some(policy) => policy.check(
                effective.source,
                self.event_types.as_ref(),
                self.notification_type.as_deref(),
            ),
        }
    }

    /// True when deciding needs the message body.
    pub fn needs_body(&self) -> bool {
        self.filter.is_some()
    }

    /// Why a message is not for this subscription, or None when it is.
    /// `body` is asked for only when the filter needs it.
    pub fn refuses<'b>(
        &self,
        event_type: Option<&str>,
        body: impl FnOnce() -> &'b Value,
        policy: Option<&Policy>,
    ) -> Option<Reason> {
        if let Some(types) = &self.event_types {
            if !types.matches(event_type) {
                return Some(Reason::EventType);
            }
        }
        if let Some(filter) = &self.filter {
            if !filter.matches(body()) {
                return Some(Reason::Filter);
            }
        }
        if let Some(policy) = policy {
            if !policy.allows(event_type, self.notification_type.as_deref()) {
                return Some(Reason::Policy);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn options(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn schemes() {
        assert_eq!(scheme_of("mailto:a@example.com"), "mailto");
        assert_eq!(scheme_of("HTTPS://h.example.com/x"), "https");
        assert_eq!(scheme_of("nothing"), "");
    }

    #[test]
    fn compile_reads_the_three_options() {
        let types = NotificationTypes::default();
        let r = SubscriptionRouting::compile(
            &options(json!({"event_types": ["repo.*"], "filter": {"a": ["b"]}, "subject": "x"})),
            "mailto",
            &types,
        )
        .unwrap();
        assert!(r.event_types.is_some() && r.filter.is_some());
        assert_eq!(r.notification_type.as_deref(), Some("email"));
        let plain = SubscriptionRouting::compile(&Map::new(), "https", &types).unwrap();
        assert_eq!(plain.event_types, None);
        assert_eq!(plain.notification_type.as_deref(), Some("webhook"));
        let nulls = SubscriptionRouting::compile(
            &options(json!({"event_types": null, "filter": null})),
            "https",
            &types,
        )
        .unwrap();
        assert_eq!(nulls.event_types, None);
        assert_eq!(nulls.filter, None);
        for (bad, expect) in [
            (json!({"event_types": []}), "event_types"),
            (
                json!({"filter": {"a": [{"regex": "x"}]}}),
                "unknown operator",
            ),
            (json!({"notification_type": "fax"}), "notification_type"),
        ] {
            let err = SubscriptionRouting::compile(&options(bad), "https", &types).unwrap_err();
            assert!(err.contains(expect), "{err}");
        }
    }

    #[test]
    fn stored_options_that_no_longer_compile_are_read_leniently() {
        let types = NotificationTypes::default();
        let r = SubscriptionRouting::compile_stored(
            r#"{"event_types": ["a.*"], "filter": "not a filter", "notification_type": "gone"}"#,
            "https",
            &types,
        );
        assert!(r.event_types.is_some());
        assert_eq!(r.filter, None);
        assert_eq!(r.notification_type.as_deref(), Some("webhook"));
        let garbage = SubscriptionRouting::compile_stored("not json", "mailto", &types);
        assert_eq!(garbage.notification_type.as_deref(), Some("email"));
    }

    #[test]
    fn refusal_reasons_in_order() {
        let types = NotificationTypes::default();
        let r = SubscriptionRouting::compile(
            &options(json!({"event_types": ["repo.*"], "filter": {"repo_id": ["pulp2"]}})),
            "https",
            &types,
        )
        .unwrap();
        let policy = Policy::from_metadata(&json!({"*": ["email"]}), &types)
            .unwrap()
            .unwrap();
        let good = json!({"repo_id": "pulp2"});
        let bad = json!({"repo_id": "other"});
        assert_eq!(r.refuses(Some("repo.sync"), || &good, None), None);
        assert_eq!(
            r.refuses(Some("pod.x"), || &good, None),
            Some(Reason::EventType)
        );
        assert_eq!(
            r.refuses(Some("repo.sync"), || &bad, None),
            Some(Reason::Filter)
        );
        assert_eq!(
            r.refuses(Some("repo.sync"), || &good, Some(&policy)),
            Some(Reason::Policy)
        );
        // The body is not even looked at without a filter.
        let plain = SubscriptionRouting::compile(&Map::new(), "https", &types).unwrap();
        assert!(!plain.needs_body());
        assert_eq!(
            plain.refuses(Some("x"), || panic!("body not needed"), None),
            None
        );
    }
}
