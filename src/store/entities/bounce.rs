use sea_orm::entity::prelude::*;

/// A bounce or complaint as it came in, with what tidings made of it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bounces")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub received_at: i64,
    /// The delivery's project, when the VERP token matched one.
    pub project: Option<String>,
    pub delivery_id: Option<i64>,
    /// dsn | arf; None when the message was neither.
    pub kind: Option<String>,
    /// permanent | transient | complaint | ignored | unmatched | unrecognised
    pub classification: String,
    /// JSON: each recipient's classification, status and what was done.
    #[sea_orm(column_type = "Text")]
    pub details: String,
    /// The message as received (lossy UTF-8).
    #[sea_orm(column_type = "Text")]
    pub raw: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
