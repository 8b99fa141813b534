//! The bounce audit trail, VERP tokens, and temporary-bounce streaks.
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};

use super::entities::bounce::{self, Entity as Bounce};
use super::entities::bounce_streak::{self, Entity as BounceStreak};
use super::entities::bounce_token::{self, Entity as BounceToken};

pub async fn insert(db: &impl ConnectionTrait, row: bounce::Model) -> Result<(), DbErr> {
    Bounce::insert(row.into_active_model())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Newest first; `project` None: every bounce, matched or not.
pub async fn list(
    db: &impl ConnectionTrait,
    project: Option<&str>,
    before: Option<&str>,
    limit: u64,
) -> Result<Vec<bounce::Model>, DbErr> {
    let mut query = Bounce::find();
    if let Some(project) = project {
        query = query.filter(bounce::Column::Project.eq(project));
    }
    if let Some(before) = before {
        query = query.filter(bounce::Column::Id.lt(before));
    }
    query
        .order_by_desc(bounce::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Remembers a delivery's token (once: retries carry the same one).
pub async fn remember_token(
    db: &impl ConnectionTrait,
    token_hash: &str,
    delivery_id: i64,
    project: &str,
    now: i64,
) -> Result<(), DbErr> {
    let row = bounce_token::Model {
        token_hash: token_hash.to_string(),
        delivery_id,
        project: project.to_string(),
        created_at: now,
    };
    let conflict = OnConflict::column(bounce_token::Column::TokenHash)
        .do_nothing()
        .to_owned();
    let insert = BounceToken::insert(row.into_active_model()).into_query();
    db.execute_raw(super::dialect::insert_if_absent(
        db.get_database_backend(),
        insert,
        conflict,
    ))
    .await?;
    Ok(())
}

pub async fn token(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<bounce_token::Model>, DbErr> {
    BounceToken::find_by_id(token_hash.to_string())
        .one(db)
        .await
}

/// Forgets tokens made before `cutoff` (their deliveries are swept).
pub async fn forget_tokens_before(db: &impl ConnectionTrait, cutoff: i64) -> Result<u64, DbErr> {
    Ok(BounceToken::delete_many()
        .filter(bounce_token::Column::CreatedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected)
}

/// One more temporary bounce for the address; returns the streak.
pub async fn bump_streak(
    db: &impl ConnectionTrait,
    project: &str,
    address: &str,
    now: i64,
) -> Result<i32, DbErr> {
    let row = bounce_streak::Model {
        id: uuid::Uuid::new_v4().to_string(),
        project: project.to_string(),
        address: address.to_string(),
        count: 1,
        updated_at: now,
    };
    BounceStreak::insert(row.into_active_model())
        .on_conflict(
            OnConflict::columns([
                bounce_streak::Column::Project,
                bounce_streak::Column::Address,
            ])
            .value(
                bounce_streak::Column::Count,
                Expr::col((BounceStreak, bounce_streak::Column::Count)).add(1),
            )
            .update_column(bounce_streak::Column::UpdatedAt)
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    let count = BounceStreak::find()
        .select_only()
        .column(bounce_streak::Column::Count)
        .filter(bounce_streak::Column::Project.eq(project))
        .filter(bounce_streak::Column::Address.eq(address))
        .into_tuple::<i32>()
        .one(db)
        .await?;
    Ok(count.unwrap_or(1))
}

/// The streak starts over (suppressed, unsuppressed, or delivered).
pub async fn reset_streak(
    db: &impl ConnectionTrait,
    project: &str,
    address: &str,
) -> Result<(), DbErr> {
    BounceStreak::delete_many()
        .filter(bounce_streak::Column::Project.eq(project))
        .filter(bounce_streak::Column::Address.eq(address))
        .exec(db)
        .await?;
    Ok(())
}

/// Every streak of these addresses (stored form) starts over: an email to
/// them was accepted, so the temporary failures were not "in a row".
pub async fn reset_streaks(
    db: &impl ConnectionTrait,
    project: &str,
    addresses: &[String],
) -> Result<(), DbErr> {
    if addresses.is_empty() {
        return Ok(());
    }
    BounceStreak::delete_many()
        .filter(bounce_streak::Column::Project.eq(project))
        .filter(bounce_streak::Column::Address.is_in(addresses.iter().cloned()))
        .exec(db)
        .await?;
    Ok(())
}
