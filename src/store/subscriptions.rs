//! Subscription rows. Every query is scoped by project (and queue where the
//! API names one); expired rows are invisible unless a function says
//! otherwise.
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::entities::confirm_token::{self, Entity as ConfirmToken};
use super::entities::subscription::{self, Entity as Subscription};
use crate::domain::{ProjectId, QueueName};

/// Inserts unless (project, queue, subscriber) exists. True if inserted.
pub async fn insert_if_absent(
    db: &impl ConnectionTrait,
    row: subscription::Model,
) -> Result<bool, DbErr> {
    let conflict = OnConflict::columns([
        subscription::Column::Project,
        subscription::Column::Queue,
        subscription::Column::Subscriber,
    ])
    .do_nothing()
    .to_owned();
    let insert = Subscription::insert(row.into_active_model()).into_query();
    let statement = super::dialect::insert_if_absent(db.get_database_backend(), insert, conflict);
    Ok(db.execute_raw(statement).await?.rows_affected() > 0)
}

/// The row for this subscriber URI, expired or not (the caller decides).
pub async fn find_by_subscriber(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    queue: &QueueName,
    subscriber: &str,
) -> Result<Option<subscription::Model>, DbErr> {
    Subscription::find()
        .filter(subscription::Column::Project.eq(project.as_str()))
        .filter(subscription::Column::Queue.eq(queue.as_str()))
        .filter(subscription::Column::Subscriber.eq(subscriber))
        .one(db)
        .await
}

pub async fn get_live(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    queue: &QueueName,
    id: &str,
    now: i64,
) -> Result<Option<subscription::Model>, DbErr> {
    Subscription::find()
        .filter(subscription::Column::Id.eq(id))
        .filter(subscription::Column::Project.eq(project.as_str()))
        .filter(subscription::Column::Queue.eq(queue.as_str()))
        .filter(subscription::Column::ExpiresAt.gt(now))
        .one(db)
        .await
}

/// By id alone, for links that carry their own credential (token, HMAC)
/// and no project header.
pub async fn get_live_by_id(
    db: &impl ConnectionTrait,
    id: &str,
    now: i64,
) -> Result<Option<subscription::Model>, DbErr> {
    Subscription::find()
        .filter(subscription::Column::Id.eq(id))
        .filter(subscription::Column::ExpiresAt.gt(now))
        .one(db)
        .await
}

