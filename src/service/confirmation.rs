//! The outbox rows the subscription lifecycle enqueues, and their payloads.
//!
//! Payloads per `DeliveryKind` (what the delivery worker reads):
//! - `Confirmation`, mailto: `{"queue","project","subscriber","confirm_url",
//!   "expires_at"}` (`expires_at` in epoch ms). The plaintext link must be in
//!   the row so a worker restarted after a crash can still send it; the
//!   worker scrubs `confirm_url` from the payload once the email is sent.
//! - `Confirmation`, webhook (only with `require_confirmation = all`): Zaqar's
//!   `SubscriptionConfirmation` dict, keys in Zaqar's order; the worker
//!   appends `queue_name`.
//! - `Unsubscribed`, mailto: `{"queue","project","subscriber"}`.
//! - `Unsubscribed`, webhook (with `all`): Zaqar's `UnsubscribeConfirmation`.
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::{json, Value};

use super::confirmation_cap;
use super::Deps;
use crate::config::{RequireConfirmation, Settings};
use crate::domain::abuse_limit::LimitKind;
use crate::domain::delivery::{DeliveryKind, NewDelivery};
use crate::domain::secret_key::SecretKey;
use crate::domain::signed_url;
use crate::domain::subscription::{Status, DEFAULT_SUBSCRIPTION_TTL};
use crate::domain::Subscriber;
use crate::store;
use crate::store::entities::subscription;

/// The status a new (or re-subscribed) subscription starts in.
pub fn initial_status(policy: RequireConfirmation, subscriber: &Subscriber) -> Status {
    let needs = match policy {
        RequireConfirmation::All => true,
        RequireConfirmation::Mailto => subscriber.is_mailto(),
        RequireConfirmation::None => false,
    };
    if needs {
        Status::Pending
    } else {
        Status::Active
    }
}

/// Zaqar's confirmation dict for webhooks, signed for `PUT .../confirm`.
pub fn zaqar_confirmation_payload(
    key: &SecretKey,
    subscribe: bool,
    queue: &str,
    project: &str,
    subscription_id: &str,
    expires_ms: i64,
) -> Value {
    let path = format!(
        "{}/subscriptions/{subscription_id}/confirm",
        crate::domain::key_href(queue)
    );
    let expires = signed_url::format_expires(expires_ms);
    let signature = signed_url::sign(
        key.bytes(),
        std::slice::from_ref(&path),
        &["PUT".to_string()],
        project,
        &expires,
    );
    let word = match crate::domain::QueueName::from_key(queue) {
        Some(name) => name.namespace().word(),
        None => "queue",
    };
    let queue = crate::domain::display_name(queue);
    let (kind, message) = if subscribe {
        (
            "SubscriptionConfirmation",
            format!("You have chosen to subscribe to the {word}: {queue}"),
        )
    } else {
        (
            "UnsubscribeConfirmation",
            format!("You have unsubscribed successfully to the {word}: {queue}, you can resubscribe it by using confirmed=True."),
        )
    };
    json!({
        "Message_Type": kind,
        "Message": message,
        "URL-Signature": signature,
        "URL-Methods": "PUT",
        "URL-Paths": path,
        "X-Project-ID": project,
        "URL-Expires": expires,
        "SubscribeBody": {"confirmed": true},
        "UnsubscribeBody": {"confirmed": false},
    })
}

fn delivery(
    row: &subscription::Model,
    kind: DeliveryKind,
    payload: Value,
    now: i64,
) -> NewDelivery {
    NewDelivery {
        project: row.project.clone(),
        queue: row.queue.clone(),
        subscription_id: row.id.clone(),
        subscriber: row.subscriber.clone(),
        kind,
        message_id: None,
        payload,
        due_at: now,
    }
}

