//! Which subscriptions a fan-out job is for: routing's decision applied
//! while expansion reads a queue's active subscriptions a page at a time.
//!
//! Each page's routing comes from the compiled-routing cache (one lock per
//! page, a compile only for a subscription not seen in its current form);
//! each job's body is parsed once, and only when a filter asks for it; the
//! policy is read once per queue per pass. A subscription the message is
//! not for gets no delivery row and no log entry: `routes` explains it.
//!
//! An alert subscription (`options.alert`) gets no ordinary delivery
//! either: the state reports it is for are collected (`alert_hits`) and
//! applied in the same transaction (`alert_intake`).
use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DbErr};
use serde_json::Value;

use super::alert_intake::AlertHit;
use crate::alerts::{AlertLayout, AlertRule};
use crate::domain::message_keys::MessageKeys;
use crate::routing::{EffectivePolicy, Router, SubscriptionRouting};
use crate::store::entities::{fanout, subscription};
use crate::store::fanouts::Audience;
use crate::store::metadata_cache::MetadataCache;

/// What fan-out needs to route: the router (types, server policy, cache),
/// the queue metadata (queue policies) and the message keys (sealed
/// payloads are opened before routing reads them).
#[derive(Clone)]
pub struct FanoutRouting {
    pub router: Arc<Router>,
    pub metadata: Arc<MetadataCache>,
    pub keys: MessageKeys,
}

impl Default for FanoutRouting {
    fn default() -> Self {
        let mut key = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
        FanoutRouting {
            router: Arc::new(Router::default()),
            metadata: Arc::new(MetadataCache::default()),
            keys: MessageKeys::new(&key, &[]),
        }
    }
}

impl FanoutRouting {
    /// The jobs with their payloads opened (in memory only; the rows stay
    /// sealed). A payload that cannot be opened becomes `null`.
    pub fn open_jobs(&self, jobs: Vec<fanout::Model>) -> Vec<fanout::Model> {
        jobs.into_iter()
            .map(|mut job| {
                if let Some(key_id) = job.key_id.take() {
                    job.payload = self.open_payload(&job.message_id, &job.payload, Some(&key_id));
                }
                job
            })
            .collect()
    }

    /// One stored payload's JSON text, opened when sealed.
    pub fn open_payload(&self, message_id: &str, text: &str, key_id: Option<&str>) -> String {
        match key_id {
            None => text.to_string(),
            Some(_) => self.keys.open_json(message_id, text, key_id).to_string(),
        }
    }
}

static NO_BODY: Value = Value::Null;

pub struct RoutedAudience<'a> {
    router: &'a Router,
    /// By job id.
    policies: HashMap<i64, Arc<EffectivePolicy>>,
    /// Parsed message bodies by job id, for filters.
    bodies: HashMap<i64, Value>,
    /// Subscriptions left out by routing in this pass.
    pub routed_out: u64,
    /// Each job's queue's alert layout (queue metadata `_alert`).
    layouts: HashMap<i64, Arc<AlertLayout>>,
    /// The jobs as shared by their alert hits.
    shared_jobs: HashMap<i64, Arc<fanout::Model>>,
    /// State reports for alert subscriptions, in fan-out order.
    pub alert_hits: Vec<AlertHit>,
}

/// What deciding needs per subscription: its routing and, in alert mode,
/// its rule.
pub struct Compiled {
    routing: Arc<SubscriptionRouting>,
    alert: Option<Arc<AlertRule>>,
}

/// The alert rule of a subscription, when it has one. Options are parsed
/// only when they mention `alert`, so ordinary subscriptions pay a scan.
fn alert_rule(sub: &subscription::Model) -> Option<Arc<AlertRule>> {
    if !sub.options.contains("\"alert\"") {
        return None;
    }
    let options = serde_json::from_str::<Value>(&sub.options).ok()?;
    AlertRule::from_options(options.as_object()?)
        .ok()
        .flatten()
        .map(Arc::new)
}

impl FanoutRouting {
    /// The audience for `jobs`, with each queue's policy read (through the
    /// caller's transaction: SQLite has one connection) once.
    pub async fn audience(
        &self,
        db: &impl ConnectionTrait,
        jobs: &[fanout::Model],
    ) -> Result<RoutedAudience<'_>, DbErr> {
        type QueueRouting = (Arc<EffectivePolicy>, Arc<AlertLayout>);
        let mut by_queue: HashMap<(&str, &str), QueueRouting> = HashMap::new();
        let mut policies = HashMap::with_capacity(jobs.len());
        let mut layouts = HashMap::with_capacity(jobs.len());
        for job in jobs {
            let key = (job.project.as_str(), job.queue.as_str());
            let (policy, layout) = match by_queue.get(&key) {
                Some((policy, layout)) => (Arc::clone(policy), Arc::clone(layout)),
                None => {
                    let metadata = self.metadata.get_raw(db, key.0, key.1).await?;
                    let policy = Arc::new(self.router.policy_for(&metadata));
                    // Validated when the metadata was written.
                    let layout =
                        Arc::new(AlertLayout::from_metadata(&metadata).unwrap_or_default());
                    by_queue.insert(key, (Arc::clone(&policy), Arc::clone(&layout)));
                    (policy, layout)
                }
            };
            policies.insert(job.id, policy);
            layouts.insert(job.id, layout);
        }
        Ok(RoutedAudience {
            router: &self.router,
            policies,
            bodies: HashMap::new(),
            routed_out: 0,
            layouts,
            shared_jobs: HashMap::new(),
            alert_hits: Vec::new(),
        })
    }
}

/// The message body inside a fan-out payload (the Zaqar notification dict).
fn body_of(payload: &str) -> Value {
    match serde_json::from_str::<Value>(payload) {
        Ok(Value::Object(mut dict)) => dict.remove("body").unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

impl Audience for RoutedAudience<'_> {
    type Compiled = Compiled;

    fn compile(&mut self, page: &[subscription::Model]) -> Vec<Self::Compiled> {
        let mut lookup = self.router.cache().lookup();
        page.iter()
            .map(|sub| Compiled {
                routing: lookup.routing(&sub.id, &sub.subscriber, &sub.options),
                alert: alert_rule(sub),
            })
            .collect()
    }

    fn admits(
        &mut self,
        job: &fanout::Model,
        subscription: &subscription::Model,
        compiled: &Self::Compiled,
    ) -> bool {
        let routing = &compiled.routing;
        let policy = self.policies.get(&job.id).and_then(|p| p.get());
        let event_type = job.event_type.as_deref();
        let refused = if routing.needs_body() || compiled.alert.is_some() {
            let body = self
                .bodies
                .entry(job.id)
                .or_insert_with(|| body_of(&job.payload));
            routing.refuses(event_type, || &*body, policy)
        } else {
            routing.refuses(event_type, || &NO_BODY, policy)
        };
        if refused.is_some() {
            self.routed_out += 1;
            return false;
        }
        let Some(rule) = compiled.alert.as_ref() else {
            return true;
        };
        // Alert mode: never an ordinary delivery; a state report is applied
        // to the subscription's alert state, anything else is ignored.
        let report = match (self.layouts.get(&job.id), self.bodies.get(&job.id)) {
            (Some(layout), Some(body)) if rule.active => layout.report(body),
            _ => None,
        };
        if let Some(report) = report {
            let job = self
                .shared_jobs
                .entry(job.id)
                .or_insert_with(|| Arc::new(job.clone()));
            self.alert_hits.push(AlertHit {
                job: Arc::clone(job),
                subscription: subscription.clone(),
                rule: Arc::clone(rule),
                report,
            });
        }
        false
    }
}
