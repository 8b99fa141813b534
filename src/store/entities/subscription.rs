use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub project: String,
    pub queue: String,
    #[sea_orm(column_type = "Text")]
    pub subscriber: String,
    pub ttl: i64,
    /// The options object as JSON text.
    #[sea_orm(column_type = "Text")]
    pub options: String,
    /// `pending | active | unsubscribed` (see `domain::subscription::Status`).
    pub status: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub updated_at: i64,
    pub confirmed_at: Option<i64>,
    pub last_confirmation_sent_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
