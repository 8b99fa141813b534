//! Confirmation emails queued per address hash, for the per-address cap.
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};

use super::entities::confirmation_send::{self, Entity as ConfirmationSend};

pub async fn insert(
    db: &impl ConnectionTrait,
    address_hash: &str,
    sent_at: i64,
) -> Result<(), DbErr> {
    let row = confirmation_send::Model {
        id: uuid::Uuid::new_v4().to_string(),
        address_hash: address_hash.to_string(),
        sent_at,
    };
    ConfirmationSend::insert(row.into_active_model())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The send times to `address_hash` since `since`, oldest first.
pub async fn since(
    db: &impl ConnectionTrait,
    address_hash: &str,
    since: i64,
) -> Result<Vec<i64>, DbErr> {
    Ok(ConfirmationSend::find()
        .filter(confirmation_send::Column::AddressHash.eq(address_hash))
        .filter(confirmation_send::Column::SentAt.gt(since))
        .order_by_asc(confirmation_send::Column::SentAt)
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.sent_at)
        .collect())
}

/// Forgets sends at or before `cutoff` (outside every window).
pub async fn forget_before(db: &impl ConnectionTrait, cutoff: i64) -> Result<u64, DbErr> {
    Ok(ConfirmationSend::delete_many()
        .filter(confirmation_send::Column::SentAt.lte(cutoff))
        .exec(db)
        .await?
        .rows_affected)
}
