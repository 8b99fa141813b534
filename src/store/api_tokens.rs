//! API token rows. A token is found by the hash of what the caller sent;
//! the public prefix names it for listing and revoking.
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};

use super::entities::api_token::{self, Entity as ApiToken};

pub async fn insert(db: &impl ConnectionTrait, row: api_token::Model) -> Result<(), DbErr> {
    ApiToken::insert(row.into_active_model())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn find_by_hash(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<api_token::Model>, DbErr> {
    ApiToken::find()
        .filter(api_token::Column::TokenHash.eq(token_hash))
        .one(db)
        .await
}

/// Every token, oldest first; `project` keeps only that project's (or
/// `*`'s) tokens.
pub async fn list(
    db: &impl ConnectionTrait,
    project: Option<&str>,
) -> Result<Vec<api_token::Model>, DbErr> {
    let mut query = ApiToken::find().order_by_asc(api_token::Column::CreatedAt);
    if let Some(project) = project {
        query = query.filter(api_token::Column::Project.eq(project));
    }
    query.all(db).await
}

/// Revokes the token with this prefix; false when there is none or it was
/// already revoked.
pub async fn revoke(db: &impl ConnectionTrait, prefix: &str, now: i64) -> Result<bool, DbErr> {
    let res = ApiToken::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .filter(api_token::Column::Prefix.eq(prefix))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}
