use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    /// Insertion order; the listing marker.
    #[sea_orm(primary_key)]
    pub seq: i64,
    #[sea_orm(unique)]
    pub id: String,
    pub project: String,
    pub queue: String,
    /// The message body as JSON text.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub ttl: i64,
    pub client_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub visible_at: i64,
    pub claim_id: Option<String>,
    pub claim_expires_at: Option<i64>,
    pub claim_count: i64,
    /// Derived when posted (`routing::event_type`); None: it has none.
    #[sea_orm(column_type = "Text", nullable)]
    pub event_type: Option<String>,
    /// The message key that sealed the body (payload); None: in the clear.
    pub key_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// Claimed now: a claim is set and has not yet expired.
    pub fn active_claim(&self, now: i64) -> Option<&str> {
        match (&self.claim_id, self.claim_expires_at) {
            (Some(id), Some(until)) if until > now => Some(id.as_str()),
            _ => None,
        }
    }
}
