//! The suppression lists: a project's own, and the server-wide one that
//! every project honours. A suppressed address receives nothing from the
//! project (or, server-wide, from any project): notifications, alerts and
//! confirmation emails alike. Whoever computes recipients asks
//! `suppressed_among` before sending.
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};

use crate::domain::suppression::{
    suppression_key, SuppressionReason, SuppressionScope, SERVER_SCOPE,
};
use crate::store::entities::suppression;
use crate::store::{bounces, suppressions};

/// An address that must not be mailed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppressed {
    /// The address as the caller gave it.
    pub address: String,
    pub reason: SuppressionReason,
    /// True when the server-wide list holds it.
    pub server_wide: bool,
}

/// Which of `addresses` `project` must not mail at `now`, by its own list
/// or the server's; the domain part compares in any letter case.
pub async fn suppressed_among(
    db: &impl ConnectionTrait,
    project: &str,
    addresses: &[String],
    now: i64,
) -> Result<Vec<Suppressed>, DbErr> {
    let keys: Vec<String> = addresses.iter().map(|a| suppression_key(a)).collect();
    let rows = suppressions::live_among(db, &[project, SERVER_SCOPE], &keys, now).await?;
    Ok(addresses
        .iter()
        .zip(&keys)
        .filter_map(|(address, key)| {
            // A project's own reason is the more specific one.
            let row = rows
                .iter()
                .filter(|r| &r.address == key)
                .min_by_key(|r| r.project == SERVER_SCOPE)?;
            Some(Suppressed {
                address: address.clone(),
                reason: SuppressionReason::parse(&row.reason).unwrap_or(SuppressionReason::Manual),
                server_wide: row.project == SERVER_SCOPE,
            })
        })
        .collect())
}

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
