//! Claim use cases behind the Zaqar API: claim up to `limit` free messages,
//! extend a live claim, release one. Each is one transaction, so a claim
//! row and the messages it holds change together.
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};

use crate::domain::{ProjectId, QueueName};
use crate::store;
use crate::store::entities::{claim, message};

#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// No live claim with that id in that queue.
    #[error("claim not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A claim to take: up to `limit` messages for `ttl` seconds; the messages
/// live at least `grace` seconds past the claim.
#[derive(Debug, Clone, Copy)]
pub struct ClaimTerms {
    pub limit: u64,
    pub ttl: i64,
    pub grace: i64,
}

#[derive(Debug)]
pub struct Claimed {
    pub id: String,
    pub messages: Vec<message::Model>,
}

/// Claims free messages; `None` when there were none to claim (the caller
/// answers 204 and no claim row is kept).
pub async fn create(
    db: &DatabaseConnection,
    project: &ProjectId,
    queue: &QueueName,
    terms: ClaimTerms,
    now: i64,
) -> Result<Option<Claimed>, DbErr> {
    let claim_id = uuid::Uuid::new_v4().to_string();
    let expires_at = now + terms.ttl * 1000;
    let txn = db.begin().await?;
    let candidates =
        store::messages::free_for_claim(&txn, project, queue, terms.limit, now).await?;
    if candidates.is_empty() {
        return Ok(None);
    }
    let seqs: Vec<i64> = candidates.iter().map(|m| m.seq).collect();
    store::messages::apply_claim(
        &txn,
        &seqs,
        &claim_id,
        expires_at,
        expires_at + terms.grace * 1000,
        now,
    )
    .await?;
    store::claims::insert(
        &txn,
        claim::Model {
            id: claim_id.clone(),
            project: project.as_str().to_string(),
            queue: queue.as_str().to_string(),
            ttl: terms.ttl,
            grace: terms.grace,
            created_at: now,
            expires_at,
        },
    )
    .await?;
    let claimed = store::messages::claimed_by(&txn, &claim_id, now).await?;
    txn.commit().await?;
    if claimed.is_empty() {
        return Ok(None);
    }
    Ok(Some(Claimed {
        id: claim_id,
        messages: claimed,
    }))
}

/// Renews a live claim from now on, with new `ttl` and `grace`.
pub async fn update(
    db: &DatabaseConnection,
    project: &ProjectId,
    queue: &QueueName,
    id: &str,
    ttl: i64,
    grace: i64,
    now: i64,
) -> Result<(), ClaimError> {
    let txn = db.begin().await?;
    if store::claims::get_live(&txn, project, queue, id, now)
        .await?
        .is_none()
    {
        return Err(ClaimError::NotFound);
    }
    let expires_at = now + ttl * 1000;
    store::messages::extend_claim(&txn, id, expires_at, expires_at + grace * 1000, now).await?;
    store::claims::update_expiry(&txn, id, ttl, grace, now, expires_at).await?;
    txn.commit().await?;
    Ok(())
}

/// Releases a claim and frees its messages; releasing a claim that does not
/// exist is not an error (Zaqar answers 204 either way).
pub async fn release(
    db: &DatabaseConnection,
    project: &ProjectId,
    queue: &QueueName,
    id: &str,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    if store::claims::delete(&txn, project, queue, id).await? > 0 {
        store::messages::release_claim(&txn, id).await?;
    }
    txn.commit().await
}
