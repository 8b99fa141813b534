//! Confirmation tokens: only the SHA-256 hash is stored; a row is consumed
//! by setting `used_at` under a `used_at IS NULL` guard so two concurrent
//! clicks cannot both succeed.
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
};

use super::entities::confirm_token::{self, Entity as ConfirmToken};
use super::entities::subscription;
use crate::domain::{links, tokens};

pub async fn insert(db: &impl ConnectionTrait, row: confirm_token::Model) -> Result<(), DbErr> {
    ConfirmToken::insert(row.into_active_model())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Stores a fresh single-use confirm token (hashed) for the subscription
/// and returns the plaintext link and its expiry. Used for the confirmation
/// email and, at send time, for the re-subscribe link of the unsubscribed
/// notice.
pub async fn issue_confirm_link(
    db: &impl ConnectionTrait,
    public_url: &str,
    ttl_ms: i64,
    row: &subscription::Model,
    now: i64,
) -> Result<(String, i64), DbErr> {
    let token = tokens::generate();
    let expires_at = now + ttl_ms;
    insert(
        db,
        confirm_token::Model {
            id: uuid::Uuid::new_v4().to_string(),
            subscription_id: row.id.clone(),
            purpose: "confirm".into(),
            token_hash: tokens::hash(&token),
            created_at: now,
            expires_at,
            used_at: None,
        },
    )
    .await?;
    let link = links::confirm_url(public_url, &row.queue, &row.subscriber, &token);
    Ok((link, expires_at))
}

pub async fn find_by_hash(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<confirm_token::Model>, DbErr> {
    ConfirmToken::find()
        .filter(confirm_token::Column::TokenHash.eq(token_hash))
        .one(db)
        .await
}

/// Consumes the token; false if it was already used (a concurrent click).
pub async fn mark_used(db: &impl ConnectionTrait, id: &str, now: i64) -> Result<bool, DbErr> {
    let res = ConfirmToken::update_many()
        .col_expr(confirm_token::Column::UsedAt, Expr::value(now))
        .filter(confirm_token::Column::Id.eq(id))
        .filter(confirm_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Tokens of one subscription (tests and diagnostics).
pub async fn for_subscription(
    db: &impl ConnectionTrait,
    subscription_id: &str,
) -> Result<Vec<confirm_token::Model>, DbErr> {
    ConfirmToken::find()
        .filter(confirm_token::Column::SubscriptionId.eq(subscription_id))
        .all(db)
        .await
}

/// Deletes up to `batch` tokens that expired before `cutoff`.
pub async fn sweep_expired(
    db: &impl ConnectionTrait,
    cutoff: i64,
    batch: u64,
) -> Result<u64, DbErr> {
    let ids = ConfirmToken::find()
        .select_only()
        .column(confirm_token::Column::Id)
        .filter(confirm_token::Column::ExpiresAt.lte(cutoff))
        .limit(batch)
        .into_tuple::<String>()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let res = ConfirmToken::delete_many()
        .filter(confirm_token::Column::Id.is_in(ids))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
