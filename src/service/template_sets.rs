//! Storing a queue's template set: the write and the per-queue limit in
//! one transaction. The API has checked that the set compiles.
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};

use crate::domain::template_set::{TemplateName, TemplateSet, MAX_SETS_PER_QUEUE};
use crate::domain::{ProjectId, QueueName};
use crate::store::entities::template_set;
use crate::store::template_sets;

#[derive(Debug, thiserror::Error)]
pub enum TemplateSetError {
    #[error("A queue may hold at most {MAX_SETS_PER_QUEUE} template sets.")]
    TooMany,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Stores `set` under `name`; true when it is new.
pub async fn put(
    db: &DatabaseConnection,
    project: &ProjectId,
    queue: &QueueName,
    name: &TemplateName,
    set: TemplateSet,
    now: i64,
) -> Result<(template_set::Model, bool), TemplateSetError> {
    let (project, queue, name) = (project.as_str(), queue.as_str(), name.as_str());
    let txn = db.begin().await?;
    let existing = template_sets::get(&txn, project, queue, name).await?;
    let created = existing.is_none();
    if created && template_sets::count(&txn, project, queue).await? >= MAX_SETS_PER_QUEUE {
        return Err(TemplateSetError::TooMany);
    }
    let row = template_sets::save(&txn, existing, (project, queue, name), set, now).await?;
    txn.commit().await?;
    Ok((row, created))
}
