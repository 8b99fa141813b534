//! A queue's template sets, by project, queue and name.
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entities::template_set::{self, Entity as Set};
use crate::domain::template_set::TemplateSet;

fn of_queue(project: &str, queue: &str) -> sea_orm::Select<Set> {
    Set::find()
        .filter(template_set::Column::Project.eq(project))
        .filter(template_set::Column::Queue.eq(queue))
}

pub async fn get(
    db: &impl ConnectionTrait,
    project: &str,
    queue: &str,
    name: &str,
) -> Result<Option<template_set::Model>, DbErr> {
    of_queue(project, queue)
        .filter(template_set::Column::Name.eq(name))
        .one(db)
        .await
}

/// Sets in name order, after `marker` (a name), at most `limit`.
pub async fn list(
    db: &impl ConnectionTrait,
    project: &str,
    queue: &str,
    marker: Option<&str>,
    limit: u64,
) -> Result<Vec<template_set::Model>, DbErr> {
    let mut query = of_queue(project, queue);
    if let Some(marker) = marker {
        query = query.filter(template_set::Column::Name.gt(marker));
    }
    query
        .order_by_asc(template_set::Column::Name)
        .limit(limit)
        .all(db)
        .await
}

pub async fn count(db: &impl ConnectionTrait, project: &str, queue: &str) -> Result<u64, DbErr> {
    of_queue(project, queue).count(db).await
}

/// Writes a new set, or every part of an existing one (`created_at` kept).
pub async fn save(
    db: &impl ConnectionTrait,
    existing: Option<template_set::Model>,
    key: (&str, &str, &str),
    set: TemplateSet,
    now: i64,
) -> Result<template_set::Model, DbErr> {
    let (project, queue, name) = key;
    let row = template_set::Model {
        project: project.to_string(),
        queue: queue.to_string(),
        name: name.to_string(),
        subject: set.subject,
        text: set.text,
        html: set.html,
        created_at: existing.as_ref().map_or(now, |r| r.created_at),
        updated_at: now,
    };
    // An upsert: two first PUTs racing for one name both succeed, the
    // later one's parts kept.
    Set::insert(row.clone().into_active_model())
        .on_conflict(
            OnConflict::columns([
                template_set::Column::Project,
                template_set::Column::Queue,
                template_set::Column::Name,
            ])
            .update_columns([
                template_set::Column::Subject,
                template_set::Column::Text,
                template_set::Column::Html,
                template_set::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(row)
}

/// Deletes one set; true when there was one.
pub async fn delete(
    db: &impl ConnectionTrait,
    project: &str,
    queue: &str,
    name: &str,
) -> Result<bool, DbErr> {
    let done = Set::delete_many()
        .filter(template_set::Column::Project.eq(project))
        .filter(template_set::Column::Queue.eq(queue))
        .filter(template_set::Column::Name.eq(name))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// The set a notification uses: the first of `candidates` (most wanted
/// first, `domain::template_set::candidates`) the queue has, else None
/// (the operator's or built-in email).
pub async fn resolve(
    db: &impl ConnectionTrait,
    project: &str,
    queue: &str,
    candidates: &[String],
) -> Result<Option<TemplateSet>, DbErr> {
    let rows = of_queue(project, queue)
        .filter(template_set::Column::Name.is_in(candidates.iter().map(String::as_str)))
        .all(db)
        .await?;
    Ok(candidates.iter().find_map(|name| {
        rows.iter().find(|r| &r.name == name).map(|r| TemplateSet {
            subject: r.subject.clone(),
            text: r.text.clone(),
            html: r.html.clone(),
        })
    }))
}
