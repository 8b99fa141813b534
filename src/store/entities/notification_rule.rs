use sea_orm::entity::prelude::*;

/// A Providence notification rule (`/api/notificationRules`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub project: String,
    /// The queue named by `environmentSubscriptionId`.
    pub queue: String,
    /// The rule's fields as their owner sent them (JSON).
    #[sea_orm(column_type = "Text")]
    pub document: String,
    /// The alert subscriptions it made (a JSON list of ids).
    #[sea_orm(column_type = "Text")]
    pub subscription_ids: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
