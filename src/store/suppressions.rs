//! Suppression list rows: one per (project or `*`, address).
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entities::suppression::{self, Entity as Suppression};
use crate::domain::suppression::{suppression_key, Suppressed, SuppressionReason, SERVER_SCOPE};

/// Adds the entry, or replaces the reason, time, expiry and source of the
/// one already there.
pub async fn upsert(db: &impl ConnectionTrait, row: suppression::Model) -> Result<(), DbErr> {
    Suppression::insert(row.into_active_model())
        .on_conflict(
            OnConflict::columns([suppression::Column::Project, suppression::Column::Address])
                .update_columns([
                    suppression::Column::Reason,
                    suppression::Column::CreatedAt,
                    suppression::Column::ExpiresAt,
                    suppression::Column::Source,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Removes the entry; false when there was none.
pub async fn delete(
    db: &impl ConnectionTrait,
    project: &str,
    address: &str,
) -> Result<bool, DbErr> {
    Ok(Suppression::delete_many()
        .filter(suppression::Column::Project.eq(project))
        .filter(suppression::Column::Address.eq(address))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

fn live(now: i64) -> Condition {
    Condition::any()
        .add(suppression::Column::ExpiresAt.is_null())
        .add(suppression::Column::ExpiresAt.gt(now))
}

pub async fn get_live(
    db: &impl ConnectionTrait,
    project: &str,
    address: &str,
    now: i64,
) -> Result<Option<suppression::Model>, DbErr> {
    Suppression::find()
        .filter(suppression::Column::Project.eq(project))
        .filter(suppression::Column::Address.eq(address))
        .filter(live(now))
        .one(db)
        .await
}

/// A list's unexpired entries, by address, from `after` on.
pub async fn list(
    db: &impl ConnectionTrait,
    project: &str,
    after: Option<&str>,
    limit: u64,
    now: i64,
) -> Result<Vec<suppression::Model>, DbErr> {
    let mut query = Suppression::find()
        .filter(suppression::Column::Project.eq(project))
        .filter(live(now));
    if let Some(after) = after {
        query = query.filter(suppression::Column::Address.gt(after));
    }
    query
        .order_by_asc(suppression::Column::Address)
        .limit(limit)
        .all(db)
        .await
}

/// The unexpired entries of any of `projects` for any of `addresses`.
pub async fn live_among(
    db: &impl ConnectionTrait,
    projects: &[&str],
    addresses: &[String],
    now: i64,
) -> Result<Vec<suppression::Model>, DbErr> {
    if addresses.is_empty() {
        return Ok(Vec::new());
    }
    Suppression::find()
        .filter(suppression::Column::Project.is_in(projects.iter().copied()))
        .filter(suppression::Column::Address.is_in(addresses.iter().cloned()))
        .filter(live(now))
        .all(db)
        .await
}

/// Which of `addresses` `project` must not mail at `now`, by its own list
/// or the server's; the domain part compares in any letter case.
pub async fn suppressed_among(
    db: &impl ConnectionTrait,
    project: &str,
    addresses: &[String],
    now: i64,
) -> Result<Vec<Suppressed>, DbErr> {
    let keys: Vec<String> = addresses.iter().map(|a| suppression_key(a)).collect();
    let rows = live_among(db, &[project, SERVER_SCOPE], &keys, now).await?;
    Ok(addresses
        .iter()
        .zip(&keys)
        .filter_map(|(address, key)| {
            // A project's own reason is the more specific one.
            let row = rows
                .iter()
                .filter(|r| &r.address == key)
                .min_by_key(|r| r.project == SERVER_SCOPE)?;
            Some(Suppressed {
                address: address.clone(),
                reason: SuppressionReason::parse(&row.reason).unwrap_or(SuppressionReason::Manual),
                server_wide: row.project == SERVER_SCOPE,
            })
        })
        .collect())
}
