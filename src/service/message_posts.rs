//! Posting messages: one transaction stores the queue row, the messages
//! and, for queues with active subscribers, the fan-out jobs. Posts are
//! group-committed (see `store::group_commit`): a post is answered only
//! after the transaction holding it commits, so "201" means "stored".
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sea_orm::{DatabaseConnection, DbBackend, DbErr, TransactionTrait};
use serde_json::{json, Value};
use tokio::sync::Notify;

use crate::domain::message_keys::MessageKeys;
use crate::domain::{ClientId, ProjectId, QueueName};
use crate::metrics::Metrics;
use crate::store;
use crate::store::batch::WriteBatch;
use crate::store::fanout_targets::FanoutTargets;
use crate::store::fanouts::NewFanout;
use crate::store::group_commit::{Committer, GroupCommit, Shape};
use crate::store::messages::{NewMessage, PostedBatch};

/// Messages in one transaction at most; a bigger backlog takes several.
const MAX_MESSAGES_PER_COMMIT: usize = 5000;

/// One validated post.
pub struct Post {
    pub project: ProjectId,
    pub queue: QueueName,
    pub client: ClientId,
    pub messages: Vec<NewMessage>,
    /// The queue delays messages (the notification then carries `delay`).
    pub delay_enabled: bool,
    /// The queue (or topic) has `_enable_encrypt_messages`: bodies and
    /// fan-out payloads are sealed at rest.
    pub encrypt: bool,
    pub now: i64,
}

/// The handle handlers post through; cheap to clone.
#[derive(Clone)]
pub struct MessagePosts {
    writes: GroupCommit<Post>,
}

impl MessagePosts {
    /// Starts the writer on the current runtime. `fanouts_ready` is notified
    /// after a commit that created fan-out jobs.
    pub fn start(
        db: DatabaseConnection,
        targets: Arc<FanoutTargets>,
        fanouts_ready: Arc<Notify>,
        metrics: Arc<Metrics>,
        keys: MessageKeys,
    ) -> MessagePosts {
        // SQLite has one writer (and tidings one connection to it);
        // PostgreSQL and MariaDB take several transactions at once.
        let commits_at_once = match db.get_database_backend() {
            DbBackend::Sqlite => 1,
            _ => 4,
        };
        let writer = Writer {
            db,
            targets,
            fanouts_ready,
            metrics,
            keys,
        };
        MessagePosts {
            writes: GroupCommit::start(
                writer,
                Shape {
                    commits_at_once,
                    max_weight: MAX_MESSAGES_PER_COMMIT,
                    linger: Duration::ZERO,
                },
            ),
        }
    }

    /// Stores one post; returns once it is committed.
    pub async fn post(&self, post: Post) -> anyhow::Result<()> {
        self.writes
            .submit(post)
            .await
            .context("storing the posted messages")
    }
}

struct Writer {
    db: DatabaseConnection,
    targets: Arc<FanoutTargets>,
    fanouts_ready: Arc<Notify>,
    metrics: Arc<Metrics>,
    keys: MessageKeys,
}

impl Committer<Post> for Writer {
    fn weight(&self, post: &Post) -> usize {
        post.messages.len()
    }

    async fn commit(&self, batch: &[Post]) -> anyhow::Result<()> {
        let fanned_out = commit(&self.db, &self.targets, &self.keys, batch).await?;
        let posted: usize = batch.iter().map(|p| p.messages.len()).sum();
        self.metrics
            .messages_posted
            .fetch_add(posted as u64, Ordering::Relaxed);
        if fanned_out {
            self.fanouts_ready.notify_one();
        }
        Ok(())
    }
}

/// One transaction for many posts. Returns whether any fan-out job was
/// created (the worker then has work).
async fn commit(
    db: &DatabaseConnection,
    targets: &FanoutTargets,
    keys: &MessageKeys,
    batch: &[Post],
) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let mut queues: Vec<(&ProjectId, &QueueName, i64)> = Vec::new();
    for post in batch {
        if !queues
            .iter()
            .any(|(p, q, _)| *p == &post.project && *q == &post.queue)
        {
            queues.push((&post.project, &post.queue, post.now));
        }
    }
    let txn = db.begin().await?;
    // Who to fan out to is asked once per queue (answered from memory on
    // SQLite; see FanoutTargets).
    let mut active: HashMap<(&str, &str), bool> = HashMap::new();
    for (project, queue, now) in &queues {
        let any = targets
            .any_active(&txn, project.as_str(), queue.as_str(), *now)
            .await?;
        active.insert((project.as_str(), queue.as_str()), any);
    }
    // Queues are created lazily by posting; then the messages, and the
    // fan-out jobs with them: a crash after this commit leaves the jobs
    // for the worker, a crash before it leaves nothing.
    let mut writes = WriteBatch::new();
    let empty = serde_json::Map::new();
    for (project, queue, now) in &queues {
        writes.push(store::queues::create_if_absent_statement(
            backend, project, queue, &empty, *now,
        ));
    }
    let batches: Vec<PostedBatch> = batch
        .iter()
        .map(|post| PostedBatch {
            project: &post.project,
            queue: &post.queue,
            client: &post.client,
            messages: &post.messages,
            now: post.now,
            seal: post.encrypt.then_some(keys),
        })
        .collect();
    for statement in store::messages::insert_statements(backend, &batches) {
        writes.push(statement);
    }
    let mut jobs = Vec::new();
    for post in batch {
        if !active
            .get(&(post.project.as_str(), post.queue.as_str()))
            .copied()
            .unwrap_or(false)
        {
            continue;
        }
        for m in &post.messages {
            jobs.push(NewFanout {
                project: post.project.as_str().to_string(),
                queue: post.queue.as_str().to_string(),
                message_id: m.id.clone(),
                payload: notification_dict(
                    &post.queue,
                    m.ttl,
                    &m.body,
                    post.delay_enabled.then_some(m.delay),
                ),
                created_at: post.now,
                event_type: m.event_type.clone(),
                seal: post.encrypt.then(|| keys.clone()),
            });
        }
    }
    let fanned_out = !jobs.is_empty();
    for statement in store::fanouts::insert_statements(backend, jobs) {
        writes.push(statement);
    }
    writes.execute(&txn).await?;
    txn.commit().await?;
    Ok(fanned_out)
}

/// The dict Zaqar's notifier delivers for one posted message: the
/// sanitized entry (`ttl`, `body`, `delay` only on delay-enabled queues),
/// then `Message_Type` and `queue_name`, in that key order.
pub(crate) fn notification_dict(
    queue: &QueueName,
    ttl: i64,
    body: &Value,
    delay: Option<i64>,
) -> Value {
    let mut dict = serde_json::Map::new();
    dict.insert("ttl".into(), json!(ttl));
    dict.insert("body".into(), body.clone());
    if let Some(delay) = delay {
        dict.insert("delay".into(), json!(delay));
    }
    dict.insert("Message_Type".into(), json!("Notification"));
    dict.insert("queue_name".into(), json!(queue.name()));
    Value::Object(dict)
}
