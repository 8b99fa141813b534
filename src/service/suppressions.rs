//! The suppression lists: a project's own, and the server-wide one that
//! every project honours. A suppressed address receives nothing from the
//! project (or, server-wide, from any project): notifications, alerts and
//! confirmation emails alike. Whoever computes recipients asks
//! `suppressed_among` before sending.
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};

use crate::domain::suppression::{SuppressionReason, SuppressionScope};
use crate::store::entities::suppression;
use crate::store::{bounces, suppressions};

pub use crate::domain::suppression::Suppressed;
pub use crate::store::suppressions::suppressed_among;

/// One list entry to write.
#[derive(Debug, Clone)]
pub struct Entry {
    pub scope: SuppressionScope,
    /// Already in its stored form (`suppression::parse_address`).
    pub address: String,
    pub reason: SuppressionReason,
    pub expires_at: Option<i64>,
    pub source: Option<String>,
}

/// Puts the address on the list (or updates its entry), in one
/// transaction.
pub async fn suppress(
    db: &DatabaseConnection,
    entry: Entry,
    now: i64,
) -> Result<suppression::Model, DbErr> {
    let txn = db.begin().await?;
    let row = suppress_in(&txn, entry, now).await?;
    txn.commit().await?;
    Ok(row)
}

/// `suppress` inside the caller's transaction; the address's count of
/// temporary bounces starts over.
pub async fn suppress_in(
    db: &impl ConnectionTrait,
    entry: Entry,
    now: i64,
) -> Result<suppression::Model, DbErr> {
    let row = suppression::Model {
        id: uuid::Uuid::new_v4().to_string(),
        project: entry.scope.column().to_string(),
        address: entry.address,
        reason: entry.reason.as_str().to_string(),
        created_at: now,
        expires_at: entry.expires_at,
        source: entry.source,
    };
    suppressions::upsert(db, row.clone()).await?;
    bounces::reset_streak(db, &row.project, &row.address).await?;
    Ok(row)
}

/// Takes the address off the list, so it gets mail again. False when it
/// was not on it.
pub async fn unsuppress(
    db: &DatabaseConnection,
    scope: &SuppressionScope,
    address: &str,
) -> Result<bool, DbErr> {
    let txn = db.begin().await?;
    let removed = suppressions::delete(&txn, scope.column(), address).await?;
    bounces::reset_streak(&txn, scope.column(), address).await?;
    txn.commit().await?;
    Ok(removed)
}

pub async fn get(
    db: &impl ConnectionTrait,
    scope: &SuppressionScope,
    address: &str,
    now: i64,
) -> Result<Option<suppression::Model>, DbErr> {
    suppressions::get_live(db, scope.column(), address, now).await
}

pub async fn list(
    db: &impl ConnectionTrait,
    scope: &SuppressionScope,
    after: Option<&str>,
    limit: u64,
    now: i64,
) -> Result<Vec<suppression::Model>, DbErr> {
    suppressions::list(db, scope.column(), after, limit, now).await
}
