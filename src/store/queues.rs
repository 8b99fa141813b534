use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement,
};

use super::entities::queue::{self, Entity as Queue};
use crate::domain::{Namespace, ProjectId, QueueName, TOPIC_KEY_PREFIX};

/// Creates the queue unless it exists. Returns true if this call created it.
pub async fn create_if_absent(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    name: &QueueName,
    metadata: &serde_json::Map<String, serde_json::Value>,
    now: i64,
) -> Result<bool, DbErr> {
    let statement =
        create_if_absent_statement(db.get_database_backend(), project, name, metadata, now);
    Ok(db.execute_raw(statement).await?.rows_affected() > 0)
}

/// The statement of `create_if_absent`, to run with others.
pub fn create_if_absent_statement(
    backend: DbBackend,
    project: &ProjectId,
    name: &QueueName,
    metadata: &serde_json::Map<String, serde_json::Value>,
    now: i64,
) -> Statement {
    let row = queue::ActiveModel {
        project: Set(project.as_str().to_string()),
        name: Set(name.as_str().to_string()),
        metadata: Set(serde_json::Value::Object(metadata.clone()).to_string()),
        created_at: Set(now),
        ..Default::default()
    };
    let conflict = OnConflict::columns([queue::Column::Project, queue::Column::Name])
        .do_nothing()
        .to_owned();
    super::dialect::insert_if_absent(backend, Queue::insert(row).into_query(), conflict)
}

pub async fn get(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    name: &QueueName,
) -> Result<Option<queue::Model>, DbErr> {
    Queue::find()
        .filter(queue::Column::Project.eq(project.as_str()))
        .filter(queue::Column::Name.eq(name.as_str()))
        .one(db)
        .await
}

/// The stored metadata object of a queue, or an empty one when the queue is
/// missing (Zaqar reads a missing queue as one with defaults).
pub async fn metadata(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    name: &QueueName,
) -> Result<serde_json::Map<String, serde_json::Value>, DbErr> {
    metadata_raw(db, project.as_str(), name.as_str()).await
}

/// As `metadata`, for names read back from rows (already validated once).
pub async fn metadata_raw(
    db: &impl ConnectionTrait,
    project: &str,
    name: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, DbErr> {
    let stored: Option<String> = Queue::find()
        .select_only()
        .column(queue::Column::Metadata)
        .filter(queue::Column::Project.eq(project))
        .filter(queue::Column::Name.eq(name))
        .into_tuple()
        .one(db)
        .await?;
    Ok(stored.map(|m| parse_metadata(&m)).unwrap_or_default())
}

pub fn parse_metadata(text: &str) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

pub async fn set_metadata(
    db: &impl ConnectionTrait,
    queue_id: i64,
    metadata: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), DbErr> {
    Queue::update_many()
        .col_expr(
            queue::Column::Metadata,
            serde_json::Value::Object(metadata.clone())
                .to_string()
                .into(),
        )
        .filter(queue::Column::Id.eq(queue_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    name: &QueueName,
) -> Result<(), DbErr> {
    Queue::delete_many()
        .filter(queue::Column::Project.eq(project.as_str()))
        .filter(queue::Column::Name.eq(name.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Rows of one namespace: topic keys start with `topic:`, queue names
/// never contain `:`.
fn in_namespace(namespace: Namespace) -> sea_orm::Condition {
    let topics = queue::Column::Name.starts_with(TOPIC_KEY_PREFIX);
    match namespace {
        Namespace::Topic => sea_orm::Condition::all().add(topics),
        Namespace::Queue => sea_orm::Condition::all().add(sea_orm::Condition::not(
            sea_orm::Condition::all().add(topics),
        )),
    }
}

/// One page of a project's queues (or topics) after `marker`, by name,
/// optionally only names containing `name_contains`. The rows carry stored
/// keys (`topic:NAME` for topics); `marker` is a client's name. Metadata
/// filters (and, for topics, the name filter) are applied by the caller,
/// which may ask for further pages.
pub async fn list_page(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    namespace: Namespace,
    marker: Option<&str>,
    name_contains: Option<&str>,
    limit: u64,
) -> Result<Vec<queue::Model>, DbErr> {
    let mut query = Queue::find()
        .filter(queue::Column::Project.eq(project.as_str()))
        .filter(in_namespace(namespace));
    if let Some(marker) = marker {
        let key = match namespace {
            Namespace::Queue => marker.to_string(),
            Namespace::Topic => format!("{TOPIC_KEY_PREFIX}{marker}"),
        };
        query = query.filter(queue::Column::Name.gt(key));
    }
    // A topic key also contains its prefix, so for topics the caller
    // matches `name_contains` against the name itself.
    if let (Some(part), Namespace::Queue) = (name_contains, namespace) {
        query = query.filter(queue::Column::Name.contains(part));
    }
    query
        .order_by_asc(queue::Column::Name)
        .limit(limit)
        .all(db)
        .await
}

pub async fn count(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    namespace: Namespace,
) -> Result<u64, DbErr> {
    Queue::find()
        .filter(queue::Column::Project.eq(project.as_str()))
        .filter(in_namespace(namespace))
        .count(db)
        .await
}

/// Up to `limit` project names that have queues, by name (the console's
/// project list when one token sees every project).
pub async fn projects(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<String>, DbErr> {
    Queue::find()
        .select_only()
        .column(queue::Column::Project)
        .distinct()
        .order_by_asc(queue::Column::Project)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}
