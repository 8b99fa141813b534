//! The real channels behind the worker: loads what a job needs (the
//! subscription as it is now, the queue's retry policy), renders, and hands
//! one attempt to the webhook, email or AMQP driver (`amqp_publish`).
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;
use serde_json::{Map, Value};

use super::alert_due::{self, Admission};
use super::amqp_publish::is_amqp;
use super::job::{Deliver, Handled, Job};
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::domain::delivery::DeliveryKind;
use crate::domain::links;
use crate::domain::locale;
use crate::domain::secret_key::SecretKey;
use crate::domain::suppression::{suppression_key, Suppressed};
use crate::domain::template_set;
use crate::drivers::amqp::AmqpDriver;
use crate::drivers::email::{
    self, AlertRequest, ConfirmationRequest, Mailer, NotificationRequest, OutgoingEmail,
};
use crate::drivers::webhook::{self, WebhookDriver, WebhookRequest};
use crate::drivers::{AttemptOutcome, Verdict};
use crate::store::entities::subscription;
use crate::store::metadata_cache::MetadataCache;
use crate::store::{bounces, suppressions, template_sets, verp};
use crate::templates::Templates;

pub struct Channels {
    pub db: DatabaseConnection,
    pub clock: SharedClock,
    pub settings: Arc<Settings>,
    pub secret: SecretKey,
    pub webhook: WebhookDriver,
    pub mailer: Mailer,
    pub amqp: AmqpDriver,
    pub templates: Arc<Templates>,
    pub metadata: Arc<MetadataCache>,
}

type Policies = (Option<Value>, Option<Value>);

/// How one email leaves: without the suppressed recipients, from the
/// delivery's VERP address when bounces are wired.
#[derive(Debug, Default)]
struct Envelope {
    /// The subscription's project (whose bounce streaks a sent email ends).
    project: String,
    held_back: Vec<Suppressed>,
    sender: Option<String>,
}

/// One suppressed address for the delivery log, masked:
/// `a***@example.com (hard_bounce, project list)`.
fn describe(suppressed: &Suppressed) -> String {
    let list = if suppressed.server_wide {
        "server-wide"
    } else {
        "project"
    };
    format!(
        "{} ({}, {list} list)",
        email::mask_address(&suppressed.address),
        suppressed.reason
    )
}

/// A failure worth retrying found before anything was sent (the database
/// did not answer).
fn transient(detail: String) -> AttemptOutcome {
    AttemptOutcome {
        verdict: Verdict::Transient { retry_after: None },
        code: None,
        detail,
        duration: Duration::ZERO,
    }
}

/// A permanent failure found before anything was sent (a subscriber or
/// template that cannot produce a valid request).
fn refused(detail: String) -> AttemptOutcome {
    AttemptOutcome {
        verdict: Verdict::Permanent,
        code: None,
        detail,
        duration: Duration::ZERO,
    }
}

