//! Fan-out jobs: one row per posted message on a queue with subscribers,
//! expanded by the worker into one delivery row per active subscription
//! the message is for (the caller's `Audience` decides, by routing).
//! Posting never loops over subscribers; expansion reads each queue's
//! subscriptions a page at a time and inserts deliveries in bulk.
use std::collections::HashMap;

use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveValue::{self, Set},
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Statement,
};

use super::batch::{WriteBatch, INSERT_CHUNK};
use super::deliveries::STATUS_PENDING;
use super::entities::delivery;
use super::entities::fanout::{self, Entity as Fanout};
use super::entities::subscription;
use crate::domain::delivery::DeliveryKind;
use crate::domain::message_keys::MessageKeys;

/// A posted message waiting to be fanned out.
#[derive(Debug, Clone)]
pub struct NewFanout {
    pub project: String,
    pub queue: String,
    pub message_id: String,
    pub payload: serde_json::Value,
    pub created_at: i64,
    pub event_type: Option<String>,
    /// Some: seal the payload (it holds the message body) with the current
    /// key, as the message itself is sealed.
    pub seal: Option<MessageKeys>,
}

/// The INSERT statements for fan-out jobs, a chunk of rows each.
pub fn insert_statements(backend: DbBackend, jobs: Vec<NewFanout>) -> Vec<Statement> {
    let rows: Vec<fanout::ActiveModel> = jobs
        .into_iter()
        .map(|job| {
            let (payload, key_id) = match &job.seal {
                Some(keys) => {
                    let sealed = keys.seal(&job.message_id, &job.payload.to_string());
                    (sealed.text, sealed.key_id)
                }
                None => (job.payload.to_string(), None),
            };
            fanout::ActiveModel {
                project: Set(job.project),
                queue: Set(job.queue),
                message_id: Set(job.message_id),
                payload: Set(payload),
                key_id: Set(key_id),
                cursor: Set(None),
                expanded: Set(false),
                created_at: Set(job.created_at),
                event_type: Set(job.event_type),
                ..Default::default()
            }
        })
        .collect();
    super::batch::insert_statements(backend, rows)
}

/// Fan-out jobs looked at per expansion pass.
const JOBS_PER_PASS: u64 = 100;

/// A delivery created by expansion and leased to the caller on the spot,
/// with what its attempt needs (no second read).
#[derive(Debug, Clone)]
pub struct Taken {
    pub delivery: delivery::Model,
    /// The fan-out job's notification payload (JSON text).
    pub payload: String,
    /// The message's event type.
    pub event_type: Option<String>,
    pub subscription: subscription::Model,
}

/// What one expansion pass did.
#[derive(Debug, Default)]
pub struct Expanded {
    pub created: u64,
    pub taken: Vec<Taken>,
}

/// Decides which subscriptions of a page a fan-out job is for. The store
/// reads the pages; the caller (delivery, calling routing) decides.
pub trait Audience: Send {
    /// What deciding needs per subscription, prepared once per page read
    /// and shared by every job of that page.
    type Compiled: Send + Sync;

    fn compile(&mut self, page: &[subscription::Model]) -> Vec<Self::Compiled>;

    /// True when `job` is for `subscription`.
    fn admits(
        &mut self,
        job: &fanout::Model,
        subscription: &subscription::Model,
        compiled: &Self::Compiled,
    ) -> bool;
}

/// How much one expansion does, and when.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub now: i64,
    /// Subscriptions read per page.
    pub page_size: u64,
    /// Delivery rows written, at most (plus one page).
    pub max_rows: usize,
    /// How long taken rows are leased for.
    pub lease_ms: i64,
}

