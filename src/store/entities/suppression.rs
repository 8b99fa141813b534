use sea_orm::entity::prelude::*;

/// One address on a suppression list: a project's, or the server's
/// (project `*`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "suppressions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub project: String,
    /// The domain in lower case, the local part as written.
    pub address: String,
    /// manual | hard_bounce | complaint | unsubscribe_all
    pub reason: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    /// What put it there when it was not a person (the bounce's id).
    #[sea_orm(column_type = "Text", nullable)]
    pub source: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
