//! Server-wide secrets persisted in the database, so every node (and every
//! restart) signs links with the same key when none is configured.
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryTrait};

use super::entities::server_secret::{self, Entity as ServerSecret};

pub async fn get(db: &impl ConnectionTrait, name: &str) -> Result<Option<String>, DbErr> {
    Ok(ServerSecret::find_by_id(name.to_string())
        .one(db)
        .await?
        .map(|row| row.value))
}

/// Stores `value` unless a value exists; returns whichever value won, so two
/// nodes starting at once agree.
pub async fn get_or_insert(
    db: &impl ConnectionTrait,
    name: &str,
    value: String,
    now: i64,
) -> Result<String, DbErr> {
    let row = server_secret::Model {
        name: name.to_string(),
        value,
        created_at: now,
    };
    let conflict = OnConflict::column(server_secret::Column::Name)
        .do_nothing()
        .to_owned();
    let insert = ServerSecret::insert(row.into_active_model()).into_query();
    db.execute_raw(super::dialect::insert_if_absent(
        db.get_database_backend(),
        insert,
        conflict,
    ))
    .await?;
    get(db, name)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("server secret {name}")))
}