/// One page of live subscriptions after `marker`, ordered by id.
pub async fn list_page(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    queue: &QueueName,
    marker: Option<&str>,
    limit: u64,
    now: i64,
) -> Result<Vec<subscription::Model>, DbErr> {
    let mut query = Subscription::find()
        .filter(subscription::Column::Project.eq(project.as_str()))
        .filter(subscription::Column::Queue.eq(queue.as_str()))
        .filter(subscription::Column::ExpiresAt.gt(now));
    if let Some(marker) = marker {
        query = query.filter(subscription::Column::Id.gt(marker));
    }
    query
        .order_by_asc(subscription::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// One page of every subscription of a queue after `marker`, by id, in
/// any state, expired but not yet swept included (the routes explanation
/// says why each gets a message or not).
pub async fn page_any_state(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    queue: &QueueName,
    marker: Option<&str>,
    limit: u64,
) -> Result<Vec<subscription::Model>, DbErr> {
    let mut query = Subscription::find()
        .filter(subscription::Column::Project.eq(project.as_str()))
        .filter(subscription::Column::Queue.eq(queue.as_str()));
    if let Some(marker) = marker {
        query = query.filter(subscription::Column::Id.gt(marker));
    }
    query
        .order_by_asc(subscription::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Writes every column of `row` (already loaded and modified by the caller).
pub async fn save(db: &impl ConnectionTrait, row: subscription::Model) -> Result<(), DbErr> {
    // Mark every column dirty so the whole row is written.
    row.into_active_model().reset_all().update(db).await?;
    Ok(())
}

/// Sets the status (and confirmed_at when given) of one row.
pub async fn set_status(
    db: &impl ConnectionTrait,
    id: &str,
    status: &str,
    confirmed_at: Option<i64>,
    now: i64,
) -> Result<(), DbErr> {
    let mut update = Subscription::update_many()
        .col_expr(subscription::Column::Status, status.into())
        .col_expr(subscription::Column::UpdatedAt, now.into());
    if let Some(at) = confirmed_at {
        update = update.col_expr(subscription::Column::ConfirmedAt, at.into());
    }
    update
        .filter(subscription::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

async fn delete_ids(db: &impl ConnectionTrait, ids: Vec<String>) -> Result<u64, DbErr> {
    if ids.is_empty() {
        return Ok(0);
    }
    ConfirmToken::delete_many()
        .filter(confirm_token::Column::SubscriptionId.is_in(ids.clone()))
        .exec(db)
        .await?;
    super::alert_states::delete_for(db, &ids).await?;
    let res = Subscription::delete_many()
        .filter(subscription::Column::Id.is_in(ids))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Deletes one subscription and its tokens.
pub async fn delete(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    queue: &QueueName,
    id: &str,
) -> Result<u64, DbErr> {
    let found = Subscription::find()
        .select_only()
        .column(subscription::Column::Id)
        .filter(subscription::Column::Id.eq(id))
        .filter(subscription::Column::Project.eq(project.as_str()))
        .filter(subscription::Column::Queue.eq(queue.as_str()))
        .into_tuple::<String>()
        .all(db)
        .await?;
    delete_ids(db, found).await
}

/// Deletes every subscription of a queue (purge) with their tokens.
pub async fn delete_all(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    queue: &QueueName,
) -> Result<u64, DbErr> {
    let subs = Query::select()
        .column(subscription::Column::Id)
        .from(Subscription)
        .and_where(subscription::Column::Project.eq(project.as_str()))
        .and_where(subscription::Column::Queue.eq(queue.as_str()))
        .to_owned();
    ConfirmToken::delete_many()
        .filter(confirm_token::Column::SubscriptionId.in_subquery(subs))
        .exec(db)
        .await?;
    let res = Subscription::delete_many()
        .filter(subscription::Column::Project.eq(project.as_str()))
        .filter(subscription::Column::Queue.eq(queue.as_str()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Deletes up to `batch` expired subscriptions and their tokens.
pub async fn sweep_expired(db: &impl ConnectionTrait, now: i64, batch: u64) -> Result<u64, DbErr> {
    let ids = Subscription::find()
        .select_only()
        .column(subscription::Column::Id)
        .filter(subscription::Column::ExpiresAt.lte(now))
        .limit(batch)
        .into_tuple::<String>()
        .all(db)
        .await?;
    delete_ids(db, ids).await
}

/// Removes one expired row so a re-create starts fresh.
pub async fn delete_by_id(db: &impl ConnectionTrait, id: &str) -> Result<u64, DbErr> {
    delete_ids(db, vec![id.to_string()]).await
}

pub async fn mark_confirmation_sent(
    db: &impl ConnectionTrait,
    id: &str,
    now: i64,
) -> Result<(), DbErr> {
    Subscription::update_many()
        .col_expr(subscription::Column::LastConfirmationSentAt, now.into())
        .filter(subscription::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The fan-out read: active, unexpired subscriptions of one queue, a page at
/// a time after `after_id` (served by `ix_subscriptions_fanout_page`). Pending and
/// unsubscribed rows never receive messages.
pub async fn active_page(
    db: &impl ConnectionTrait,
    project: &str,
    queue: &str,
    now: i64,
    after_id: Option<&str>,
    limit: u64,
) -> Result<Vec<subscription::Model>, DbErr> {
    // The first page too is asked with `id > ""` (every id is longer):
    // without a bound on id, SQLite picks `ix_subscriptions_fanout` for the
    // expires_at range and sorts every subscription of the queue to return
    // the first page, which for 10,000 subscriptions costs more than
    // routing them all.
    Subscription::find()
        .filter(subscription::Column::Project.eq(project))
        .filter(subscription::Column::Queue.eq(queue))
        .filter(subscription::Column::Status.eq("active"))
        .filter(subscription::Column::ExpiresAt.gt(now))
        .filter(subscription::Column::Id.gt(after_id.unwrap_or("")))
        .order_by_asc(subscription::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// True when the queue has at least one active, unexpired subscription (the
/// message post decides with this whether to commit fan-out jobs).
pub async fn any_active(
    db: &impl ConnectionTrait,
    project: &str,
    queue: &str,
    now: i64,
) -> Result<bool, DbErr> {
    Ok(!active_page(db, project, queue, now, None, 1)
        .await?
        .is_empty())
}

/// How many live subscriptions a queue has.
pub async fn count_live(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    queue: &QueueName,
    now: i64,
) -> Result<u64, DbErr> {
    Subscription::find()
        .filter(subscription::Column::Project.eq(project.as_str()))
        .filter(subscription::Column::Queue.eq(queue.as_str()))
        .filter(subscription::Column::ExpiresAt.gt(now))
        .count(db)
        .await
}