impl Deliver for Channels {
    async fn deliver(&self, job: &Job) -> anyhow::Result<Handled> {
        let now = self.clock.now_ms();
        let Some(sub) = &job.subscription else {
            return Ok(Handled::Skipped(
                "the subscription was deleted or has expired".into(),
            ));
        };
        let options = match serde_json::from_str::<Value>(&sub.options) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        let is_email = sub.subscriber.starts_with("mailto:");
        let is_amqp = is_amqp(&sub.subscriber);
        let channel = match (is_email, is_amqp) {
            (true, _) => "email",
            (_, true) => "amqp",
            _ => "webhook",
        };
        let (outcome, policies) = match job.kind {
            DeliveryKind::Notification => {
                if sub.status != "active" {
                    return Ok(Handled::Skipped(format!(
                        "the subscription is {}",
                        sub.status
                    )));
                }
                let envelope = match self.envelope(is_email, job, sub, &options, now).await? {
                    Ok(envelope) => envelope,
                    Err(reason) => return Ok(Handled::Skipped(reason)),
                };
                let policies = self.retry_policies(sub, &options).await?;
                let outcome = if is_email {
                    self.notification_email(job, sub, &options, &envelope).await
                } else if is_amqp {
                    self.publish_amqp(job, sub, &options, &job.payload).await
                } else {
                    self.post_webhook(job, sub, &options, &job.payload, now)
                        .await
                };
                (outcome, policies)
            }
            DeliveryKind::Alert => {
                if sub.status != "active" {
                    return Ok(Handled::Skipped(format!(
                        "the subscription is {}",
                        sub.status
                    )));
                }
                if let Admission::Skip(reason) = alert_due::admit(&self.db, job, sub, now).await? {
                    return Ok(Handled::Skipped(reason));
                }
                let envelope = match self.envelope(is_email, job, sub, &options, now).await? {
                    Ok(envelope) => envelope,
                    Err(reason) => return Ok(Handled::Skipped(reason)),
                };
                let policies = self.retry_policies(sub, &options).await?;
                let outcome = if is_email {
                    self.alert_email(job, sub, &options, &envelope).await
                } else if is_amqp {
                    self.publish_amqp(job, sub, &options, &job.payload).await
                } else {
                    self.post_webhook(job, sub, &options, &job.payload, now)
                        .await
                };
                (outcome, policies)
            }
            DeliveryKind::Confirmation | DeliveryKind::Unsubscribed => {
                let envelope = match self.envelope(is_email, job, sub, &options, now).await? {
                    Ok(envelope) => envelope,
                    Err(reason) => return Ok(Handled::Skipped(reason)),
                };
                let outcome = if is_email {
                    self.lifecycle_email(job, sub, &options, &envelope, now)
                        .await?
                } else {
                    // Zaqar appends queue_name to the confirmation dict.
                    let mut dict = job.payload.clone();
                    if let Value::Object(map) = &mut dict {
                        map.insert(
                            "queue_name".into(),
                            Value::String(crate::domain::display_name(&sub.queue).to_string()),
                        );
                    }
                    if is_amqp {
                        self.publish_amqp(job, sub, &options, &dict).await
                    } else {
                        self.post_webhook(job, sub, &options, &dict, now).await
                    }
                };
                (outcome, (None, None))
            }
        };
        Ok(Handled::Attempted {
            channel,
            outcome,
            retry_policies: policies,
        })
    }
}

impl Channels {
    /// How an email delivery leaves, or why it is skipped (every recipient
    /// suppressed). Asked only once nothing else skips the delivery, so
    /// no VERP token is remembered for an email never sent.
    async fn envelope(
        &self,
        is_email: bool,
        job: &Job,
        sub: &subscription::Model,
        options: &Map<String, Value>,
        now: i64,
    ) -> anyhow::Result<Result<Envelope, String>> {
        if !is_email {
            return Ok(Ok(Envelope::default()));
        }
        let held_back = match self.suppression(sub, options, now).await? {
            Ok(held_back) => held_back,
            Err(reason) => return Ok(Err(reason)),
        };
        Ok(Ok(Envelope {
            project: sub.project.clone(),
            held_back,
            sender: self.envelope_sender(job, now).await?,
        }))
    }

    /// The recipients to hold back (suppressed), or, when every one is,
    /// why the delivery is skipped. A subscriber that cannot be composed
    /// is left to fail as it would.
    async fn suppression(
        &self,
        sub: &subscription::Model,
        options: &Map<String, Value>,
        now: i64,
    ) -> anyhow::Result<Result<Vec<Suppressed>, String>> {
        let Ok(recipients) = email::recipients(&sub.subscriber, &Value::Object(options.clone()))
        else {
            return Ok(Ok(Vec::new()));
        };
        let suppressed =
            suppressions::suppressed_among(&self.db, &sub.project, &recipients, now).await?;
        if suppressed.is_empty() || suppressed.len() < recipients.len() {
            return Ok(Ok(suppressed));
        }
        let why: Vec<String> = suppressed.iter().map(describe).collect();
        Ok(Err(format!("suppressed: {}", why.join(", "))))
    }

