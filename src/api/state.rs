use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::domain::secret_key::SecretKey;
use crate::metrics::Metrics;
use crate::routing::Router;
use crate::service::abuse_limits::AbuseLimits;
use crate::service::keystone::Keystone;
use crate::service::message_posts::MessagePosts;
use crate::service::Deps;
use crate::store::fanout_targets::FanoutTargets;
use crate::store::metadata_cache::MetadataCache;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub clock: SharedClock,
    pub settings: Arc<Settings>,
    /// Keys pre-signed URLs and unsubscribe links.
    pub secret: SecretKey,
    /// Seals and opens message bodies at rest (`_enable_encrypt_messages`).
    pub keys: crate::domain::message_keys::MessageKeys,
    /// Emails and pages, loaded once at startup.
    pub templates: Arc<crate::templates::Templates>,
    /// Wakes the delivery worker after a commit that created work.
    pub wake: Arc<Notify>,
    /// Wakes the fan-out expansion after a commit that created fan-out
    /// jobs outside a post (a dead-lettered message).
    pub fanouts_ready: Arc<Notify>,
    pub metrics: Arc<Metrics>,
    /// Queue metadata, read through; invalidated by this process's writes.
    pub metadata: Arc<MetadataCache>,
    /// Whether a queue has anyone to fan out to; told of subscription
    /// changes.
    pub fanout_targets: Arc<FanoutTargets>,
    /// Message posts, committed in groups.
    pub posts: MessagePosts,
    /// Notification types, the server's policy and compiled routing.
    pub router: Arc<Router>,
    /// Requests per project and per public-page client.
    pub limits: Arc<AbuseLimits>,
    /// With `TIDINGS_AUTH=keystone`: validates Keystone tokens.
    pub keystone: Option<Arc<Keystone>>,
}

impl AppState {
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The handles the subscription use cases take.
    pub fn deps(&self) -> Deps<'_> {
        Deps {
            db: &self.db,
            clock: &self.clock,
            settings: &self.settings,
            secret: &self.secret,
            metrics: &self.metrics,
            metadata: &self.metadata,
            fanout_targets: &self.fanout_targets,
            router: &self.router,
            wake: &self.wake,
        }
    }
}
