//! Leasing due deliveries to a worker, and loading what their attempts need.
//!
//! A lease is a time (`lease_until`) before which no other worker touches
//! the row; a worker that dies simply lets it run out. Leasing is two steps
//! in the caller's transaction: look at the due candidates (locked with
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL and MariaDB, so several processes pass each
//! other by), then lease the ones the caller chose, so rows beyond a
//! subscription's concurrency bound are never leased only to be given back.
use std::collections::HashMap;

use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait,
};

use super::deliveries::STATUS_PENDING;
use super::entities::delivery::{self, Entity as Delivery};
use super::entities::subscription::{self, Entity as Subscription};

/// A due delivery nobody holds: its id and subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: i64,
    pub subscription_id: String,
}

fn not_leased(now: i64) -> Condition {
    Condition::any()
        .add(delivery::Column::LeaseUntil.is_null())
        .add(delivery::Column::LeaseUntil.lte(now))
}

/// Up to `limit` due, unleased deliveries, oldest due first, leaving out
/// the given subscriptions (those already at their concurrency bound).
pub async fn candidates(
    db: &impl ConnectionTrait,
    now: i64,
    limit: u64,
    skip_subscriptions: &[String],
) -> Result<Vec<Candidate>, DbErr> {
    let mut find = Delivery::find()
        .select_only()
        .column(delivery::Column::Id)
        .column(delivery::Column::SubscriptionId)
        .filter(delivery::Column::Status.eq(STATUS_PENDING))
        .filter(delivery::Column::NextAttemptAt.lte(now))
        .filter(not_leased(now))
        .order_by_asc(delivery::Column::NextAttemptAt)
        .order_by_asc(delivery::Column::Id)
        .limit(limit);
    if !skip_subscriptions.is_empty() {
        find = find
            .filter(delivery::Column::SubscriptionId.is_not_in(skip_subscriptions.iter().cloned()));
    }
    if super::dialect::locks_rows(db.get_database_backend()) {
        find = find.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let rows: Vec<(i64, String)> = find.into_tuple().all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, subscription_id)| Candidate {
            id,
            subscription_id,
        })
        .collect())
}

/// Leases the given deliveries until `now + lease_ms` (those still free)
/// and returns the rows this call now holds.
pub async fn lease(
    db: &impl ConnectionTrait,
    ids: &[i64],
    now: i64,
    lease_ms: i64,
) -> Result<Vec<delivery::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let until = now + lease_ms;
    let backend = db.get_database_backend();
    let mut update = Delivery::update_many()
        .col_expr(delivery::Column::LeaseUntil, Expr::value(until))
        .filter(delivery::Column::Id.is_in(ids.iter().copied()))
        .filter(not_leased(now))
        .into_query();
    let mut rows = if backend == DbBackend::MySql {
        // MariaDB has no UPDATE ... RETURNING. The candidates are locked
        // by this transaction (FOR UPDATE), so the rows that now carry
        // this lease are exactly the ones this UPDATE changed.
        db.execute(&update).await?;
        Delivery::find()
            .filter(delivery::Column::Id.is_in(ids.iter().copied()))
            .filter(delivery::Column::LeaseUntil.eq(until))
            .all(db)
            .await?
    } else {
        // One statement: lease and read back what this call now holds.
        update.returning_all();
        let statement = backend.build(&update);
        Delivery::find().from_raw_sql(statement).all(db).await?
    };
    rows.sort_by_key(|d| d.id);
    Ok(rows)
}

/// Gives leases back without an attempt (deliveries queued but not
/// started when the worker stops).
pub async fn release(db: &impl ConnectionTrait, ids: &[i64]) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
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

/// The live (unexpired) subscriptions among `ids`, by id. A missing id
/// means the subscription was deleted or has expired.
pub async fn live_subscriptions(
    db: &impl ConnectionTrait,
    ids: &[String],
    now: i64,
) -> Result<HashMap<String, subscription::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = Subscription::find()
        .filter(subscription::Column::Id.is_in(ids.iter().cloned()))
        .filter(subscription::Column::ExpiresAt.gt(now))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|s| (s.id.clone(), s)).collect())
}
