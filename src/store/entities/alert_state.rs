use sea_orm::entity::prelude::*;

/// One alert subscription's state for one element (`alerts::ElementState`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_states")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub subscription_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub element: String,
    pub level: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub parent: Option<String>,
    /// ok | warning | error
    pub last_state: String,
    /// N: the state last notified as occurred.
    pub notified_state: String,
    pub since: i64,
    pub seq: i64,
    pub pending_state: Option<String>,
    pub pending_due_at: Option<i64>,
    pub pending_delivery_id: Option<i64>,
    pub occurred_delivery_id: Option<i64>,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
