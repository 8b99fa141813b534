//! Claim use cases behind the Zaqar API: claim up to `limit` free messages,
//! extend a live claim, release one. Each is one transaction, so a claim
//! row and the messages it holds change together. With Zaqar's claim-count
//! dead-letter queues, a message already claimed `_max_claim_count` times
//! is moved to `_dead_letter_queue` by the next claim instead, in the same
//! transaction: it is in one queue or the other, never both, never neither,
//! and moves once.
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};
use serde_json::Value;

use crate::domain::message_keys::MessageKeys;
use crate::domain::queue_metadata::{truthy, DeadLetterPolicy};
use crate::domain::{ProjectId, QueueName};
use crate::routing::EventTypeTemplate;
use crate::store;
use crate::store::entities::{claim, message};
use crate::store::fanout_targets::FanoutTargets;
use crate::store::fanouts::NewFanout;
use crate::store::messages::DeadLetter;

use super::message_posts::notification_dict;

#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// No live claim with that id in that queue.
    #[error("claim not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A claim to take: up to `limit` messages for `ttl` seconds; the messages
/// live at least `grace` seconds past the claim.
#[derive(Debug, Clone, Copy)]
pub struct ClaimTerms {
    pub limit: u64,
    pub ttl: i64,
    pub grace: i64,
}

#[derive(Debug)]
pub struct Claimed {
    pub id: String,
    pub messages: Vec<message::Model>,
}

/// What a claim did: what it claimed (`None`: nothing to claim, the caller
/// answers 204 and no claim row is kept), and whether messages over their
/// claim count were moved to a dead-letter queue with subscribers (the
/// fan-out worker then has work).
#[derive(Debug)]
pub struct ClaimOutcome {
    pub claimed: Option<Claimed>,
    pub dead_lettered: usize,
    pub fanned_out: bool,
}

/// Claims free messages, first moving those at the queue's
/// `_max_claim_count` to its `_dead_letter_queue` (same transaction).
pub async fn create(
    db: &DatabaseConnection,
    targets: &FanoutTargets,
    keys: &MessageKeys,
    project: &ProjectId,
    queue: &QueueName,
    terms: ClaimTerms,
    now: i64,
) -> Result<ClaimOutcome, DbErr> {
    let txn = db.begin().await?;
    let metadata = store::queues::metadata(&txn, project, queue).await?;
    let policy = DeadLetterPolicy::from_metadata(&metadata);
    let candidates =
        store::messages::free_for_claim(&txn, project, queue, terms.limit, now).await?;
    let (dead, live): (Vec<_>, Vec<_>) = candidates.into_iter().partition(|m| {
        policy
            .as_ref()
            .is_some_and(|p| m.claim_count >= p.max_claim_count)
    });
    let mut fanned_out = false;
    if let Some(policy) = policy.as_ref().filter(|_| !dead.is_empty()) {
        let req = ClaimRequest {
            project,
            queue,
            keys,
            now,
        };
        fanned_out = dead_letter(&txn, targets, &req, policy, &dead).await?;
    }
    let nothing = |fanned_out| ClaimOutcome {
        claimed: None,
        dead_lettered: dead.len(),
        fanned_out,
    };
    if live.is_empty() {
        txn.commit().await?;
        return Ok(nothing(fanned_out));
    }
    let claim_id = uuid::Uuid::new_v4().to_string();
    let expires_at = now + terms.ttl * 1000;
    let seqs: Vec<i64> = live.iter().map(|m| m.seq).collect();
    store::messages::apply_claim(
        &txn,
        &seqs,
        &claim_id,
        expires_at,
        expires_at + terms.grace * 1000,
        now,
    )
    .await?;
    store::claims::insert(
        &txn,
        claim::Model {
            id: claim_id.clone(),
            project: project.as_str().to_string(),
            queue: queue.as_str().to_string(),
            ttl: terms.ttl,
            grace: terms.grace,
            created_at: now,
            expires_at,
        },
    )
    .await?;
    let messages = store::messages::claimed_by(&txn, &claim_id, now).await?;
    txn.commit().await?;
    if messages.is_empty() {
        return Ok(nothing(fanned_out));
    }
    Ok(ClaimOutcome {
        claimed: Some(Claimed {
            id: claim_id,
            messages,
        }),
        dead_lettered: dead.len(),
        fanned_out,
    })
}

