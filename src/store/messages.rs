use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};

use super::entities::message::{self, Entity as Message};
use crate::domain::message_keys::MessageKeys;
use crate::domain::{ClientId, ProjectId, QueueName};

/// A message ready to be stored.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub id: String,
    pub body: serde_json::Value,
    pub ttl: i64,
    pub delay: i64,
    /// Derived from the body when posted (`routing::EventTypeTemplate`).
    pub event_type: Option<String>,
}

/// One post's messages, with who posted them and when.
pub struct PostedBatch<'a> {
    pub project: &'a ProjectId,
    pub queue: &'a QueueName,
    pub client: &'a ClientId,
    pub messages: &'a [NewMessage],
    pub now: i64,
    /// Some: seal each body with the current key (`_enable_encrypt_messages`).
    pub seal: Option<&'a MessageKeys>,
}

/// The INSERT statements for the messages of several posts, a chunk of
/// rows each, in the order given (their `seq` follows it).
pub fn insert_statements(backend: DbBackend, batches: &[PostedBatch<'_>]) -> Vec<Statement> {
    let mut rows = Vec::new();
    for b in batches {
        for m in b.messages {
            let (body, key_id) = match b.seal {
                Some(keys) => {
                    let sealed = keys.seal(&m.id, &m.body.to_string());
                    (sealed.text, sealed.key_id)
                }
                None => (m.body.to_string(), None),
            };
            rows.push(message::ActiveModel {
                id: Set(m.id.clone()),
                project: Set(b.project.as_str().to_string()),
                queue: Set(b.queue.as_str().to_string()),
                body: Set(body),
                key_id: Set(key_id),
                ttl: Set(m.ttl),
                client_id: Set(b.client.as_str().to_string()),
                created_at: Set(b.now),
                expires_at: Set(b.now + m.ttl * 1000),
                visible_at: Set(b.now + m.delay * 1000),
                claim_id: Set(None),
                claim_expires_at: Set(None),
                claim_count: Set(0),
                event_type: Set(m.event_type.clone()),
                ..Default::default()
            });
        }
    }
    super::batch::insert_statements(backend, rows)
}

fn in_queue(project: &ProjectId, queue: &QueueName) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(message::Column::Project.eq(project.as_str()))
        .add(message::Column::Queue.eq(queue.as_str()))
}

/// Live: not expired.
fn live(now: i64) -> sea_orm::Condition {
    sea_orm::Condition::all().add(message::Column::ExpiresAt.gt(now))
}

/// Free: not under an unexpired claim.
pub fn unclaimed(now: i64) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(message::Column::ClaimId.is_null())
        .add(message::Column::ClaimExpiresAt.lte(now))
}

#[derive(Debug, Clone, Copy)]
pub struct ListOptions<'a> {
    pub after_seq: Option<i64>,
    pub limit: u64,
    /// When set, messages posted by this client are left out (echo=false).
    pub exclude_client: Option<&'a ClientId>,
    pub include_claimed: bool,
    pub include_delayed: bool,
}

pub async fn list(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    queue: &QueueName,
    opts: ListOptions<'_>,
    now: i64,
) -> Result<Vec<message::Model>, DbErr> {
    let mut query = Message::find()
        .filter(in_queue(project, queue))
        .filter(live(now));
    if let Some(seq) = opts.after_seq {
        query = query.filter(message::Column::Seq.gt(seq));
    }
    if let Some(client) = opts.exclude_client {
        query = query.filter(message::Column::ClientId.ne(client.as_str()));
    }
    if !opts.include_claimed {
        query = query.filter(unclaimed(now));
    }
    if !opts.include_delayed {
        query = query.filter(message::Column::VisibleAt.lte(now));
    }
    query
        .order_by_asc(message::Column::Seq)
        .limit(opts.limit)
        .all(db)
        .await
}

pub async fn get_many(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    queue: &QueueName,
    ids: &[String],
    now: i64,
) -> Result<Vec<message::Model>, DbErr> {
    Message::find()
        .filter(in_queue(project, queue))
        .filter(live(now))
        .filter(message::Column::Id.is_in(ids.iter().cloned()))
        .order_by_asc(message::Column::Seq)
        .all(db)
        .await
}

