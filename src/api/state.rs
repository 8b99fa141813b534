use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::service::secret::SecretKey;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub clock: SharedClock,
    pub settings: Arc<Settings>,
    /// Keys pre-signed URLs and unsubscribe links.
    pub secret: SecretKey,
}

impl AppState {
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
