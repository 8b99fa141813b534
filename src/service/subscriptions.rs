//! Subscription use cases behind the Zaqar API: create (with its duplicate
//! rules), update, confirm/unsubscribe by PUT, delete.
//!
//! Duplicates (same project + queue + subscriber URI):
//! - confirmed by its owner (link or `PUT .../confirm true`): 409;
//! - pending: 201 with the same id; the confirmation is re-sent at most once
//!   per `confirmation_resend_interval_secs`; ttl and options unchanged;
//! - active without ever needing confirmation (a webhook under the default
//!   policy): 201 with the same id, unchanged, as Zaqar answers while
//!   confirmation is off (python-zaqarclient relies on it);
//! - unsubscribed: a re-subscribe. 201 with the same id, back to the status a
//!   new subscription gets (pending for mailto, so the owner must confirm
//!   again) and a fresh confirmation, rate limited as above.
use sea_orm::{DbErr, TransactionTrait};

use super::Deps;
use super::{confirmation, webhook_reach};
use crate::domain::masking;
use crate::domain::subscription::{NewSubscription, Status, SubscriberUri, SubscriptionPatch};
use crate::domain::{ProjectId, QueueName};
use crate::store;
use crate::store::entities::subscription;

#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    #[error("subscription not found")]
    NotFound,
    #[error("subscription already exists")]
    Conflict,
    /// Its routing options, or the notification policy, refuse it.
    #[error("{0}")]
    Invalid(String),
    /// The per-address confirmation cap: nothing was changed; one more
    /// confirmation may go after `retry_after` seconds.
    #[error("confirmation emails to this address are capped")]
    ConfirmationsCapped { retry_after: u64 },
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<confirmation::SendError> for SubscriptionError {
    fn from(err: confirmation::SendError) -> Self {
        match err {
            confirmation::SendError::Capped { retry_after } => {
                SubscriptionError::ConfirmationsCapped { retry_after }
            }
            confirmation::SendError::Db(err) => SubscriptionError::Db(err),
        }
    }
}

#[derive(Debug)]
pub struct Created {
    pub id: String,
    /// The plaintext confirmation link when one was issued. The HTTP handler
    /// drops it (the outbox row carries it to the email); tests use it.
    pub confirm_url: Option<String>,
}

pub async fn create(
    deps: &Deps<'_>,
    project: &ProjectId,
    queue: &QueueName,
    mut new: NewSubscription,
) -> Result<Created, SubscriptionError> {
    let now = deps.now();
    masking::restore_signing_secret(&mut new.options, None).map_err(SubscriptionError::Invalid)?;
    let metadata = deps.metadata.get(deps.db, project, queue).await?;
    deps.router
        .compile_for_subscribe(&new.options, &new.subscriber.raw, &metadata)
        .map_err(SubscriptionError::Invalid)?;
    let txn = deps.db.begin().await?;
    // Zaqar creates the queue lazily; validation already passed, so a
    // refused request still writes nothing.
    store::queues::create_if_absent(&txn, project, queue, &Default::default(), now).await?;

    let mut existing =
        store::subscriptions::find_by_subscriber(&txn, project, queue, &new.subscriber.raw).await?;
    if let Some(old) = existing.as_ref().filter(|old| old.expires_at <= now) {
        // Expired but not yet swept: it no longer exists for the API.
        store::subscriptions::delete_by_id(&txn, &old.id).await?;
        existing = None;
    }
    let row = match existing {
        Some(row) => row,
        None => {
            let status = confirmation::initial_status(
                deps.settings.require_confirmation,
                &new.subscriber.parsed,
            );
            let row = subscription::Model {
                id: uuid::Uuid::new_v4().to_string(),
                project: project.as_str().to_string(),
                queue: queue.as_str().to_string(),
                subscriber: new.subscriber.raw.clone(),
                ttl: new.ttl,
                options: serde_json::Value::Object(new.options.clone()).to_string(),
                status: status.as_str().to_string(),
                created_at: now,
                expires_at: now + new.ttl * 1000,
                updated_at: now,
                confirmed_at: None,
                last_confirmation_sent_at: None,
            };
            if store::subscriptions::insert_if_absent(&txn, row.clone()).await? {
                let confirm_url = if status == Status::Pending {
                    confirmation::send(&txn, deps, &row, now).await?
                } else {
                    None
                };
                txn.commit().await?;
                deps.fanout_targets.subscriptions_changed();
                // Confirmation and unsubscribe notices go out now, not at the next poll.
                deps.wake.notify_one();
                tracing::info!(subscription_id = %row.id, subscriber = %new.subscriber.parsed.masked(), status = status.as_str(), "subscription created");
                webhook_reach::warn_if_refused(
                    &row.id,
                    &new.subscriber.parsed,
                    &deps.settings.webhook_allow_nets,
                );
                return Ok(Created {
                    id: row.id,
                    confirm_url,
                });
            }
            // A concurrent request inserted the same subscriber first.
            store::subscriptions::find_by_subscriber(&txn, project, queue, &new.subscriber.raw)
                .await?
                .ok_or(SubscriptionError::Conflict)?
        }
    };

    let interval = deps.settings.confirmation_resend_interval_secs;
    let confirm_url = match Status::parse(&row.status) {
        Status::Active if row.confirmed_at.is_some() => return Err(SubscriptionError::Conflict),
        Status::Active => None,
        Status::Pending if confirmation::resend_due(&row, interval, now) => {
            confirmation::send(&txn, deps, &row, now).await?
        }
        Status::Pending => None,
        Status::Unsubscribed => {
            let status = confirmation::initial_status(
                deps.settings.require_confirmation,
                &new.subscriber.parsed,
            );
            store::subscriptions::set_status(&txn, &row.id, status.as_str(), None, now).await?;
            if status == Status::Pending && confirmation::resend_due(&row, interval, now) {
                confirmation::send(&txn, deps, &row, now).await?
            } else {
                None
            }
        }
    };
    txn.commit().await?;
    deps.fanout_targets.subscriptions_changed();
    // Confirmation and unsubscribe notices go out now, not at the next poll.
    deps.wake.notify_one();
    Ok(Created {
        id: row.id,
        confirm_url,
    })
}

