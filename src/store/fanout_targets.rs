//! Whether a queue has anyone to fan out to, asked on every message post.
//!
//! On SQLite (one process owns the database) the answer is remembered, and
//! every subscription change this process makes forgets it, so it is never
//! stale; the post then needs no query. On PostgreSQL other processes
//! change subscriptions too, so the question goes to the database, inside
//! the post's transaction, every time.
use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, DbErr};

use super::read_cache::ReadCache;

pub struct FanoutTargets {
    /// None: ask the database every time.
    cache: Option<ReadCache<bool>>,
}

impl FanoutTargets {
    pub fn for_backend(backend: DbBackend) -> FanoutTargets {
        let cache = (backend == DbBackend::Sqlite)
            // Expiry turns "yes" into "no" without a write; a stale "yes"
            // only costs a fan-out job that finds nobody.
            .then(|| ReadCache::new(Duration::from_secs(1)));
        FanoutTargets { cache }
    }

    /// True when the queue has an active, unexpired subscription.
    pub async fn any_active(
        &self,
        db: &impl ConnectionTrait,
        project: &str,
        queue: &str,
        now: i64,
    ) -> Result<bool, DbErr> {
        let ask = || super::subscriptions::any_active(db, project, queue, now);
        match &self.cache {
            Some(cache) => cache.get_or_load(project, queue, ask).await,
            None => ask().await,
        }
    }

    /// Call after any subscription change.
    pub fn subscriptions_changed(&self) {
        if let Some(cache) = &self.cache {
            cache.clear();
        }
    }
}
