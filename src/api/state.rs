use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::delivery::metrics::Metrics;
use crate::service::secret::SecretKey;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub clock: SharedClock,
    pub settings: Arc<Settings>,
    /// Keys pre-signed URLs and unsubscribe links.
    pub secret: SecretKey,
    /// Wakes the delivery worker after a commit that created work.
    pub wake: Arc<Notify>,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
