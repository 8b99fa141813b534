//! Compiled routing, kept per subscription so fan-out compiles each
//! subscription once, not once per message.
//!
//! An entry is keyed by the subscription id and checked against the parts
//! of the row routing is compiled from (subscriber URI and options text),
//! which fan-out reads with the row anyway. So the cache never serves a
//! subscription as it was before a change, whichever node made the change
//! and however close together two changes come (an `updated_at` in
//! milliseconds can repeat; the content cannot lie). Nothing needs
//! invalidating: a changed row compiles afresh at its next use.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::notification_types::NotificationTypes;
use super::subscription::{scheme_of, SubscriptionRouting};

/// Entries kept at most; past it the cache starts over (deleted
/// subscriptions would otherwise stay forever).
const MAX_ENTRIES: usize = 200_000;

struct Entry {
    subscriber: Box<str>,
    options: Box<str>,
    routing: Arc<SubscriptionRouting>,
}

pub struct RoutingCache {
    types: Arc<NotificationTypes>,
    entries: Mutex<HashMap<String, Entry>>,
}

/// The cache held for a batch of lookups (one lock for a page of
/// subscriptions, not one per subscription).
pub struct Lookup<'a> {
    types: &'a NotificationTypes,
    entries: MutexGuard<'a, HashMap<String, Entry>>,
    compiled: usize,
}

impl RoutingCache {
    pub fn new(types: Arc<NotificationTypes>) -> RoutingCache {
        RoutingCache {
            types,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn types(&self) -> &NotificationTypes {
        &self.types
    }

    pub fn lookup(&self) -> Lookup<'_> {
        Lookup {
            types: &self.types,
            // A panic elsewhere while holding the lock leaves entries that
            // are each still whole.
            entries: self.entries.lock().unwrap_or_else(|e| e.into_inner()),
            compiled: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.lookup().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Lookup<'_> {
    /// The routing of the subscription `id` whose row holds `subscriber`
    /// and `options` (JSON text) now.
    pub fn routing(
        &mut self,
        id: &str,
        subscriber: &str,
        options: &str,
    ) -> Arc<SubscriptionRouting> {
        if let Some(entry) = self.entries.get(id) {
            if &*entry.options == options && &*entry.subscriber == subscriber {
                return Arc::clone(&entry.routing);
            }
        }
        self.compiled += 1;
        let routing = Arc::new(SubscriptionRouting::compile_stored(
            options,
            &scheme_of(subscriber),
            self.types,
        ));
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.clear();
        }
        self.entries.insert(
            id.to_string(),
            Entry {
                subscriber: subscriber.into(),
                options: options.into(),
                routing: Arc::clone(&routing),
            },
        );
        routing
    }

    /// How many lookups of this batch had to compile.
    pub fn compiled(&self) -> usize {
        self.compiled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compiles_once_and_again_after_any_change() {
        let cache = RoutingCache::new(Arc::new(NotificationTypes::default()));
        let options = json!({"event_types": ["a.*"]}).to_string();
        let mut lookup = cache.lookup();
        let first = lookup.routing("s1", "https://h.example.com", &options);
        let again = lookup.routing("s1", "https://h.example.com", &options);
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(lookup.compiled(), 1);
        let changed = json!({"event_types": ["b.*"]}).to_string();
        let after = lookup.routing("s1", "https://h.example.com", &changed);
        assert!(!Arc::ptr_eq(&first, &after));
        assert!(after.event_types.as_ref().unwrap().matches(Some("b.x")));
        // A new subscriber URI can mean a new notification type.
        let mailto = lookup.routing("s1", "mailto:a@example.com", &changed);
        assert_eq!(mailto.notification_type.as_deref(), Some("email"));
        assert_eq!(lookup.compiled(), 3);
        drop(lookup);
        assert_eq!(cache.len(), 1);
    }
}