    /// The delivery's VERP envelope sender, when `TIDINGS_BOUNCE_ADDRESS`
    /// is set.
    async fn envelope_sender(&self, job: &Job, now: i64) -> anyhow::Result<Option<String>> {
        let Some(template) = &self.settings.bounce_address else {
            return Ok(None);
        };
        let sender = verp::envelope_sender(
            &self.db,
            &self.secret,
            template,
            job.delivery.id,
            &job.delivery.project,
            now,
        )
        .await?;
        Ok(Some(sender))
    }

    async fn retry_policies(
        &self,
        sub: &subscription::Model,
        options: &Map<String, Value>,
    ) -> anyhow::Result<Policies> {
        let queue_policy = self
            .metadata
            .get_raw(&self.db, &sub.project, &sub.queue)
            .await?
            .get("_retry_policy")
            .cloned();
        Ok((queue_policy, options.get("_retry_policy").cloned()))
    }

    async fn post_webhook(
        &self,
        job: &Job,
        sub: &subscription::Model,
        options: &Map<String, Value>,
        dict: &Value,
        now: i64,
    ) -> AttemptOutcome {
        let (body, mut headers) = webhook::zaqar_body(dict, options);
        if let Some(secret) = options.get("signing_secret").and_then(Value::as_str) {
            // The delivery id is stable across retries, so receivers can
            // deduplicate on webhook-id.
            let msg_id = format!("msg_{}", job.delivery.id);
            match webhook::signature_headers(secret, &msg_id, now / 1000, &body) {
                Ok(signed) => headers.extend(signed),
                Err(err) => return refused(format!("cannot sign: {err}")),
            }
        }
        self.webhook
            .send(&WebhookRequest {
                url: sub.subscriber.clone(),
                body,
                headers,
            })
            .await
    }

    fn unsubscribe_url(&self, sub: &subscription::Model) -> String {
        links::unsubscribe_url(
            &self.settings.public_url(),
            &self.secret,
            &sub.queue,
            &sub.id,
        )
    }

    async fn notification_email(
        &self,
        job: &Job,
        sub: &subscription::Model,
        options: &Map<String, Value>,
        envelope: &Envelope,
    ) -> AttemptOutcome {
        let unsubscribe = self.unsubscribe_url(sub);
        let chosen = template_set::chosen(options);
        let chain = locale::of_options(options)
            .map(|l| l.fallbacks())
            .unwrap_or_default();
        let candidates = template_set::candidates(chosen.as_ref(), &chain);
        let template =
            match template_sets::resolve(&self.db, &sub.project, &sub.queue, &candidates).await {
                Ok(template) => template,
                Err(err) => return transient(format!("cannot read the queue's templates: {err}")),
            };
        let options = Value::Object(options.clone());
        let request = NotificationRequest {
            subscriber: &sub.subscriber,
            options: &options,
            queue: &sub.queue,
            project: &sub.project,
            body: job.payload.get("body").unwrap_or(&Value::Null),
            posted_at_ms: Some(job.delivery.created_at),
            unsubscribe_url: Some(&unsubscribe),
            subscription_id: Some(&sub.id),
            event_type: job.event_type.as_deref(),
            template: template.as_ref(),
        };
        let composed =
            email::build_notification(&self.templates, &self.settings.mail_from, &request);
        self.send_email(composed, envelope).await
    }

