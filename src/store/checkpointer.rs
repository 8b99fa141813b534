//! SQLite WAL checkpoints off the write path.
//!
//! By default SQLite copies the write-ahead log back into the database file
//! inside whichever commit crosses 1,000 pages, on the one connection every
//! post and delivery waits for; under load that copy took a tenth of the
//! server's time. The main connection now checkpoints only as a safety net
//! (see `db::connect`), and this task does it from a second connection on
//! its own thread, often enough that each hot page is copied once per
//! interval however many commits touched it.
use std::time::Duration;

use sea_orm::ConnectionTrait;

/// Runs until aborted. Failures are logged and retried next interval.
pub async fn run(database_url: String, interval: Duration) {
    let db = match super::db::connect(&database_url).await {
        Ok(db) => db,
        Err(err) => {
            tracing::warn!(error = %format!("{err:#}"), "the WAL checkpointer could not connect; SQLite will checkpoint on commit");
            return;
        }
    };
    loop {
        tokio::time::sleep(interval).await;
        if let Err(err) = db
            .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
            .await
        {
            tracing::warn!(error = %err, "WAL checkpoint failed");
        }
    }
}
