//! Outbox queries: enqueueing, the delivery log, redelivery, the backlog
//! gauges and retention. Fan-out jobs, leases and outcomes have their own
//! modules beside this one.
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::entities::delivery::{self, Entity as Delivery};
use super::entities::delivery_attempt::{self, Entity as DeliveryAttempt};
use super::entities::fanout::{self, Entity as Fanout};
use crate::domain::delivery::NewDelivery;

pub const STATUS_PENDING: &str = "pending";
pub const STATUS_DELIVERED: &str = "delivered";
pub const STATUS_FAILED: &str = "failed";
pub const STATUS_SKIPPED: &str = "skipped";

pub async fn insert(db: &impl ConnectionTrait, d: NewDelivery, now: i64) -> Result<(), DbErr> {
    Delivery::insert(new_row(d, now))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Enqueues one delivery on `db` (normally the caller's open transaction),
/// due at `delivery.due_at`.
pub async fn enqueue(db: &impl ConnectionTrait, delivery: NewDelivery) -> Result<(), DbErr> {
    let now = delivery.due_at;
    insert(db, delivery, now).await
}

/// The row of a delivery enqueued at `now` with its own payload.
pub fn new_row(d: NewDelivery, now: i64) -> delivery::ActiveModel {
    delivery::ActiveModel {
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
    }
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

/// The deliveries the given fan-out jobs made to the given subscriptions
/// (served by `ix_deliveries_fanout`).
pub async fn for_fanouts(
    db: &impl ConnectionTrait,
    fanout_ids: &[i64],
    subscription_ids: &[String],
) -> Result<Vec<delivery::Model>, DbErr> {
    if fanout_ids.is_empty() || subscription_ids.is_empty() {
        return Ok(Vec::new());
    }
    Delivery::find()
        .filter(delivery::Column::FanoutId.is_in(fanout_ids.iter().copied()))
        .filter(delivery::Column::SubscriptionId.is_in(subscription_ids.iter().cloned()))
        .order_by_asc(delivery::Column::Id)
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
