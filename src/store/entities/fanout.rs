use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fanouts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub project: String,
    pub queue: String,
    pub message_id: String,
    /// The Zaqar notification dict as JSON text.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// Last subscription id already expanded into deliveries.
    pub cursor: Option<String>,
    /// Every subscription has its delivery row.
    pub expanded: bool,
    pub created_at: i64,
    /// The message's event type (what fan-out routes on).
    #[sea_orm(column_type = "Text", nullable)]
    pub event_type: Option<String>,
    /// The message key that sealed the body (payload); None: in the clear.
    pub key_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