    async fn alert_email(
        &self,
        job: &Job,
        sub: &subscription::Model,
        options: &Map<String, Value>,
        envelope: &Envelope,
    ) -> AttemptOutcome {
        let unsubscribe = self.unsubscribe_url(sub);
        let options = Value::Object(options.clone());
        let request = AlertRequest {
            subscriber: &sub.subscriber,
            options: &options,
            queue: &sub.queue,
            project: &sub.project,
            alert: job.payload.get("alert").unwrap_or(&Value::Null),
            report: job.payload.get("body").unwrap_or(&Value::Null),
            unsubscribe_url: Some(&unsubscribe),
        };
        let composed = email::build_alert(&self.templates, &self.settings.mail_from, &request);
        self.send_email(composed, envelope).await
    }

    /// The confirmation email, or the unsubscribed notice with a fresh
    /// re-subscribe link (minted now, so no plaintext token waits at rest).
    async fn lifecycle_email(
        &self,
        job: &Job,
        sub: &subscription::Model,
        options: &Map<String, Value>,
        envelope: &Envelope,
        now: i64,
    ) -> anyhow::Result<AttemptOutcome> {
        let options = Value::Object(options.clone());
        let (link, expires_at) = if job.kind == DeliveryKind::Confirmation {
            let Some(link) = job.payload.get("confirm_url").and_then(Value::as_str) else {
                return Ok(refused("the confirmation payload has no link".into()));
            };
            (
                link.to_string(),
                job.payload.get("expires_at").and_then(Value::as_i64),
            )
        } else {
            let (link, expires_at) = {
                let ttl_ms = self.settings.confirm_token_ttl_secs as i64 * 1000;
                let public_url = self.settings.public_url();
                crate::store::tokens::issue_confirm_link(&self.db, &public_url, ttl_ms, sub, now)
                    .await?
            };
            (link, Some(expires_at))
        };
        let request = ConfirmationRequest {
            subscriber: &sub.subscriber,
            options: &options,
            queue: &sub.queue,
            project: &sub.project,
            confirm_url: &link,
            expires_at_ms: expires_at,
        };
        let build = if job.kind == DeliveryKind::Confirmation {
            email::build_confirmation
        } else {
            email::build_unsubscribed
        };
        let composed = build(&self.templates, &self.settings.mail_from, &request);
        Ok(self.send_email(composed, envelope).await)
    }

    /// An email the relay accepted ends its recipients' runs of temporary
    /// bounces. A failure here costs only an early soft-bounce suppression
    /// later, so it is logged rather than failing the sent delivery.
    async fn end_bounce_streaks(&self, project: &str, message: &OutgoingEmail) {
        let keys: Vec<String> = message
            .to
            .iter()
            .chain(&message.cc)
            .chain(&message.bcc)
            .map(|a| suppression_key(a))
            .collect();
        if let Err(err) = bounces::reset_streaks(&self.db, project, &keys).await {
            tracing::warn!(error = %err, "could not reset the bounce streaks of a sent email");
        }
    }

    async fn send_email(
        &self,
        composed: anyhow::Result<OutgoingEmail>,
        envelope: &Envelope,
    ) -> AttemptOutcome {
        let started = Instant::now();
        match composed {
            Ok(mut message) => {
                for list in [&mut message.to, &mut message.cc, &mut message.bcc] {
                    list.retain(|a| !envelope.held_back.iter().any(|s| &s.address == a));
                }
                message.envelope_from = envelope.sender.clone();
                let mut outcome = self.mailer.send(&message).await;
                if outcome.verdict == Verdict::Delivered {
                    self.end_bounce_streaks(&envelope.project, &message).await;
                    if !envelope.held_back.is_empty() {
                        let dropped: Vec<String> =
                            envelope.held_back.iter().map(describe).collect();
                        outcome.detail = format!(
                            "{}; not sent to, suppressed: {}",
                            outcome.detail,
                            dropped.join(", ")
                        );
                    }
                }
                outcome
            }
            Err(err) => {
                let mut outcome = refused(format!(
                    "cannot compose the email: {}",
                    email::mask_addresses_in(&format!("{err:#}"))
                ));
                outcome.duration = started.elapsed();
                outcome
            }
        }
    }
}
