//! Routing: which subscriptions a message is for, and why not the others.
//!
//! Pure code, no I/O: domain values in, decisions out. The subscribe use
//! case calls it to validate options and queue metadata, fan-out calls it
//! for every active subscription of a message's queue, and the routes
//! endpoints call the same decision to explain it.
//!
//! - `event_type`: a message's event type, derived when it is posted.
//! - `patterns`: `options.event_types` (`*` wildcards, `!` exclusions).
//! - `filter`: `options.filter`, an SNS-style attribute filter.
//! - `notification_types`, `policy`: the operator's notification types and
//!   the supported notifications per event type.
//! - `subscription`: one subscription's routing, compiled; `cache` keeps it.
//! - `explain`: the decision and its reason.
pub mod cache;
pub mod event_type;
pub mod explain;
pub mod filter;
pub mod notification_types;
pub mod path;
pub mod patterns;
pub mod policy;
pub mod subscription;

use std::sync::Arc;

use serde_json::{Map, Value};

pub use cache::RoutingCache;
pub use event_type::EventTypeTemplate;
pub use explain::{explain, Candidate, Decision, Message, Reason};
pub use notification_types::{NotificationType, NotificationTypes};
pub use policy::{EffectivePolicy, Policy, PolicySource};
pub use subscription::{scheme_of, SubscriptionRouting};

/// The server's routing configuration and the compiled-routing cache,
/// shared by the API and the delivery worker.
pub struct Router {
    types: Arc<NotificationTypes>,
    server_policy: Option<Policy>,
    cache: RoutingCache,
}

impl Router {
    pub fn new(types: NotificationTypes, server_policy: Option<Policy>) -> Router {
        let types = Arc::new(types);
        Router {
            cache: RoutingCache::new(Arc::clone(&types)),
            types,
            server_policy,
        }
    }

    pub fn types(&self) -> &NotificationTypes {
        &self.types
    }

    pub fn cache(&self) -> &RoutingCache {
        &self.cache
    }

    /// The policy in force on a queue with this metadata.
    pub fn policy_for(&self, metadata: &Map<String, Value>) -> EffectivePolicy {
        EffectivePolicy::for_queue(metadata, self.server_policy.as_ref(), &self.types)
    }

    /// The routing keys of queue metadata, checked on PUT and PATCH.
    pub fn validate_queue_metadata(&self, metadata: &Map<String, Value>) -> Result<(), String> {
        if let Some(template) = metadata.get(event_type::METADATA_KEY) {
            event_type::validate_metadata(template)?;
        }
        if let Some(policy) = metadata.get(policy::METADATA_KEY) {
            Policy::from_metadata(policy, &self.types)?;
        }
        crate::alerts::AlertLayout::from_metadata(metadata)?;
        Ok(())
    }

    /// A new or changed subscription's routing, refused with a message
    /// naming the offending option or policy pair.
    pub fn compile_for_subscribe(
        &self,
        options: &Map<String, Value>,
        subscriber: &str,
        queue_metadata: &Map<String, Value>,
    ) -> Result<SubscriptionRouting, String> {
        let routing = SubscriptionRouting::compile(options, &scheme_of(subscriber), &self.types)?;
        routing.check_policy(&self.policy_for(queue_metadata))?;
        crate::alerts::validate_subscription(options, queue_metadata)?;
        Ok(routing)
    }
}

impl Default for Router {
    fn default() -> Self {
        Router::new(NotificationTypes::default(), None)
    }
}
