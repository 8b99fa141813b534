//! Deletes expired rows in bounded batches so a large backlog never holds a
//! long transaction. Expired rows are already invisible to every query; the
//! sweeper only reclaims space.
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::clock::SharedClock;

pub const SWEEP_BATCH: u64 = 500;

/// Expired confirmation tokens are kept a week so a late click gets
/// "this link has expired" rather than "unknown link".
pub const TOKEN_GRACE_MS: i64 = 7 * 86_400 * 1000;

/// One full pass: repeat bounded batches until nothing expired is left.
/// Returns the number of rows removed.
pub async fn sweep_once(db: &DatabaseConnection, clock: &SharedClock) -> anyhow::Result<u64> {
    let mut removed = 0;
    loop {
        let now = clock.now_ms();
        let n = super::messages::sweep_expired(db, now, SWEEP_BATCH).await?
            + super::claims::sweep_expired(db, now, SWEEP_BATCH).await?
            + super::subscriptions::sweep_expired(db, now, SWEEP_BATCH).await?
            + super::tokens::sweep_expired(db, now - TOKEN_GRACE_MS, SWEEP_BATCH).await?;
        removed += n;
        if n == 0 {
            return Ok(removed);
        }
        tokio::task::yield_now().await;
    }
}

/// Removes finished deliveries (and their attempt logs) older than
/// `retention`, in bounded batches. Dead letters go too, once they are that
/// old: the log is a window, not an archive.
pub async fn sweep_finished_deliveries(
    db: &DatabaseConnection,
    clock: &SharedClock,
    retention: Duration,
) -> anyhow::Result<u64> {
    let mut removed = 0;
    loop {
        let cutoff = clock.now_ms() - retention.as_millis() as i64;
        let n = super::deliveries::sweep_finished(db, cutoff, SWEEP_BATCH).await?;
        removed += n;
        if n == 0 {
            // A bounce may come days after the send; its token lasts as
            // long as the delivery's log does.
            super::bounces::forget_tokens_before(db, cutoff).await?;
            return Ok(removed);
        }
        tokio::task::yield_now().await;
    }
}

/// Runs both sweeps every `interval` until the task is dropped.
pub async fn run(
    db: DatabaseConnection,
    clock: SharedClock,
    interval: Duration,
    retention: Duration,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let swept = match sweep_once(&db, &clock).await {
            Ok(n) => sweep_finished_deliveries(&db, &clock, retention)
                .await
                .map(|m| n + m),
            Err(err) => Err(err),
        };
        match swept {
            Ok(0) => {}
            Ok(n) => tracing::debug!(removed = n, "swept expired rows"),
            Err(err) => tracing::warn!(error = %format!("{err:#}"), "sweeper pass failed"),
        }
    }
}
