//! Alert subscriptions' per-element state rows and the deliveries they
//! schedule. The caller (delivery, through `alerts`) decides; this module
//! only reads and writes, in the caller's transaction.
use sea_orm::sea_query::{Expr, LockType, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect,
};

use super::deliveries::{STATUS_PENDING, STATUS_SKIPPED};
use super::entities::alert_state::{self, Entity as AlertState};
use super::entities::delivery::{self, Entity as Delivery};
use crate::domain::delivery::NewDelivery;

/// The row of (subscription, element), locked on PostgreSQL and MariaDB until the
/// caller's transaction ends, so two workers apply reports one at a time.
pub async fn get(
    db: &impl ConnectionTrait,
    subscription_id: &str,
    element: &str,
) -> Result<Option<alert_state::Model>, DbErr> {
    let mut find = AlertState::find()
        .filter(alert_state::Column::SubscriptionId.eq(subscription_id))
        .filter(alert_state::Column::Element.eq(element));
    if super::dialect::locks_rows(db.get_database_backend()) {
        find = find.lock(LockType::Update);
    }
    find.one(db).await
}

/// Inserts or replaces the row.
pub async fn save(db: &impl ConnectionTrait, row: alert_state::Model) -> Result<(), DbErr> {
    use alert_state::Column as C;
    let conflict = OnConflict::columns([C::SubscriptionId, C::Element])
        .update_columns([
            C::Level,
            C::Parent,
            C::LastState,
            C::NotifiedState,
            C::Since,
            C::Seq,
            C::PendingState,
            C::PendingDueAt,
            C::PendingDeliveryId,
            C::OccurredDeliveryId,
            C::UpdatedAt,
        ])
        .to_owned();
    AlertState::insert(row.into_active_model())
        .on_conflict(conflict)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Enqueues an alert delivery and returns its id (the state row names it).
pub async fn enqueue(db: &impl ConnectionTrait, d: NewDelivery, now: i64) -> Result<i64, DbErr> {
    let row = super::deliveries::new_row(d, now);
    Ok(Delivery::insert(row).exec(db).await?.last_insert_id)
}

/// Marks a pending "occurred" that is no longer current as skipped, with
/// the reason, unless a worker holds it right now (its own check at the
/// attempt then skips it).
pub async fn cancel(
    db: &impl ConnectionTrait,
    delivery_id: i64,
    reason: &str,
    now: i64,
) -> Result<(), DbErr> {
    Delivery::update_many()
        .col_expr(delivery::Column::Status, Expr::value(STATUS_SKIPPED))
        .col_expr(delivery::Column::LastError, Expr::value(reason))
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(delivery::Column::Id.eq(delivery_id))
        .filter(delivery::Column::Status.eq(STATUS_PENDING))
        .filter(
            Condition::any()
                .add(delivery::Column::LeaseUntil.is_null())
                .add(delivery::Column::LeaseUntil.lt(now)),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets the element states of these subscriptions (they were deleted
/// or their rule changed).
pub async fn delete_for(
    db: &impl ConnectionTrait,
    subscription_ids: &[String],
) -> Result<(), DbErr> {
    if subscription_ids.is_empty() {
        return Ok(());
    }
    AlertState::delete_many()
        .filter(alert_state::Column::SubscriptionId.is_in(subscription_ids.iter().cloned()))
        .exec(db)
        .await?;
    Ok(())
}

/// The row of (subscription, element), unlocked: an ancestor looked at.
pub async fn peek(
    db: &impl ConnectionTrait,
    subscription_id: &str,
    element: &str,
) -> Result<Option<alert_state::Model>, DbErr> {
    AlertState::find()
        .filter(alert_state::Column::SubscriptionId.eq(subscription_id))
        .filter(alert_state::Column::Element.eq(element))
        .one(db)
        .await
}
