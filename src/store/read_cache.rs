//! A small read-through cache keyed by (project, queue), for values read on
//! every post or delivery and changed rarely.
//!
//! Writes made through this process invalidate at once; a change made by
//! another process sharing the database is seen within `max_age`. A read
//! that raced with an invalidation never puts the old value back.
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sea_orm::DbErr;

/// Beyond this many queues the cache starts over rather than grow forever.
const MAX_ENTRIES: usize = 10_000;

type Key = (String, String);

pub struct ReadCache<V> {
    entries: Mutex<HashMap<Key, (Instant, V)>>,
    /// Bumped by every invalidation.
    generation: AtomicU64,
    max_age: Duration,
}

impl<V: Clone> ReadCache<V> {
    pub fn new(max_age: Duration) -> ReadCache<V> {
        ReadCache {
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            max_age,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Key, (Instant, V)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached value, or `load()`'s (then remembered).
    pub async fn get_or_load<F, Fut>(&self, project: &str, queue: &str, load: F) -> Result<V, DbErr>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, DbErr>>,
    {
        let key = (project.to_string(), queue.to_string());
        if let Some((loaded, value)) = self.lock().get(&key) {
            if loaded.elapsed() < self.max_age {
                return Ok(value.clone());
            }
        }
        let generation = self.generation.load(Ordering::Acquire);
        let value = load().await?;
        let mut entries = self.lock();
        if self.generation.load(Ordering::Acquire) == generation {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, (Instant::now(), value.clone()));
        }
        Ok(value)
    }

    /// Forgets one queue's entry.
    pub fn invalidate(&self, project: &str, queue: &str) {
        let mut entries = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(&(project.to_string(), queue.to_string()));
    }

    /// Forgets everything.
    pub fn clear(&self) {
        let mut entries = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loads_once_then_again_after_invalidation() {
        let cache: ReadCache<u32> = ReadCache::new(Duration::from_secs(60));
        let first = cache.get_or_load("p", "q", || async { Ok(1) }).await;
        let cached = cache.get_or_load("p", "q", || async { Ok(2) }).await;
        assert_eq!((first, cached), (Ok(1), Ok(1)));
        cache.invalidate("p", "q");
        assert_eq!(cache.get_or_load("p", "q", || async { Ok(3) }).await, Ok(3));
        cache.clear();
        assert_eq!(cache.get_or_load("p", "q", || async { Ok(4) }).await, Ok(4));
    }

    #[tokio::test]
    async fn entries_expire() {
        let cache: ReadCache<u32> = ReadCache::new(Duration::ZERO);
        assert_eq!(cache.get_or_load("p", "q", || async { Ok(1) }).await, Ok(1));
        assert_eq!(cache.get_or_load("p", "q", || async { Ok(2) }).await, Ok(2));
    }
}
