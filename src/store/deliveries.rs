//! Outbox queries: fan-out jobs, deliveries, the attempt log.
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entities::delivery::{self, Entity as Delivery};
use super::entities::delivery_attempt::{self, Entity as DeliveryAttempt};
use super::entities::fanout::{self, Entity as Fanout};
use crate::delivery::outbox::{DeliveryKind, NewDelivery};

pub const STATUS_PENDING: &str = "pending";
pub const STATUS_DELIVERED: &str = "delivered";
pub const STATUS_FAILED: &str = "failed";
pub const STATUS_SKIPPED: &str = "skipped";

pub async fn insert(db: &impl ConnectionTrait, d: NewDelivery, now: i64) -> Result<(), DbErr> {
    let row = delivery::ActiveModel {
        project: Set(d.project),
        queue: Set(d.queue),
        subscription_id: Set(d.subscription_id),
        subscriber: Set(d.subscriber),
        kind: Set(d.kind.as_str().to_string()),
        message_id: Set(d.message_id),
        fanout_id: Set(None),
        payload: Set(Some(d.payload.to_string())),
        status: Set(STATUS_PENDING.to_string()),
        attempts: Set(0),
        next_attempt_at: Set(d.due_at),
        lease_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    Delivery::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// A posted message waiting to be fanned out.
#[derive(Debug, Clone)]
pub struct NewFanout {
    pub message_id: String,
    pub payload: serde_json::Value,
}

pub async fn insert_fanouts(
    db: &impl ConnectionTrait,
    project: &str,
    queue: &str,
    jobs: Vec<NewFanout>,
    now: i64,
) -> Result<(), DbErr> {
    if jobs.is_empty() {
        return Ok(());
    }
    let rows = jobs.into_iter().map(|job| fanout::ActiveModel {
        project: Set(project.to_string()),
        queue: Set(queue.to_string()),
        message_id: Set(job.message_id),
        payload: Set(job.payload.to_string()),
        cursor: Set(None),
        expanded: Set(false),
        created_at: Set(now),
        ..Default::default()
    });
    Fanout::insert_many(rows).exec_without_returning(db).await?;
    Ok(())
}

/// Expands one batch of the oldest unexpanded fan-out job into delivery rows
/// (one per active subscription). Returns how many deliveries it created, or
/// None when there was no job.
pub async fn expand_one_batch(
    db: &impl ConnectionTrait,
    now: i64,
    batch: u64,
) -> Result<Option<u64>, DbErr> {
    let mut find = Fanout::find()
        .filter(fanout::Column::Expanded.eq(false))
        .order_by_asc(fanout::Column::Id)
        .limit(1);
    if db.get_database_backend() == DbBackend::Postgres {
        find = find.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let Some(job) = find.one(db).await? else {
        return Ok(None);
    };
    let subs = super::subscriptions::active_page(
        db,
        &job.project,
        &job.queue,
        now,
        job.cursor.as_deref(),
        batch,
    )
    .await?;
    let last_id = subs
        .last()
        .map(|sub| sub.id.clone())
        .or_else(|| job.cursor.clone());
    let rows: Vec<delivery::ActiveModel> = subs
        .into_iter()
        .map(|sub| delivery::ActiveModel {
            project: Set(job.project.clone()),
            queue: Set(job.queue.clone()),
            subscription_id: Set(sub.id),
            subscriber: Set(sub.subscriber),
            kind: Set(DeliveryKind::Notification.as_str().to_string()),
            message_id: Set(Some(job.message_id.clone())),
            fanout_id: Set(Some(job.id)),
            payload: Set(None),
            status: Set(STATUS_PENDING.to_string()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            lease_until: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    let created = rows.len() as u64;
    if !rows.is_empty() {
        Delivery::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Fanout::update_many()
        .col_expr(fanout::Column::Cursor, Expr::value(last_id))
        .col_expr(fanout::Column::Expanded, Expr::value(created < batch))
        .filter(fanout::Column::Id.eq(job.id))
        .exec(db)
        .await?;
    Ok(Some(created))
}

/// Leases up to `limit` due deliveries for `lease_ms`, oldest due first,
/// skipping the given subscriptions (those already at their concurrency
/// bound). Rows leased by a live worker are not touched; an expired lease is
/// taken over.
pub async fn lease_due(
    db: &impl ConnectionTrait,
    now: i64,
    limit: u64,
    lease_ms: i64,
    skip_subscriptions: &[String],
) -> Result<Vec<delivery::Model>, DbErr> {
    let free = sea_orm::Condition::any()
        .add(delivery::Column::LeaseUntil.is_null())
        .add(delivery::Column::LeaseUntil.lte(now));
    let mut find = Delivery::find()
        .select_only()
        .column(delivery::Column::Id)
        .filter(delivery::Column::Status.eq(STATUS_PENDING))
        .filter(delivery::Column::NextAttemptAt.lte(now))
        .filter(free.clone())
        .order_by_asc(delivery::Column::NextAttemptAt)
        .order_by_asc(delivery::Column::Id)
        .limit(limit);
    if !skip_subscriptions.is_empty() {
        find = find
            .filter(delivery::Column::SubscriptionId.is_not_in(skip_subscriptions.iter().cloned()));
    }
    if db.get_database_backend() == DbBackend::Postgres {
        // Several processes on one database skip each other's rows.
        find = find.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let ids: Vec<i64> = find.into_tuple().all(db).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Delivery::update_many()
        .col_expr(delivery::Column::LeaseUntil, Expr::value(now + lease_ms))
        .filter(delivery::Column::Id.is_in(ids.iter().copied()))
        .filter(free)
        .exec(db)
        .await?;
    Delivery::find()
        .filter(delivery::Column::Id.is_in(ids))
        .filter(delivery::Column::LeaseUntil.eq(now + lease_ms))
        .order_by_asc(delivery::Column::Id)
        .all(db)
        .await
}

pub async fn fanout_payload(
    db: &impl ConnectionTrait,
    fanout_id: i64,
) -> Result<Option<String>, DbErr> {
    Ok(Fanout::find_by_id(fanout_id)
        .one(db)
        .await?
        .map(|f| f.payload))
}

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Delivered,
    RetryAt(i64),
    Failed,
}

pub struct AttemptRecord {
    pub at: i64,
    pub outcome: &'static str,
    pub code: Option<i32>,
    pub detail: String,
    pub duration_ms: i64,
}

/// Logs the attempt and moves the delivery on, releasing its lease.
pub async fn record_attempt(
    db: &impl ConnectionTrait,
    delivery_id: i64,
    attempt: AttemptRecord,
    next: Next,
    scrub_payload: bool,
) -> Result<(), DbErr> {
    let now = attempt.at;
    let failed_detail = (next != Next::Delivered).then(|| attempt.detail.clone());
    DeliveryAttempt::insert(delivery_attempt::ActiveModel {
        delivery_id: Set(delivery_id),
        at: Set(attempt.at),
        outcome: Set(attempt.outcome.to_string()),
        code: Set(attempt.code),
        detail: Set(attempt.detail),
        duration_ms: Set(attempt.duration_ms),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    let (status, next_at) = match next {
        Next::Delivered => (STATUS_DELIVERED, now),
        Next::RetryAt(at) => (STATUS_PENDING, at),
        Next::Failed => (STATUS_FAILED, now),
    };
    let mut update = Delivery::update_many()
        .col_expr(delivery::Column::Status, Expr::value(status))
        .col_expr(
            delivery::Column::Attempts,
            Expr::col(delivery::Column::Attempts).add(1),
        )
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(next_at))
        .col_expr(
            delivery::Column::LeaseUntil,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(delivery::Column::LastError, Expr::value(failed_detail))
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now));
    if scrub_payload && status == STATUS_DELIVERED {
        // Confirmation payloads carry a plaintext token link: once sent, it
        // has no reason to stay at rest.
        update = update.col_expr(
            delivery::Column::Payload,
            Expr::value(Option::<String>::None),
        );
    }
    update
        .filter(delivery::Column::Id.eq(delivery_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends a delivery without an attempt (its subscription is gone, expired or
/// no longer active).
pub async fn mark_skipped(
    db: &impl ConnectionTrait,
    delivery_id: i64,
    reason: &str,
    now: i64,
) -> Result<(), DbErr> {
    Delivery::update_many()
        .col_expr(delivery::Column::Status, Expr::value(STATUS_SKIPPED))
        .col_expr(
            delivery::Column::LeaseUntil,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(delivery::Column::LastError, Expr::value(reason))
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(delivery::Column::Id.eq(delivery_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A subscription's deliveries, newest first, optionally by status.
pub async fn list_for_subscription(
    db: &impl ConnectionTrait,
    subscription_id: &str,
    status: Option<&str>,
    before_id: Option<i64>,
    limit: u64,
) -> Result<Vec<delivery::Model>, DbErr> {
    let mut find = Delivery::find().filter(delivery::Column::SubscriptionId.eq(subscription_id));
    if let Some(status) = status {
        find = find.filter(delivery::Column::Status.eq(status));
    }
    if let Some(before) = before_id {
        find = find.filter(delivery::Column::Id.lt(before));
    }
    find.order_by_desc(delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

pub async fn attempts_for(
    db: &impl ConnectionTrait,
    delivery_ids: &[i64],
) -> Result<Vec<delivery_attempt::Model>, DbErr> {
    DeliveryAttempt::find()
        .filter(delivery_attempt::Column::DeliveryId.is_in(delivery_ids.iter().copied()))
        .order_by_asc(delivery_attempt::Column::Id)
        .all(db)
        .await
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<delivery::Model>, DbErr> {
    Delivery::find_by_id(id).one(db).await
}

/// Puts a failed delivery back in line, due now. Returns false if it was not
/// failed.
pub async fn requeue_failed(db: &impl ConnectionTrait, id: i64, now: i64) -> Result<bool, DbErr> {
    let res = Delivery::update_many()
        .col_expr(delivery::Column::Status, Expr::value(STATUS_PENDING))
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(now))
        .col_expr(
            delivery::Column::LeaseUntil,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(delivery::Column::Id.eq(id))
        .filter(delivery::Column::Status.eq(STATUS_FAILED))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}

/// What /metrics reports from the database.
#[derive(Debug, Clone, Copy, Default)]
pub struct Backlog {
    /// Pending deliveries whose next attempt is due.
    pub due: u64,
    /// Deliveries leased by some worker right now.
    pub in_flight: u64,
    /// Posted messages not yet expanded into deliveries.
    pub fanouts_pending: u64,
}

pub async fn backlog(db: &impl ConnectionTrait, now: i64) -> Result<Backlog, DbErr> {
    use sea_orm::PaginatorTrait;
    let due = Delivery::find()
        .filter(delivery::Column::Status.eq(STATUS_PENDING))
        .filter(delivery::Column::NextAttemptAt.lte(now))
        .count(db)
        .await?;
    let in_flight = Delivery::find()
        .filter(delivery::Column::Status.eq(STATUS_PENDING))
        .filter(delivery::Column::LeaseUntil.gt(now))
        .count(db)
        .await?;
    let fanouts_pending = Fanout::find()
        .filter(fanout::Column::Expanded.eq(false))
        .count(db)
        .await?;
    Ok(Backlog {
        due,
        in_flight,
        fanouts_pending,
    })
}

/// Gives leases back without an attempt (over the per-subscription bound).
pub async fn release_leases(db: &impl ConnectionTrait, ids: &[i64]) -> Result<(), DbErr> {
    Delivery::update_many()
        .col_expr(
            delivery::Column::LeaseUntil,
            Expr::value(Option::<i64>::None),
        )
        .filter(delivery::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes up to `batch` finished deliveries (delivered, skipped, failed)
/// last touched before `cutoff`, with their attempts, then fan-out jobs that
/// no delivery refers to any more. Pending deliveries are never touched.
pub async fn sweep_finished(
    db: &impl ConnectionTrait,
    cutoff: i64,
    batch: u64,
) -> Result<u64, DbErr> {
    let ids: Vec<i64> = Delivery::find()
        .select_only()
        .column(delivery::Column::Id)
        .filter(delivery::Column::Status.is_in([STATUS_DELIVERED, STATUS_SKIPPED, STATUS_FAILED]))
        .filter(delivery::Column::UpdatedAt.lt(cutoff))
        .limit(batch)
        .into_tuple()
        .all(db)
        .await?;
    let mut removed = 0;
    if !ids.is_empty() {
        DeliveryAttempt::delete_many()
            .filter(delivery_attempt::Column::DeliveryId.is_in(ids.iter().copied()))
            .exec(db)
            .await?;
        removed += Delivery::delete_many()
            .filter(delivery::Column::Id.is_in(ids))
            .exec(db)
            .await?
            .rows_affected;
    }
    let referenced = sea_orm::sea_query::Query::select()
        .column(delivery::Column::FanoutId)
        .from(Delivery)
        .and_where(delivery::Column::FanoutId.is_not_null())
        .to_owned();
    let spent: Vec<i64> = Fanout::find()
        .select_only()
        .column(fanout::Column::Id)
        .filter(fanout::Column::Expanded.eq(true))
        .filter(fanout::Column::CreatedAt.lt(cutoff))
        .filter(fanout::Column::Id.not_in_subquery(referenced))
        .limit(batch)
        .into_tuple()
        .all(db)
        .await?;
    if !spent.is_empty() {
        removed += Fanout::delete_many()
            .filter(fanout::Column::Id.is_in(spent))
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(removed)
}