/// The oldest unexpanded jobs, at most one pass's worth, locked (on
/// PostgreSQL and MariaDB) by the caller's transaction so that several processes
/// expand different jobs side by side.
pub async fn pending(db: &impl ConnectionTrait) -> Result<Vec<fanout::Model>, DbErr> {
    let mut find = Fanout::find()
        .filter(fanout::Column::Expanded.eq(false))
        .order_by_asc(fanout::Column::Id)
        .limit(JOBS_PER_PASS);
    if super::dialect::locks_rows(db.get_database_backend()) {
        find = find.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    find.all(db).await
}

/// Expands `jobs` (from `pending`, in the same transaction) into at most
/// `max_rows` delivery rows (plus at most one page more): one per
/// subscription the audience admits; the others get no row at all.
/// Subscription pages are read once per (queue, position) and shared by
/// every job of that queue. Each new row for which `take(subscription id)`
/// says yes is created already leased until `now + lease_ms` and returned,
/// so fresh work goes straight to an attempt without a lease of its own.
pub async fn expand<A: Audience>(
    db: &impl ConnectionTrait,
    jobs: Vec<fanout::Model>,
    bounds: Bounds,
    take: &mut (dyn FnMut(&str) -> bool + Send),
    audience: &mut A,
) -> Result<Expanded, DbErr> {
    let Bounds {
        now,
        page_size,
        max_rows,
        lease_ms,
    } = bounds;
    type PageKey = (String, String, Option<String>);
    let backend = db.get_database_backend();
    let mut writes = WriteBatch::new();
    let mut pages: HashMap<PageKey, (Vec<subscription::Model>, Vec<A::Compiled>)> = HashMap::new();
    let mut rows: Vec<delivery::ActiveModel> = Vec::new();
    let mut done: Vec<i64> = Vec::new();
    let lease_until = now + lease_ms;
    let mut payloads: HashMap<i64, (String, Option<String>)> = HashMap::new();
    for job in jobs {
        if rows.len() >= max_rows {
            break;
        }
        let key = (job.project.clone(), job.queue.clone(), job.cursor.clone());
        if !pages.contains_key(&key) {
            let page = super::subscriptions::active_page(
                db,
                &job.project,
                &job.queue,
                now,
                job.cursor.as_deref(),
                page_size,
            )
            .await?;
            let compiled = audience.compile(&page);
            pages.insert(key.clone(), (page, compiled));
        }
        let (page, compiled) = &pages[&key];
        for (sub, c) in page.iter().zip(compiled) {
            if !audience.admits(&job, sub, c) {
                continue;
            }
            let leased = take(&sub.id).then_some(lease_until);
            rows.push(delivery_row(&job, sub, now, leased));
        }
        // A short page was the last one: every subscription now has its row.
        if (page.len() as u64) < page_size {
            done.push(job.id);
        } else {
            let cursor = page.last().map(|sub| sub.id.clone());
            writes.push(
                Fanout::update_many()
                    .col_expr(fanout::Column::Cursor, Expr::value(cursor))
                    .filter(fanout::Column::Id.eq(job.id))
                    .build(backend),
            );
        }
        payloads.insert(job.id, (job.payload, job.event_type));
    }
    if !done.is_empty() {
        writes.push(
            Fanout::update_many()
                .col_expr(fanout::Column::Expanded, Expr::value(true))
                .filter(fanout::Column::Id.is_in(done))
                .build(backend),
        );
    }
    let subscriptions: HashMap<&str, &subscription::Model> = pages
        .values()
        .flat_map(|(page, _)| page)
        .map(|sub| (sub.id.as_str(), sub))
        .collect();
    let mut expanded = Expanded {
        created: rows.len() as u64,
        taken: Vec::new(),
    };
    // Rows taken now are read back (RETURNING gives their ids); the rest
    // are only written, so reading back never costs more than is taken.
    let (taken_rows, rest): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|row| matches!(&row.lease_until, ActiveValue::Set(Some(_))));
    for statement in super::batch::insert_statements(backend, rest) {
        writes.push(statement);
    }
    writes.execute(db).await?;
    let mut taken_rows = taken_rows.into_iter();
    loop {
        let chunk: Vec<delivery::ActiveModel> = taken_rows.by_ref().take(INSERT_CHUNK).collect();
        if chunk.is_empty() {
            break;
        }
        let insert = delivery::Entity::insert_many(chunk).into_query();
        let statement = super::dialect::insert_returning_all(db.get_database_backend(), insert);
        let created = delivery::Entity::find()
            .from_raw_sql(statement)
            .all(db)
            .await?;
        for d in created {
            let (Some((payload, event_type)), Some(sub)) = (
                d.fanout_id.and_then(|id| payloads.get(&id)),
                subscriptions.get(d.subscription_id.as_str()),
            ) else {
                continue;
            };
            expanded.taken.push(Taken {
                payload: payload.clone(),
                event_type: event_type.clone(),
                subscription: (*sub).clone(),
                delivery: d,
            });
        }
    }
    Ok(expanded)
}

fn delivery_row(
    job: &fanout::Model,
    sub: &subscription::Model,
    now: i64,
    lease_until: Option<i64>,
) -> delivery::ActiveModel {
    delivery::ActiveModel {
        project: Set(job.project.clone()),
        queue: Set(job.queue.clone()),
        subscription_id: Set(sub.id.clone()),
        subscriber: Set(sub.subscriber.clone()),
        kind: Set(DeliveryKind::Notification.as_str().to_string()),
        message_id: Set(Some(job.message_id.clone())),
        fanout_id: Set(Some(job.id)),
        payload: Set(None),
        status: Set(STATUS_PENDING.to_string()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(lease_until),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// What a leased delivery of a fan-out job needs from the job.
#[derive(Debug, Clone)]
pub struct JobPayload {
    /// The notification payload (JSON text, sealed when `key_id` is set).
    pub payload: String,
    pub event_type: Option<String>,
    pub message_id: String,
    pub key_id: Option<String>,
}

/// Id, payload, event type, message id, key id.
type PayloadRow = (i64, String, Option<String>, String, Option<String>);

/// The notification payloads (and event types) of the given jobs, by job id.
pub async fn payloads(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, JobPayload>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<PayloadRow> = Fanout::find()
        .select_only()
        .column(fanout::Column::Id)
        .column(fanout::Column::Payload)
        .column(fanout::Column::EventType)
        .column(fanout::Column::MessageId)
        .column(fanout::Column::KeyId)
        .filter(fanout::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, payload, event_type, message_id, key_id)| {
            (
                id,
                JobPayload {
                    payload,
                    event_type,
                    message_id,
                    key_id,
                },
            )
        })
        .collect())
}

/// The fan-out jobs of one posted message (served by `ix_fanouts_message`).
pub async fn ids_for_message(
    db: &impl ConnectionTrait,
    project: &str,
    queue: &str,
    message_id: &str,
) -> Result<Vec<i64>, DbErr> {
    Fanout::find()
        .select_only()
        .column(fanout::Column::Id)
        .filter(fanout::Column::MessageId.eq(message_id))
        .filter(fanout::Column::Project.eq(project))
        .filter(fanout::Column::Queue.eq(queue))
        .into_tuple()
        .all(db)
        .await
}
