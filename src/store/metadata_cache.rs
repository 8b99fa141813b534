//! Queue metadata, read through a cache: every message post needs its
//! queue's metadata (post size cap, default TTL, delay) and every delivery
//! its queue's `_retry_policy`; reading the row each time would put a
//! database round trip on the hottest paths. This process's writes
//! invalidate at once; another process's are seen within a second.
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DbErr};
use serde_json::{Map, Value};

use super::read_cache::ReadCache;
use crate::domain::{ProjectId, QueueName};

pub type Metadata = Arc<Map<String, Value>>;

pub struct MetadataCache {
    cache: ReadCache<Metadata>,
}

impl Default for MetadataCache {
    fn default() -> Self {
        MetadataCache {
            cache: ReadCache::new(Duration::from_secs(1)),
        }
    }
}

impl MetadataCache {
    /// The stored metadata of a queue (empty when the queue is missing).
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        project: &ProjectId,
        queue: &QueueName,
    ) -> Result<Metadata, DbErr> {
        self.get_raw(db, project.as_str(), queue.as_str()).await
    }

    /// As `get`, for callers holding names read back from rows.
    pub async fn get_raw(
        &self,
        db: &impl ConnectionTrait,
        project: &str,
        queue: &str,
    ) -> Result<Metadata, DbErr> {
        self.cache
            .get_or_load(project, queue, || async {
                Ok(Arc::new(
                    super::queues::metadata_raw(db, project, queue).await?,
                ))
            })
            .await
    }

    /// Forgets one queue's entry; call after changing or deleting it.
    pub fn invalidate(&self, project: &ProjectId, queue: &QueueName) {
        self.cache.invalidate(project.as_str(), queue.as_str());
    }
}
