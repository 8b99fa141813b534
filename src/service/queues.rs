//! Queue use cases that write: change the metadata, delete, purge. Each is
//! one transaction, and the caches this process keeps hear of the change
//! once it is committed.
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};
use serde_json::{Map, Value};

use crate::domain::{ProjectId, QueueName};
use crate::store;
use crate::store::fanout_targets::FanoutTargets;
use crate::store::metadata_cache::MetadataCache;

#[derive(Debug, thiserror::Error)]
pub enum MetadataError<E> {
    #[error("queue not found")]
    NotFound,
    /// The edit refused the change; nothing was written.
    #[error("the metadata change was refused")]
    Refused(E),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Reads the queue's metadata, lets `edit` change and check it (the JSON
/// patch and its rules belong to the caller), and stores the result. The
/// read and the write are one transaction, so two concurrent patches cannot
/// lose each other's change.
pub async fn update_metadata<E>(
    db: &DatabaseConnection,
    cache: &MetadataCache,
    project: &ProjectId,
    name: &QueueName,
    edit: impl FnOnce(&mut Map<String, Value>) -> Result<(), E>,
) -> Result<Map<String, Value>, MetadataError<E>> {
    let txn = db.begin().await?;
    let queue = store::queues::get(&txn, project, name)
        .await?
        .ok_or(MetadataError::NotFound)?;
    let mut metadata = store::queues::parse_metadata(&queue.metadata);
    edit(&mut metadata).map_err(MetadataError::Refused)?;
    store::queues::set_metadata(&txn, queue.id, &metadata).await?;
    txn.commit().await?;
    cache.invalidate(project, name);
    Ok(metadata)
}

/// Deletes the queue with its messages and claims.
pub async fn delete(
    db: &DatabaseConnection,
    cache: &MetadataCache,
    project: &ProjectId,
    name: &QueueName,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    store::messages::delete_all(&txn, project, name).await?;
    store::claims::delete_all(&txn, project, name).await?;
    store::queues::delete(&txn, project, name).await?;
    txn.commit().await?;
    cache.invalidate(project, name);
    Ok(())
}

/// What a purge removes.
#[derive(Debug, Clone, Copy)]
pub struct Purge {
    /// Messages and the claims on them.
    pub messages: bool,
    pub subscriptions: bool,
}

pub async fn purge(
    db: &DatabaseConnection,
    fanout_targets: &FanoutTargets,
    project: &ProjectId,
    name: &QueueName,
    what: Purge,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    if what.messages {
        store::messages::delete_all(&txn, project, name).await?;
        store::claims::delete_all(&txn, project, name).await?;
    }
    if what.subscriptions {
        store::subscriptions::delete_all(&txn, project, name).await?;
    }
    txn.commit().await?;
    fanout_targets.subscriptions_changed();
    Ok(())
}