/// PATCH: a new ttl restarts the expiry; new options replace the old ones; a
/// new subscriber URI is a new address, so it goes back through
/// confirmation when its scheme needs it (else PATCH would bypass the
/// double opt-in).
pub async fn update(
    deps: &Deps<'_>,
    project: &ProjectId,
    queue: &QueueName,
    id: &str,
    mut patch: SubscriptionPatch,
) -> Result<(), SubscriptionError> {
    let now = deps.now();
    let txn = deps.db.begin().await?;
    let mut row = store::subscriptions::get_live(&txn, project, queue, id, now)
        .await?
        .ok_or(SubscriptionError::NotFound)?;
    if let Some(options) = patch.options.as_mut() {
        masking::restore_signing_secret(options, Some(&row.options))
            .map_err(SubscriptionError::Invalid)?;
    }
    if patch.subscriber.is_some() || patch.options.is_some() {
        // What the row will route by: the new parts over the old.
        let subscriber = patch
            .subscriber
            .as_ref()
            .map_or(&row.subscriber, |s| &s.raw);
        let stored;
        let options = match &patch.options {
            Some(options) => options,
            None => {
                stored = serde_json::from_str(&row.options).unwrap_or_default();
                &stored
            }
        };
        let metadata = deps.metadata.get(&txn, project, queue).await?;
        deps.router
            .compile_for_subscribe(options, subscriber, &metadata)
            .map_err(SubscriptionError::Invalid)?;
    }
    let mut needs_confirmation = false;
    let mut new_subscriber = None;
    // A client that writes back the subscriber it read (password masked)
    // has not changed it.
    let changed = |s: &SubscriberUri| {
        s.raw != row.subscriber && !masking::is_masked_form_of(&s.raw, &row.subscriber)
    };
    if let Some(subscriber) = patch.subscriber.filter(changed) {
        new_subscriber = Some(subscriber.parsed.clone());
        if let Some(other) =
            store::subscriptions::find_by_subscriber(&txn, project, queue, &subscriber.raw).await?
        {
            if other.expires_at > now {
                return Err(SubscriptionError::Conflict);
            }
            store::subscriptions::delete_by_id(&txn, &other.id).await?;
        }
        let status =
            confirmation::initial_status(deps.settings.require_confirmation, &subscriber.parsed);
        row.subscriber = subscriber.raw;
        row.status = status.as_str().to_string();
        row.confirmed_at = None;
        row.last_confirmation_sent_at = None;
        needs_confirmation = status == Status::Pending;
    }
    if let Some(ttl) = patch.ttl {
        row.ttl = ttl;
        row.expires_at = now + ttl * 1000;
    }
    if let Some(options) = patch.options {
        row.options = serde_json::Value::Object(options).to_string();
    }
    row.updated_at = now;
    store::subscriptions::save(&txn, row.clone()).await?;
    if needs_confirmation {
        confirmation::send(&txn, deps, &row, now).await?;
    }
    txn.commit().await?;
    deps.fanout_targets.subscriptions_changed();
    // Confirmation and unsubscribe notices go out now, not at the next poll.
    deps.wake.notify_one();
    if let Some(parsed) = new_subscriber {
        webhook_reach::warn_if_refused(id, &parsed, &deps.settings.webhook_allow_nets);
    }
    Ok(())
}

/// `PUT .../confirm`: true activates (and marks it confirmed by its owner);
/// false unsubscribes and, when the status changes, enqueues the notice.
pub async fn set_confirmed(
    deps: &Deps<'_>,
    project: &ProjectId,
    queue: &QueueName,
    id: &str,
    confirmed: bool,
) -> Result<(), SubscriptionError> {
    let now = deps.now();
    let txn = deps.db.begin().await?;
    let row = store::subscriptions::get_live(&txn, project, queue, id, now)
        .await?
        .ok_or(SubscriptionError::NotFound)?;
    if confirmed {
        store::subscriptions::set_status(&txn, id, Status::Active.as_str(), Some(now), now).await?;
    } else if Status::parse(&row.status) != Status::Unsubscribed {
        store::subscriptions::set_status(&txn, id, Status::Unsubscribed.as_str(), None, now)
            .await?;
        confirmation::send_unsubscribed(&txn, deps, &row, now).await?;
    }
    txn.commit().await?;
    deps.fanout_targets.subscriptions_changed();
    // Confirmation and unsubscribe notices go out now, not at the next poll.
    deps.wake.notify_one();
    Ok(())
}

pub async fn delete(
    deps: &Deps<'_>,
    project: &ProjectId,
    queue: &QueueName,
    id: &str,
) -> Result<(), DbErr> {
    let txn = deps.db.begin().await?;
    store::subscriptions::delete(&txn, project, queue, id).await?;
    txn.commit().await?;
    deps.fanout_targets.subscriptions_changed();
    // Confirmation and unsubscribe notices go out now, not at the next poll.
    deps.wake.notify_one();
    Ok(())
}
