//! A read-through cache of queue metadata.
//!
//! Every message post needs its queue's metadata (post size cap, default
//! TTL, delay) and every delivery its queue's `_retry_policy`; reading the
//! row each time would put a database round trip on the hottest paths.
//! Writes made through this process invalidate the entry at once; a change
//! made by another process sharing the database is seen within `max_age`.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DbErr};
use serde_json::{Map, Value};

use crate::domain::{ProjectId, QueueName};

pub type Metadata = Arc<Map<String, Value>>;

/// How stale an entry may get when another process changes the queue.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(1);
/// Beyond this many queues the cache starts over rather than grow forever.
const MAX_ENTRIES: usize = 10_000;

struct Entry {
    loaded: Instant,
    metadata: Metadata,
}

pub struct MetadataCache {
    entries: Mutex<HashMap<(String, String), Entry>>,
    /// Bumped by every invalidation, so a read that raced with a write
    /// does not put the old value back.
    generation: AtomicU64,
    max_age: Duration,
}

impl Default for MetadataCache {
    fn default() -> Self {
        MetadataCache::new(DEFAULT_MAX_AGE)
    }
}

impl MetadataCache {
    pub fn new(max_age: Duration) -> MetadataCache {
        MetadataCache {
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            max_age,
        }
    }

    /// The stored metadata of a queue (empty when the queue is missing).
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        project: &ProjectId,
        queue: &QueueName,
    ) -> Result<Metadata, DbErr> {
        self.get_raw(db, project.as_str(), queue.as_str()).await
    }

    /// As `get`, for callers holding unparsed names read back from rows.
    pub async fn get_raw(
        &self,
        db: &impl ConnectionTrait,
        project: &str,
        queue: &str,
    ) -> Result<Metadata, DbErr> {
        let key = (project.to_string(), queue.to_string());
        if let Some(hit) = self.fresh(&key) {
            return Ok(hit);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let metadata = Arc::new(super::queues::metadata_raw(db, project, queue).await?);
        let mut entries = self.lock();
        if self.generation.load(Ordering::Acquire) == generation {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(
                key,
                Entry {
                    loaded: Instant::now(),
                    metadata: Arc::clone(&metadata),
                },
            );
        }
        Ok(metadata)
    }

    /// Forgets one queue's entry; call after changing or deleting it.
    pub fn invalidate(&self, project: &ProjectId, queue: &QueueName) {
        let mut entries = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(&(project.as_str().to_string(), queue.as_str().to_string()));
    }

    fn fresh(&self, key: &(String, String)) -> Option<Metadata> {
        let entries = self.lock();
        let entry = entries.get(key)?;
        (entry.loaded.elapsed() < self.max_age).then(|| Arc::clone(&entry.metadata))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}
