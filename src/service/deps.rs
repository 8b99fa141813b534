//! The handles the subscription use cases work with, borrowed from whoever
//! calls them (the API's state today). A service names what it uses instead
//! of reaching into the API layer, so it can be called from a test, a CLI
//! command or a worker with the same few handles.
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::domain::secret_key::SecretKey;
use crate::metrics::Metrics;
use crate::routing::Router;
use crate::store::fanout_targets::FanoutTargets;
use crate::store::metadata_cache::MetadataCache;

pub struct Deps<'a> {
    pub db: &'a DatabaseConnection,
    pub clock: &'a SharedClock,
    pub settings: &'a Settings,
    /// Keys pre-signed URLs and unsubscribe links.
    pub secret: &'a SecretKey,
    pub metrics: &'a Metrics,
    /// Queue metadata, read through; invalidated by this process's writes.
    pub metadata: &'a MetadataCache,
    /// Told of subscription changes, so fan-out sees them.
    pub fanout_targets: &'a FanoutTargets,
    /// Compiles and checks a subscription's routing options.
    pub router: &'a Router,
    /// Wakes the delivery worker after a commit that created work.
    pub wake: &'a Notify,
}

impl Deps<'_> {
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
