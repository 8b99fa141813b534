//! Which subscriptions a fan-out job is for: routing's decision applied
//! while expansion reads a queue's active subscriptions a page at a time.
//!
//! Each page's routing comes from the compiled-routing cache (one lock per
//! page, a compile only for a subscription not seen in its current form);
//! each job's body is parsed once, and only when a filter asks for it; the
//! policy is read once per queue per pass. A subscription the message is
//! not for gets no delivery row and no log entry: `routes` explains it.
use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DbErr};
use serde_json::Value;

use crate::routing::{EffectivePolicy, Router, SubscriptionRouting};
use crate::store::entities::{fanout, subscription};
use crate::store::fanouts::Audience;
use crate::store::metadata_cache::MetadataCache;

/// What fan-out needs to route: the router (types, server policy, cache)
/// and the queue metadata (queue policies).
#[derive(Clone)]
pub struct FanoutRouting {
    pub router: Arc<Router>,
    pub metadata: Arc<MetadataCache>,
}

impl Default for FanoutRouting {
    fn default() -> Self {
        FanoutRouting {
            router: Arc::new(Router::default()),
            metadata: Arc::new(MetadataCache::default()),
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
}

impl FanoutRouting {
    /// The audience for `jobs`, with each queue's policy read (through the
    /// caller's transaction: SQLite has one connection) once.
    pub async fn audience(
        &self,
        db: &impl ConnectionTrait,
        jobs: &[fanout::Model],
    ) -> Result<RoutedAudience<'_>, DbErr> {
        let mut by_queue: HashMap<(&str, &str), Arc<EffectivePolicy>> = HashMap::new();
        let mut policies = HashMap::with_capacity(jobs.len());
        for job in jobs {
            let key = (job.project.as_str(), job.queue.as_str());
            let policy = match by_queue.get(&key) {
                Some(policy) => Arc::clone(policy),
                None => {
                    let metadata = self.metadata.get_raw(db, key.0, key.1).await?;
                    let policy = Arc::new(self.router.policy_for(&metadata));
                    by_queue.insert(key, Arc::clone(&policy));
                    policy
                }
            };
            policies.insert(job.id, policy);
        }
        Ok(RoutedAudience {
            router: &self.router,
            policies,
            bodies: HashMap::new(),
            routed_out: 0,
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
    type Compiled = Arc<SubscriptionRouting>;

    fn compile(&mut self, page: &[subscription::Model]) -> Vec<Self::Compiled> {
        let mut lookup = self.router.cache().lookup();
        page.iter()
            .map(|sub| lookup.routing(&sub.id, &sub.subscriber, &sub.options))
            .collect()
    }

    fn admits(
        &mut self,
        job: &fanout::Model,
        _subscription: &subscription::Model,
        routing: &Self::Compiled,
    ) -> bool {
        let policy = self.policies.get(&job.id).and_then(|p| p.get());
        let event_type = job.event_type.as_deref();
        let refused = if routing.needs_body() {
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
        }
        refused.is_none()
    }
}
