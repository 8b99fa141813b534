//! Providence notification rules, scoped by project.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};

use super::entities::notification_rule::{self, Entity as Rule};

pub async fn insert(db: &impl ConnectionTrait, row: notification_rule::Model) -> Result<(), DbErr> {
    Rule::insert(row.into_active_model())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn save(db: &impl ConnectionTrait, row: notification_rule::Model) -> Result<(), DbErr> {
    // Every column dirty: the whole row is written.
    row.into_active_model().reset_all().update(db).await?;
    Ok(())
}

pub async fn get(
    db: &impl ConnectionTrait,
    project: &str,
    id: &str,
) -> Result<Option<notification_rule::Model>, DbErr> {
    Rule::find_by_id(id)
        .filter(notification_rule::Column::Project.eq(project))
        .one(db)
        .await
}

pub async fn list(
    db: &impl ConnectionTrait,
    project: &str,
) -> Result<Vec<notification_rule::Model>, DbErr> {
    Rule::find()
        .filter(notification_rule::Column::Project.eq(project))
        .order_by_asc(notification_rule::Column::CreatedAt)
        .order_by_asc(notification_rule::Column::Id)
        .all(db)
        .await
}

pub async fn delete(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    Rule::delete_by_id(id).exec(db).await?;
    Ok(())
}
