use serde_json::{json, Value};

use super::*;
use crate::routing::notification_types::NotificationType;

fn types() -> NotificationTypes {
    NotificationTypes::new(
        vec![
            NotificationType::new("email", "Email notification.", &["mailto"]),
            NotificationType::new("text", "Text message notification.", &["https"]),
        ],
        true,
    )
    .unwrap()
}

/// The seed's `default` ClusterEventNotification.
fn openshift() -> Policy {
    Policy::from_metadata(
        &json!({"Pod:PodFailed": ["email"], "DeploymentConfig:Failed": ["email", "text"]}),
        &types(),
    )
    .unwrap()
    .unwrap()
}

fn patterns(v: Value) -> EventTypes {
    EventTypes::from_json(&v).unwrap()
}

#[test]
fn fan_out_allows_listed_pairs_only() {
    let p = openshift();
    assert!(p.allows(Some("Pod:PodFailed"), Some("email")));
    assert!(!p.allows(Some("Pod:PodFailed"), Some("text")));
    assert!(p.allows(Some("DeploymentConfig:Failed"), Some("text")));
    assert!(!p.allows(Some("Node:NotReady"), Some("email")));
    assert!(!p.allows(None, Some("email")));
    assert!(!p.allows(Some("Pod:PodFailed"), None));
}

#[test]
fn star_covers_other_event_types_and_untyped_messages() {
    let p = Policy::from_metadata(
        &json!({"Pod:PodFailed": ["email"], "*": ["webhook"]}),
        &types(),
    )
    .unwrap()
    .unwrap();
    assert!(p.allows(Some("Node:NotReady"), Some("webhook")));
    assert!(p.allows(None, Some("webhook")));
    // A listed event type is decided by its own entry.
    assert!(!p.allows(Some("Pod:PodFailed"), Some("webhook")));
}

#[test]
fn subscribe_time_check_names_the_refused_pair() {
    let p = openshift();
    let check = |v: Value, t: &str| p.check(PolicySource::Server, Some(&patterns(v)), Some(t));
    assert!(check(json!(["Pod:PodFailed"]), "email").is_ok());
    assert!(check(json!(["DeploymentConfig:Failed"]), "text").is_ok());
    let err = check(json!(["Pod:PodFailed"]), "text").unwrap_err();
    assert!(
        err.contains("\"text\"") && err.contains("\"Pod:PodFailed\""),
        "{err}"
    );
    // A pattern passes when a listed event type it matches allows the type.
    assert!(check(json!(["*:Failed"]), "text").is_ok());
    assert!(check(json!(["Pod:*"]), "email").is_ok());
    let err = check(json!(["Pod:*"]), "text").unwrap_err();
    assert!(err.contains("matching \"Pod:*\""), "{err}");
    assert!(check(json!(["Node:*"]), "email").is_err());
    // Exclusions are not checked; every inclusion is.
    assert!(check(json!(["Pod:PodFailed", "!Pod:Other"]), "email").is_ok());
    assert!(check(json!(["Pod:PodFailed", "DeploymentConfig:Failed"]), "text").is_err());
    // No event types: fine if the type is allowed somewhere.
    assert!(p.check(PolicySource::Queue, None, Some("text")).is_ok());
    let err = p
        .check(PolicySource::Queue, None, Some("webhook"))
        .unwrap_err();
    assert!(
        err.contains("queue's") && err.contains("no event type"),
        "{err}"
    );
    assert!(p.check(PolicySource::Queue, None, None).is_err());
}

#[test]
fn star_entry_admits_unlisted_patterns() {
    let p = Policy::from_metadata(
        &json!({"Pod:PodFailed": ["email"], "*": ["webhook"]}),
        &types(),
    )
    .unwrap()
    .unwrap();
    let ok = |v: Value, t: &str| {
        p.check(PolicySource::Queue, Some(&patterns(v)), Some(t))
            .is_ok()
    };
    assert!(ok(json!(["Node:*"]), "webhook"));
    assert!(ok(json!(["Node:NotReady"]), "webhook"));
    assert!(!ok(json!(["Pod:PodFailed"]), "webhook"));
}

#[test]
fn bad_metadata_is_refused() {
    let cases = [
        (json!(["email"]), "must map event types"),
        (json!("x"), "must map event types"),
        (json!({"Pod:PodFailed": "email"}), "must map to a list"),
        (json!({"Pod:PodFailed": [1]}), "must map to a list"),
        (
            json!({"Pod:PodFailed": ["fax"]}),
            "unknown notification type \"fax\"",
        ),
        (json!({"": ["email"]}), "1 to 256 bytes"),
    ];
    for (value, expect) in cases {
        let err = Policy::from_metadata(&value, &types()).unwrap_err();
        assert!(
            err.contains(expect) && err.contains(METADATA_KEY),
            "{value}: {err}"
        );
    }
    assert_eq!(Policy::from_metadata(&json!({}), &types()).unwrap(), None);
    assert_eq!(Policy::from_metadata(&Value::Null, &types()).unwrap(), None);
    let err =
        Policy::from_metadata(&json!({"a": ["email"]}), &NotificationTypes::none()).unwrap_err();
    assert!(err.contains("declares no notification types"), "{err}");
}

#[test]
fn effective_policy_queue_then_server_then_none() {
    let server = openshift();
    let mut meta = serde_json::Map::new();
    let e = EffectivePolicy::for_queue(&meta, Some(&server), &types());
    assert_eq!(e.source, PolicySource::Server);
    assert_eq!(
        e.to_json(),
        json!({"event_types": {"Pod:PodFailed": ["email"], "DeploymentConfig:Failed": ["email", "text"]}, "source": "server"})
    );
    meta.insert(METADATA_KEY.into(), json!({"*": ["email"]}));
    let e = EffectivePolicy::for_queue(&meta, Some(&server), &types());
    assert_eq!(e.source, PolicySource::Queue);
    assert_eq!(e.to_json()["event_types"], json!({"*": ["email"]}));
    let e = EffectivePolicy::for_queue(&serde_json::Map::new(), None, &types());
    assert_eq!(e.to_json(), json!({"event_types": {}, "source": "none"}));
    // No notification types: the checks are off whatever is stored.
    let e = EffectivePolicy::for_queue(&meta, Some(&server), &NotificationTypes::none());
    assert_eq!(e.source, PolicySource::None);
    assert!(e.get().is_none());
}
