use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};

use super::entities::claim::{self, Entity as Claim};
use crate::domain::{ProjectId, QueueName};

pub async fn insert(db: &impl ConnectionTrait, row: claim::Model) -> Result<(), DbErr> {
    let active = claim::ActiveModel {
        id: Set(row.id),
        project: Set(row.project),
        queue: Set(row.queue),
        ttl: Set(row.ttl),
        grace: Set(row.grace),
        created_at: Set(row.created_at),
        expires_at: Set(row.expires_at),
    };
    Claim::insert(active).exec_without_returning(db).await?;
    Ok(())
}

/// A live claim of this queue, or None if missing, expired or elsewhere.
pub async fn get_live(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    queue: &QueueName,
    id: &str,
    now: i64,
) -> Result<Option<claim::Model>, DbErr> {
    Claim::find()
        .filter(claim::Column::Id.eq(id))
        .filter(claim::Column::Project.eq(project.as_str()))
        .filter(claim::Column::Queue.eq(queue.as_str()))
        .filter(claim::Column::ExpiresAt.gt(now))
        .one(db)
        .await
}

pub async fn update_expiry(
    db: &impl ConnectionTrait,
    id: &str,
    ttl: i64,
    grace: i64,
    created_at: i64,
    expires_at: i64,
) -> Result<(), DbErr> {
    Claim::update_many()
        .col_expr(claim::Column::Ttl, ttl.into())
        .col_expr(claim::Column::Grace, grace.into())
        .col_expr(claim::Column::CreatedAt, created_at.into())
        .col_expr(claim::Column::ExpiresAt, expires_at.into())
        .filter(claim::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    queue: &QueueName,
    id: &str,
) -> Result<u64, DbErr> {
    let res = Claim::delete_many()
        .filter(claim::Column::Id.eq(id))
        .filter(claim::Column::Project.eq(project.as_str()))
        .filter(claim::Column::Queue.eq(queue.as_str()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

pub async fn delete_all(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    queue: &QueueName,
) -> Result<(), DbErr> {
    Claim::delete_many()
        .filter(claim::Column::Project.eq(project.as_str()))
        .filter(claim::Column::Queue.eq(queue.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes up to `batch` expired claims; returns how many went.
pub async fn sweep_expired(db: &impl ConnectionTrait, now: i64, batch: u64) -> Result<u64, DbErr> {
    // Ids first, then the delete (MariaDB refuses LIMIT in an IN
    // subquery); the delete checks the expiry again, as a claim may have
    // been renewed in between.
    let doomed: Vec<String> = Claim::find()
        .select_only()
        .column(claim::Column::Id)
        .filter(claim::Column::ExpiresAt.lte(now))
        .limit(batch)
        .into_tuple()
        .all(db)
        .await?;
    if doomed.is_empty() {
        return Ok(0);
    }
    let res = Claim::delete_many()
        .filter(claim::Column::Id.is_in(doomed))
        .filter(claim::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
