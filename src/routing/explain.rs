//! The one routing decision: is this message for this subscription, and if
//! not, why. Fan-out asks it for every active subscription; the routes
//! endpoints ask it for every subscription and show the answer.
use serde_json::Value;

use super::policy::Policy;
use super::subscription::SubscriptionRouting;
use crate::domain::subscription::Status;

/// Why a subscription does not get a message, in the order they are
/// checked: lifecycle first, then the subscription's own routing, then the
/// operator's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Pending,
    Unsubscribed,
    Expired,
    EventType,
    Filter,
    Policy,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Pending => "pending",
            Reason::Unsubscribed => "unsubscribed",
            Reason::Expired => "expired",
            Reason::EventType => "event_type",
            Reason::Filter => "filter",
            Reason::Policy => "policy",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub deliver: bool,
    pub reason: Option<Reason>,
}

impl Decision {
    fn from(reason: Option<Reason>) -> Decision {
        Decision {
            deliver: reason.is_none(),
            reason,
        }
    }
}

/// A subscription as the decision sees it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub status: Status,
    pub expires_at: i64,
    pub routing: &'a SubscriptionRouting,
}

/// A message as the decision sees it.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    pub event_type: Option<&'a str>,
    pub body: &'a Value,
}

pub fn explain(
    candidate: Candidate<'_>,
    message: Message<'_>,
    policy: Option<&Policy>,
    now: i64,
) -> Decision {
    let lifecycle = match candidate.status {
        Status::Pending => Some(Reason::Pending),
        Status::Unsubscribed => Some(Reason::Unsubscribed),
        Status::Active if candidate.expires_at <= now => Some(Reason::Expired),
        Status::Active => None,
    };
    if lifecycle.is_some() {
        return Decision::from(lifecycle);
    }
    Decision::from(
        candidate
            .routing
            .refuses(message.event_type, || message.body, policy),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::notification_types::NotificationTypes;
    use serde_json::json;

    #[test]
    fn every_reason() {
        let types = NotificationTypes::default();
        let routing = SubscriptionRouting::compile(
            json!({"event_types": ["repo.*"], "filter": {"repo_id": [{"prefix": "pulp"}]}})
                .as_object()
                .unwrap(),
            "https",
            &types,
        )
        .unwrap();
        let only_email = Policy::from_metadata(&json!({"*": ["email"]}), &types)
            .unwrap()
            .unwrap();
        let body = json!({"repo_id": "pulp2"});
        let other = json!({"repo_id": "zoo"});
        let now = 1_000;
        let sub = |status, expires_at| Candidate {
            status,
            expires_at,
            routing: &routing,
        };
        let msg = |event_type, body| Message { event_type, body };
        let cases = [
            (
                sub(Status::Active, 2_000),
                msg(Some("repo.sync.start"), &body),
                None,
                None,
            ),
            (
                sub(Status::Pending, 2_000),
                msg(Some("repo.sync.start"), &body),
                None,
                Some(Reason::Pending),
            ),
            (
                sub(Status::Unsubscribed, 2_000),
                msg(Some("repo.sync.start"), &body),
                None,
                Some(Reason::Unsubscribed),
            ),
            (
                sub(Status::Active, 1_000),
                msg(Some("repo.sync.start"), &body),
                None,
                Some(Reason::Expired),
            ),
            (
                sub(Status::Active, 2_000),
                msg(None, &body),
                None,
                Some(Reason::EventType),
            ),
            (
                sub(Status::Active, 2_000),
                msg(Some("repo.sync.start"), &other),
                None,
                Some(Reason::Filter),
            ),
            (
                sub(Status::Active, 2_000),
                msg(Some("repo.sync.start"), &body),
                Some(&only_email),
                Some(Reason::Policy),
            ),
            // Lifecycle wins over routing.
            (
                sub(Status::Pending, 2_000),
                msg(None, &other),
                Some(&only_email),
                Some(Reason::Pending),
            ),
        ];
        for (candidate, message, policy, reason) in cases {
            let d = explain(candidate, message, policy, now);
            assert_eq!(d.reason, reason, "{candidate:?} {message:?}");
            assert_eq!(d.deliver, reason.is_none());
        }
        let names: Vec<&str> = [
            Reason::Pending,
            Reason::Unsubscribed,
            Reason::Expired,
            Reason::EventType,
            Reason::Filter,
            Reason::Policy,
        ]
        .iter()
        .map(|r| r.as_str())
        .collect();
        assert_eq!(
            names,
            [
                "pending",
                "unsubscribed",
                "expired",
                "event_type",
                "filter",
                "policy"
            ]
        );
    }
}
