//! Group commit: many callers, one transaction.
//!
//! Each caller hands over an item and waits until the transaction holding
//! it has committed, so an acknowledgement still means "durable". Items
//! arriving while a commit runs wait in a channel; the next commit takes
//! all of them. Under light load a batch is one item and nothing waits;
//! under heavy load batches grow while the number of commits (each a WAL
//! write and an fsync) stays flat.
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use tokio::sync::{mpsc, oneshot, Semaphore};

/// Items waiting for a commit; beyond this, callers wait (back-pressure).
const QUEUE_DEPTH: usize = 8192;

struct Pending<T> {
    item: T,
    done: oneshot::Sender<Result<(), String>>,
}

/// How a batch is shaped and committed.
pub trait Committer<T>: Send + Sync + 'static {
    /// How much of a batch's budget an item uses (e.g. its row count).
    fn weight(&self, item: &T) -> usize;
    /// Writes the whole batch in one transaction.
    fn commit(&self, batch: &[T]) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// How batches form.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Transactions running at once (1 for SQLite's single writer).
    pub commits_at_once: usize,
    /// A batch stops growing at this weight.
    pub max_weight: usize,
    /// How long a batch may wait for more items after its first one.
    /// Callers that answer a request keep this at zero (they already
    /// batch while the previous commit runs); background writers whose
    /// items trickle in one by one trade a little of it for far fewer
    /// commits.
    pub linger: Duration,
}

/// The handle callers submit through; cheap to clone.
pub struct GroupCommit<T> {
    tx: mpsc::Sender<Pending<T>>,
}

impl<T> Clone for GroupCommit<T> {
    fn clone(&self) -> Self {
        GroupCommit {
            tx: self.tx.clone(),
        }
    }
}

impl<T: Send + 'static> GroupCommit<T> {
    /// Starts the batching task on the current runtime.
    pub fn start<C: Committer<T>>(committer: C, shape: Shape) -> GroupCommit<T> {
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(run(
            Arc::new(committer),
            rx,
            Arc::new(Semaphore::new(shape.commits_at_once.max(1))),
            shape,
        ));
        GroupCommit { tx }
    }

    /// Hands `item` over; returns once it is committed.
    pub async fn submit(&self, item: T) -> anyhow::Result<()> {
        let (done, committed) = oneshot::channel();
        self.tx
            .send(Pending { item, done })
            .await
            .map_err(|_| anyhow!("the database writer has stopped"))?;
        committed
            .await
            .map_err(|_| anyhow!("the database writer dropped a write"))?
            .map_err(|err| anyhow!(err))
    }
}

async fn run<T: Send + 'static, C: Committer<T>>(
    committer: Arc<C>,
    mut rx: mpsc::Receiver<Pending<T>>,
    slots: Arc<Semaphore>,
    shape: Shape,
) {
    loop {
        // Take a commit slot first: what arrives while we wait for it
        // joins this batch instead of starting a transaction of its own.
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let Some(first) = rx.recv().await else {
            return;
        };
        let deadline = tokio::time::Instant::now() + shape.linger;
        let mut weight = committer.weight(&first.item);
        let mut batch = vec![first];
        while weight < shape.max_weight {
            let next = match rx.try_recv() {
                Ok(next) => next,
                Err(_) if shape.linger.is_zero() => break,
                Err(_) => match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(next)) => next,
                    _ => break,
                },
            };
            weight += committer.weight(&next.item);
            batch.push(next);
        }
        let committer = Arc::clone(&committer);
        tokio::spawn(async move {
            let (items, waiters): (Vec<T>, Vec<_>) =
                batch.into_iter().map(|p| (p.item, p.done)).unzip();
            let result = committer
                .commit(&items)
                .await
                .map_err(|err| format!("{err:#}"));
            tracing::trace!(items = items.len(), "group commit");
            if let Err(err) = &result {
                tracing::error!(error = %err, items = items.len(), "a group commit failed");
            }
            for done in waiters {
                let _ = done.send(result.clone());
            }
            drop(permit);
        });
    }
}
