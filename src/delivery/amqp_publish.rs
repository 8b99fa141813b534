//! The AMQP channel: turns a job into one message for the AMQP driver. The
//! body is byte for byte what a webhook receives (`post_data` honoured); the
//! routing key is the message's event type (`routing::event_type`: by
//! default `body.event_type`), else the queue name, so consumers bind with
//! topic patterns like `repo.sync.*` or `#`.
use serde_json::{Map, Value};

use super::channels::Channels;
use super::job::Job;
use crate::domain::amqp_target::MAX_SHORT_STRING;
use crate::domain::delivery::DeliveryKind;
use crate::domain::Subscriber;
use crate::drivers::amqp::AmqpMessage;
use crate::drivers::webhook;
use crate::drivers::{AttemptOutcome, Verdict};
use crate::store::entities::subscription;

/// Application header naming the tidings queue the message was posted to.
pub const QUEUE_HEADER: &str = "x-tidings-queue";
/// Application header with the subscription the message was sent for.
pub const SUBSCRIPTION_HEADER: &str = "x-tidings-subscription";
/// Application header with the Zaqar message id, when there is one.
pub const MESSAGE_HEADER: &str = "x-tidings-message-id";

/// True for `amqp://` and `amqps://` subscribers.
pub fn is_amqp(subscriber: &str) -> bool {
    let scheme = subscriber.split_once("://").map(|(s, _)| s);
    scheme.is_some_and(|s| s.eq_ignore_ascii_case("amqp") || s.eq_ignore_ascii_case("amqps"))
}

/// The routing key of a job: the message's event type for notifications,
/// the queue name when it has none (or one too long for a routing key); the
/// Zaqar `Message_Type` (`SubscriptionConfirmation`,
/// `UnsubscribeConfirmation`) for the lifecycle messages a subscription gets
/// when confirmation is required.
pub fn routing_key(
    kind: DeliveryKind,
    queue: &str,
    event_type: Option<&str>,
    dict: &Value,
) -> String {
    match kind {
        DeliveryKind::Notification => event_type
            .filter(|t| !t.is_empty() && t.len() <= MAX_SHORT_STRING)
            .unwrap_or(queue)
            .to_string(),
        // `alert.occurred.error`: consumers bind to what they care about.
        DeliveryKind::Alert => match dict.get("alert") {
            Some(alert) => format!(
                "alert.{}.{}",
                alert
                    .get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown"),
                alert
                    .get("state")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown")
            ),
            None => queue.to_string(),
        },
        DeliveryKind::Confirmation | DeliveryKind::Unsubscribed => dict
            .get("Message_Type")
            .and_then(Value::as_str)
            .unwrap_or(queue)
            .to_string(),
    }
}

impl Channels {
    pub(super) async fn publish_amqp(
        &self,
        job: &Job,
        sub: &subscription::Model,
        options: &Map<String, Value>,
        dict: &Value,
    ) -> AttemptOutcome {
        let target = match Subscriber::parse(&sub.subscriber) {
            Ok(Subscriber::Amqp(target)) => target,
            _ => {
                return AttemptOutcome {
                    verdict: Verdict::Permanent,
                    code: None,
                    detail: "the subscriber is not a valid amqp:// URI".into(),
                    duration: std::time::Duration::ZERO,
                }
            }
        };
        let (body, _http_headers) = webhook::zaqar_body(dict, options);
        let mut headers = vec![
            (QUEUE_HEADER, sub.queue.clone()),
            (SUBSCRIPTION_HEADER, sub.id.clone()),
        ];
        if let Some(id) = &job.delivery.message_id {
            headers.push((MESSAGE_HEADER, id.clone()));
        }
        let routing_key = routing_key(job.kind, &sub.queue, job.event_type.as_deref(), dict);
        let message = AmqpMessage {
            target: &target,
            exchange: target.exchange_or(&self.settings.amqp_exchange),
            routing_key: &routing_key,
            body,
            // The same id on every retry (and the webhook-id a webhook
            // would get), so consumers can deduplicate.
            message_id: format!("msg_{}", job.delivery.id),
            // When the message was posted, not when this attempt runs: a
            // retry carries the same properties.
            timestamp_secs: (job.delivery.created_at.max(0) / 1000) as u64,
            headers,
            require_route: options
                .get("require_route")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        };
        self.amqp.send(&message).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn alert_routing_keys_name_the_kind_and_state() {
        let dict = serde_json::json!({"alert": {"kind": "occurred", "state": "error"}});
        assert_eq!(
            routing_key(DeliveryKind::Alert, "q", Some("x"), &dict),
            "alert.occurred.error"
        );
        assert_eq!(
            routing_key(DeliveryKind::Alert, "q", None, &serde_json::json!({})),
            "q"
        );
    }

    #[test]
    fn amqp_schemes() {
        assert!(is_amqp("amqp://h"));
        assert!(is_amqp("AMQPS://u:p@h/v?exchange=x"));
        assert!(!is_amqp("http://h"));
        assert!(!is_amqp("mailto:amqp://x"));
        assert!(!is_amqp("amqpx://h"));
    }

    #[test]
    fn routing_keys() {
        let note = json!({"body": {}, "queue_name": "q", "Message_Type": "Notification"});
        let key = |event: Option<&str>| routing_key(DeliveryKind::Notification, "q", event, &note);
        assert_eq!(key(None), "q");
        assert_eq!(key(Some("repo.sync.finish")), "repo.sync.finish");
        assert_eq!(key(Some("")), "q");
        assert_eq!(key(Some(&"x".repeat(256))), "q");
        assert_eq!(key(Some(&"x".repeat(255))), "x".repeat(255));
        let confirm = json!({"Message_Type": "SubscriptionConfirmation"});
        assert_eq!(
            routing_key(DeliveryKind::Confirmation, "q", None, &confirm),
            "SubscriptionConfirmation"
        );
    }
}