/// Where a claim happens, for the dead-letter move.
struct ClaimRequest<'a> {
    project: &'a ProjectId,
    queue: &'a QueueName,
    now: i64,
    keys: &'a MessageKeys,
}

/// Renews a live claim from now on, with new `ttl` and `grace`.
pub async fn update(
    db: &DatabaseConnection,
    project: &ProjectId,
    queue: &QueueName,
    id: &str,
    ttl: i64,
    grace: i64,
    now: i64,
) -> Result<(), ClaimError> {
    let txn = db.begin().await?;
    if store::claims::get_live(&txn, project, queue, id, now)
        .await?
        .is_none()
    {
        return Err(ClaimError::NotFound);
    }
    let expires_at = now + ttl * 1000;
    store::messages::extend_claim(&txn, id, expires_at, expires_at + grace * 1000, now).await?;
    store::claims::update_expiry(&txn, id, ttl, grace, now, expires_at).await?;
    txn.commit().await?;
    Ok(())
}

/// Releases a claim and frees its messages; releasing a claim that does not
/// exist is not an error (Zaqar answers 204 either way).
pub async fn release(
    db: &DatabaseConnection,
    project: &ProjectId,
    queue: &QueueName,
    id: &str,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    if store::claims::delete(&txn, project, queue, id).await? > 0 {
        store::messages::release_claim(&txn, id).await?;
    }
    txn.commit().await
}

/// Moves `dead` into the policy's queue (created if missing, as posting
/// would) and queues the notifications its subscribers are owed, as if the
/// messages had been posted there. Returns whether fan-out jobs were made.
async fn dead_letter(
    txn: &sea_orm::DatabaseTransaction,
    targets: &FanoutTargets,
    req: &ClaimRequest<'_>,
    policy: &DeadLetterPolicy,
    dead: &[message::Model],
) -> Result<bool, DbErr> {
    store::queues::create_if_absent(
        txn,
        req.project,
        &policy.queue,
        &Default::default(),
        req.now,
    )
    .await?;
    let mut moved: Vec<message::Model> = dead.to_vec();
    let dlq_metadata = store::queues::metadata(txn, req.project, &policy.queue).await?;
    let template = EventTypeTemplate::for_queue(&dlq_metadata);
    let bodies: Vec<Value> = moved
        .iter()
        .map(|m| req.keys.open_json(&m.id, &m.body, m.key_id.as_deref()))
        .collect();
    for (m, body) in moved.iter_mut().zip(&bodies) {
        if !body.is_null() {
            m.event_type = template.derive(body);
        }
    }
    store::messages::move_to_dead_letter(
        txn,
        &moved,
        DeadLetter {
            queue: &policy.queue,
            ttl: policy.messages_ttl,
            now: req.now,
        },
    )
    .await?;
    tracing::info!(
        queue = %req.queue,
        dead_letter_queue = %policy.queue,
        moved = moved.len(),
        "messages over their claim count moved to the dead-letter queue"
    );
    if !targets
        .any_active(txn, req.project.as_str(), policy.queue.as_str(), req.now)
        .await?
    {
        return Ok(false);
    }
    let delay_enabled = dlq_metadata
        .get("_default_message_delay")
        .map(truthy)
        .unwrap_or(false);
    let dlq_encrypts = dlq_metadata
        .get("_enable_encrypt_messages")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let jobs: Vec<NewFanout> = moved
        .iter()
        .zip(bodies)
        .map(|(m, body)| {
            let ttl = policy.messages_ttl.unwrap_or(m.ttl);
            NewFanout {
                project: req.project.as_str().to_string(),
                queue: policy.queue.as_str().to_string(),
                message_id: m.id.clone(),
                payload: notification_dict(&policy.queue, ttl, &body, delay_enabled.then_some(0)),
                created_at: req.now,
                event_type: m.event_type.clone(),
                // A sealed message's payload stays sealed, and a DLQ that
                // encrypts seals what it is told of.
                seal: (m.key_id.is_some() || dlq_encrypts).then(|| req.keys.clone()),
            }
        })
        .collect();
    let mut writes = store::batch::WriteBatch::new();
    for statement in store::fanouts::insert_statements(txn.get_database_backend(), jobs) {
        writes.push(statement);
    }
    writes.execute(txn).await?;
    Ok(true)
}