pub async fn get(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    queue: &QueueName,
    id: &str,
    now: i64,
) -> Result<Option<message::Model>, DbErr> {
    Message::find()
        .filter(in_queue(project, queue))
        .filter(live(now))
        .filter(message::Column::Id.eq(id))
        .one(db)
        .await
}

pub async fn delete_by_ids(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    queue: &QueueName,
    ids: &[String],
) -> Result<u64, DbErr> {
    let res = Message::delete_many()
        .filter(in_queue(project, queue))
        .filter(message::Column::Id.is_in(ids.iter().cloned()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

pub async fn delete_by_seqs(db: &impl ConnectionTrait, seqs: &[i64]) -> Result<u64, DbErr> {
    let res = Message::delete_many()
        .filter(message::Column::Seq.is_in(seqs.iter().copied()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

pub async fn delete_all(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    queue: &QueueName,
) -> Result<(), DbErr> {
    Message::delete_many()
        .filter(in_queue(project, queue))
        .exec(db)
        .await?;
    Ok(())
}

/// The oldest `limit` messages that are live, visible and unclaimed.
pub async fn free_for_claim(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    queue: &QueueName,
    limit: u64,
    now: i64,
) -> Result<Vec<message::Model>, DbErr> {
    let mut query = Message::find()
        .filter(in_queue(project, queue))
        .filter(live(now))
        .filter(unclaimed(now))
        .filter(message::Column::VisibleAt.lte(now))
        .order_by_asc(message::Column::Seq)
        .limit(limit);
    if super::dialect::locks_rows(db.get_database_backend()) {
        // Two claimers racing skip each other's rows instead of blocking.
        query = query.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    query.all(db).await
}

/// Puts the given messages under a claim, if they are still free, and makes
/// sure each lives at least until the claim's end plus grace.
pub async fn apply_claim(
    db: &impl ConnectionTrait,
    seqs: &[i64],
    claim_id: &str,
    claim_expires_at: i64,
    min_expires_at: i64,
    now: i64,
) -> Result<u64, DbErr> {
    let res = Message::update_many()
        .col_expr(message::Column::ClaimId, Expr::value(claim_id))
        .col_expr(
            message::Column::ClaimExpiresAt,
            Expr::value(claim_expires_at),
        )
        .col_expr(
            message::Column::ClaimCount,
            Expr::col(message::Column::ClaimCount).add(1),
        )
        .col_expr(
            message::Column::ExpiresAt,
            Expr::case(
                message::Column::ExpiresAt.lt(min_expires_at),
                Expr::value(min_expires_at),
            )
            .finally(Expr::col(message::Column::ExpiresAt))
            .into(),
        )
        .filter(message::Column::Seq.is_in(seqs.iter().copied()))
        .filter(unclaimed(now))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

pub async fn claimed_by(
    db: &impl ConnectionTrait,
    claim_id: &str,
    now: i64,
) -> Result<Vec<message::Model>, DbErr> {
    Message::find()
        .filter(message::Column::ClaimId.eq(claim_id))
        .filter(message::Column::ClaimExpiresAt.gt(now))
        .filter(live(now))
        .order_by_asc(message::Column::Seq)
        .all(db)
        .await
}

/// Moves a claim's end (claim update), extending message lives as needed.
pub async fn extend_claim(
    db: &impl ConnectionTrait,
    claim_id: &str,
    claim_expires_at: i64,
    min_expires_at: i64,
    now: i64,
) -> Result<(), DbErr> {
    Message::update_many()
        .col_expr(
            message::Column::ClaimExpiresAt,
            Expr::value(claim_expires_at),
        )
        .col_expr(
            message::Column::ExpiresAt,
            Expr::case(
                message::Column::ExpiresAt.lt(min_expires_at),
                Expr::value(min_expires_at),
            )
            .finally(Expr::col(message::Column::ExpiresAt))
            .into(),
        )
        .filter(message::Column::ClaimId.eq(claim_id))
        .filter(message::Column::ClaimExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(())
}

/// Releases a claim: its messages become free again.
pub async fn release_claim(db: &impl ConnectionTrait, claim_id: &str) -> Result<(), DbErr> {
    Message::update_many()
        .col_expr(
            message::Column::ClaimId,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            message::Column::ClaimExpiresAt,
            Expr::value(Option::<i64>::None),
        )
        .filter(message::Column::ClaimId.eq(claim_id))
        .exec(db)
        .await?;
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub claimed: u64,
    pub total: u64,
    pub oldest: Option<message::Model>,
    pub newest: Option<message::Model>,
}

pub async fn stats(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    queue: &QueueName,
    now: i64,
) -> Result<Stats, DbErr> {
    let base = || {
        Message::find()
            .filter(in_queue(project, queue))
            .filter(live(now))
    };
    let total = base().count(db).await?;
    if total == 0 {
        return Ok(Stats::default());
    }
    let claimed = base()
        .filter(message::Column::ClaimId.is_not_null())
        .filter(message::Column::ClaimExpiresAt.gt(now))
        .count(db)
        .await?;
    let oldest = base().order_by_asc(message::Column::Seq).one(db).await?;
    let newest = base().order_by_desc(message::Column::Seq).one(db).await?;
    Ok(Stats {
        claimed,
        total,
        oldest,
        newest,
    })
}

/// Deletes up to `batch` expired messages; returns how many went.
pub async fn sweep_expired(db: &impl ConnectionTrait, now: i64, batch: u64) -> Result<u64, DbErr> {
    // Ids first, then the delete (MariaDB refuses LIMIT in an IN
    // subquery); the delete checks the expiry again, as a claim may have
    // extended a message's life in between.
    let doomed: Vec<i64> = Message::find()
        .select_only()
        .column(message::Column::Seq)
        .filter(message::Column::ExpiresAt.lte(now))
        .limit(batch)
        .into_tuple()
        .all(db)
        .await?;
    if doomed.is_empty() {
        return Ok(0);
    }
    let res = Message::delete_many()
        .filter(message::Column::Seq.is_in(doomed))
        .filter(message::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// (free, claimed) live messages across a project, for the health report.
pub async fn project_volume(
    db: &impl ConnectionTrait,
    project: &ProjectId,
    now: i64,
) -> Result<(u64, u64), DbErr> {
    let base = || {
        Message::find()
            .filter(message::Column::Project.eq(project.as_str()))
            .filter(live(now))
    };
    let total = base().count(db).await?;
    let claimed = base()
        .filter(message::Column::ClaimId.is_not_null())
        .filter(message::Column::ClaimExpiresAt.gt(now))
        .count(db)
        .await?;
    Ok((total - claimed, claimed))
}

/// Where a dead-lettered message goes and for how long it lives there.
pub struct DeadLetter<'a> {
    pub queue: &'a QueueName,
    /// `_dead_letter_queue_messages_ttl`: the moved message's new TTL, its
    /// life starting at the move; None keeps TTL and expiry.
    pub ttl: Option<i64>,
    pub now: i64,
}

/// Moves messages (read under the caller's transaction, still free) to a
/// dead-letter queue: each row is deleted and written again under the same
/// id, so it gets a new `seq` and lists after what the DLQ already holds.
/// The claim count stays; the message is free in its new queue.
pub async fn move_to_dead_letter(
    db: &impl ConnectionTrait,
    rows: &[message::Model],
    to: DeadLetter<'_>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    let seqs: Vec<i64> = rows.iter().map(|m| m.seq).collect();
    delete_by_seqs(db, &seqs).await?;
    let moved = rows.iter().map(|m| {
        let (ttl, expires_at) = match to.ttl {
            Some(ttl) => (ttl, to.now + ttl * 1000),
            None => (m.ttl, m.expires_at),
        };
        message::ActiveModel {
            id: Set(m.id.clone()),
            project: Set(m.project.clone()),
            queue: Set(to.queue.as_str().to_string()),
            // Sealed bodies move sealed: the id is the associated data.
            body: Set(m.body.clone()),
            key_id: Set(m.key_id.clone()),
            ttl: Set(ttl),
            client_id: Set(m.client_id.clone()),
            created_at: Set(m.created_at),
            expires_at: Set(expires_at),
            visible_at: Set(m.visible_at),
            claim_id: Set(None),
            claim_expires_at: Set(None),
            claim_count: Set(m.claim_count),
            event_type: Set(m.event_type.clone()),
            ..Default::default()
        }
    });
    Message::insert_many(moved)
        .exec_without_returning(db)
        .await?;
    Ok(())
}