/// Why a confirmation was not queued.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// An address had its hourly share of confirmation emails; one more
    /// may go after this many seconds.
    #[error("confirmation emails to this address are capped; retry in {retry_after} s")]
    Capped { retry_after: u64 },
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Enqueues the confirmation request for a pending subscription and records
/// when, for the re-send rate limit. For mailto it also stores the hashed
/// token and returns the plaintext link (the caller's only copy besides the
/// outbox row). Every confirmation email counts against the per-address
/// cap; over it, nothing is queued and the caller's transaction should
/// roll back.
pub async fn send(
    db: &impl ConnectionTrait,
    deps: &Deps<'_>,
    row: &subscription::Model,
    now: i64,
) -> Result<Option<String>, SendError> {
    let Ok(subscriber) = Subscriber::parse(&row.subscriber) else {
        // Stored subscribers were parsed on the way in; nothing to send to.
        tracing::warn!(subscription_id = %row.id, "stored subscriber no longer parses");
        return Ok(None);
    };
    if let Subscriber::Mailto(mailto) = &subscriber {
        let addresses: Vec<_> = mailto
            .to
            .iter()
            .chain(&mailto.cc)
            .chain(&mailto.bcc)
            .collect();
        let cap = deps.settings.confirmations_per_address_hour;
        if let Err(retry_after) = confirmation_cap::record(db, &addresses, cap, now).await? {
            deps.metrics.record_rate_limited(LimitKind::Confirmation);
            tracing::warn!(
                subscription_id = %row.id,
                subscriber = %subscriber.masked(),
                retry_after,
                "confirmation email not sent: the address had {cap} in the last hour"
            );
            return Err(SendError::Capped { retry_after });
        }
    }
    store::subscriptions::mark_confirmation_sent(db, &row.id, now).await?;
    match subscriber {
        Subscriber::Mailto(_) => {
            let (link, expires_at) = issue_confirm_link(db, deps.settings, row, now).await?;
            let payload = json!({
                "queue": row.queue,
                "project": row.project,
                "subscriber": row.subscriber,
                "confirm_url": link,
                "expires_at": expires_at,
            });
            store::deliveries::enqueue(db, delivery(row, DeliveryKind::Confirmation, payload, now))
                .await?;
            Ok(Some(link))
        }
        Subscriber::Webhook { .. } | Subscriber::Amqp(_) => {
            let payload = zaqar_confirmation_payload(
                deps.secret,
                true,
                &row.queue,
                &row.project,
                &row.id,
                now + row.ttl * 1000,
            );
            store::deliveries::enqueue(db, delivery(row, DeliveryKind::Confirmation, payload, now))
                .await?;
            Ok(None)
        }
    }
}

/// A fresh confirm link for the subscription, as settings shape it
/// (`store::tokens::issue_confirm_link`).
pub async fn issue_confirm_link(
    db: &impl ConnectionTrait,
    settings: &Settings,
    row: &subscription::Model,
    now: i64,
) -> Result<(String, i64), DbErr> {
    let ttl_ms = settings.confirm_token_ttl_secs as i64 * 1000;
    store::tokens::issue_confirm_link(db, &settings.public_url(), ttl_ms, row, now).await
}

/// True when a pending subscription may be sent its confirmation again.
pub fn resend_due(row: &subscription::Model, interval_secs: u64, now: i64) -> bool {
    match row.last_confirmation_sent_at {
        None => true,
        Some(at) => now - at >= interval_secs as i64 * 1000,
    }
}

/// The notice after `PUT .../confirm {"confirmed": false}`: an email for
/// mailto, Zaqar's `UnsubscribeConfirmation` for webhooks when webhooks need
/// confirmation at all.
pub async fn send_unsubscribed(
    db: &impl ConnectionTrait,
    deps: &Deps<'_>,
    row: &subscription::Model,
    now: i64,
) -> Result<(), DbErr> {
    let Ok(subscriber) = Subscriber::parse(&row.subscriber) else {
        return Ok(());
    };
    let payload = match subscriber {
        Subscriber::Mailto(_) => json!({
            "queue": row.queue,
            "project": row.project,
            "subscriber": row.subscriber,
        }),
        Subscriber::Webhook { .. } | Subscriber::Amqp(_) => {
            if deps.settings.require_confirmation != RequireConfirmation::All {
                return Ok(());
            }
            zaqar_confirmation_payload(
                deps.secret,
                false,
                &row.queue,
                &row.project,
                &row.id,
                now + DEFAULT_SUBSCRIPTION_TTL * 1000,
            )
        }
    };
    store::deliveries::enqueue(db, delivery(row, DeliveryKind::Unsubscribed, payload, now)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_payload_has_zaqar_keys_in_order() {
        let key = SecretKey::from_bytes(b"test-secret".to_vec());
        let expires = signed_url::parse_expires("2026-11-22T09:32:42").unwrap();
        let p = zaqar_confirmation_payload(
            &key,
            true,
            "cap-b1",
            "p1",
            "850fa9e6-9712-4ad0-a56d-90ece0e8c1a5",
            expires,
        );
        let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "Message_Type",
                "Message",
                "URL-Signature",
                "URL-Methods",
                "URL-Paths",
                "X-Project-ID",
                "URL-Expires",
                "SubscribeBody",
                "UnsubscribeBody"
            ]
        );
        assert_eq!(
            p["Message"],
            "You have chosen to subscribe to the queue: cap-b1"
        );
        assert_eq!(p["URL-Expires"], "2026-11-22T09:32:42");
        // Same value as the python one-liner in domain::signed_url's test.
        assert_eq!(
            p["URL-Signature"],
            "e4c22127650b9c24606ec59c5f0b99058a32c3e70297d3c6e3f8d5ad4d45bbac"
        );
        let u = zaqar_confirmation_payload(&key, false, "cap-b1", "p1", "x", expires);
        assert_eq!(u["Message_Type"], "UnsubscribeConfirmation");
    }
}
