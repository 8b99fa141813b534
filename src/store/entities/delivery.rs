use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub project: String,
    pub queue: String,
    pub subscription_id: String,
    #[sea_orm(column_type = "Text")]
    pub subscriber: String,
    pub kind: String,
    pub message_id: Option<String>,
    /// Notifications share their payload through the fan-out row.
    pub fanout_id: Option<i64>,
    /// Payload of non-notification kinds (confirmations); scrubbed once sent.
    #[sea_orm(column_type = "Text", nullable)]
    pub payload: Option<String>,
    /// pending | delivered | failed | skipped
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    /// A worker owns the row until then; a dead worker's lease runs out and
    /// another takes over.
    pub lease_until: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
