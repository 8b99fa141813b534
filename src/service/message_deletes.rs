//! Deleting messages: one by id (with Zaqar's claim rules), or popping up to
//! `n` free ones. Each is one transaction, so the claim that allowed a
//! delete is the claim that held the message when it was deleted.
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};

use crate::domain::{ProjectId, QueueName};
use crate::store;
use crate::store::entities::message;

#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    /// A claim id was given but names no live claim in this queue.
    #[error("the specified claim does not exist or has expired")]
    ClaimNotLive,
    /// The message is claimed, and not by the claim given (or none was).
    #[error("the message is claimed")]
    Claimed,
    /// A claim id was given for a message nobody holds.
    #[error("the message is not claimed")]
    NotClaimed,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Deletes one message; a message that does not exist is already deleted.
pub async fn delete(
    db: &DatabaseConnection,
    project: &ProjectId,
    queue: &QueueName,
    id: &str,
    claim_id: Option<&str>,
    now: i64,
) -> Result<(), DeleteError> {
    let txn = db.begin().await?;
    if let Some(cid) = claim_id {
        if store::claims::get_live(&txn, project, queue, cid, now)
            .await?
            .is_none()
        {
            return Err(DeleteError::ClaimNotLive);
        }
    }
    let Some(row) = store::messages::get(&txn, project, queue, id, now).await? else {
        return Ok(());
    };
    match (row.active_claim(now), claim_id) {
        (Some(_), None) => return Err(DeleteError::Claimed),
        (Some(held), Some(given)) if held != given => return Err(DeleteError::Claimed),
        (None, Some(_)) => return Err(DeleteError::NotClaimed),
        _ => {}
    }
    store::messages::delete_by_seqs(&txn, &[row.seq]).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes and returns up to `n` messages no claim holds.
pub async fn pop(
    db: &DatabaseConnection,
    project: &ProjectId,
    queue: &QueueName,
    n: u64,
    now: i64,
) -> Result<Vec<message::Model>, DbErr> {
    let txn = db.begin().await?;
    let rows = store::messages::free_for_claim(&txn, project, queue, n, now).await?;
    let seqs: Vec<i64> = rows.iter().map(|m| m.seq).collect();
    store::messages::delete_by_seqs(&txn, &seqs).await?;
    txn.commit().await?;
    Ok(rows)
}
