use sea_orm::entity::prelude::*;

/// An API token. No `Debug` of the hash is needed anywhere, but the hash
/// alone cannot be turned back into a token, so the derive is harmless.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The public start of the token (`tdg_` + 8 characters).
    pub prefix: String,
    /// SHA-256 hex of the whole token.
    pub token_hash: String,
    /// A project id or `*`.
    pub project: String,
    pub role: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
