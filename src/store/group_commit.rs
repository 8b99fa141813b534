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
    done: oneshot::Sender<Result<(), BatchFailed>>,
}

/// One batch's failure, handed to every item in it. It shows as the
/// commit's own error and keeps its causes as `source()`, so each caller's
/// `{:#}` (and `chain()`) reads exactly as the commit's error did.
#[derive(Debug, Clone)]
pub struct BatchFailed(Arc<anyhow::Error>);

impl std::fmt::Display for BatchFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&*self.0, f)
    }
}

impl std::error::Error for BatchFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
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
            .map_err(anyhow::Error::new)
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
                .map_err(|err| BatchFailed(Arc::new(err)));
            tracing::trace!(items = items.len(), "group commit");
            if let Err(err) = &result {
                let error = format!("{:#}", err.0);
                tracing::error!(error, items = items.len(), "a group commit failed");
            }
            for done in waiters {
                let _ = done.send(result.clone());
            }
            drop(permit);
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tokio::sync::Notify;

    use super::*;

    /// Records each batch. The first commit announces itself and then
    /// waits for the test to open the gate, so others queue behind it.
    struct Recorder {
        batches: Arc<Mutex<Vec<Vec<u32>>>>,
        started: Arc<Notify>,
        gate: Arc<Notify>,
        fail_on: Option<u32>,
    }

    impl Committer<u32> for Recorder {
        fn weight(&self, _: &u32) -> usize {
            1
        }

        async fn commit(&self, batch: &[u32]) -> anyhow::Result<()> {
            let first = self.batches.lock().unwrap().is_empty();
            if first {
                self.started.notify_one();
                self.gate.notified().await;
            }
            self.batches.lock().unwrap().push(batch.to_vec());
            match self.fail_on {
                Some(bad) if batch.contains(&bad) => {
                    Err(anyhow!("disk full").context("writing the batch"))
                }
                _ => Ok(()),
            }
        }
    }

    struct Harness {
        writes: GroupCommit<u32>,
        batches: Arc<Mutex<Vec<Vec<u32>>>>,
        started: Arc<Notify>,
        gate: Arc<Notify>,
    }

    fn harness(fail_on: Option<u32>) -> Harness {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let started = Arc::new(Notify::new());
        let gate = Arc::new(Notify::new());
        let writes = GroupCommit::start(
            Recorder {
                batches: Arc::clone(&batches),
                started: Arc::clone(&started),
                gate: Arc::clone(&gate),
                fail_on,
            },
            Shape {
                commits_at_once: 1,
                max_weight: 100,
                linger: Duration::ZERO,
            },
        );
        Harness {
            writes,
            batches,
            started,
            gate,
        }
    }

    fn submit(writes: &GroupCommit<u32>, item: u32) -> tokio::task::JoinHandle<anyhow::Result<()>> {
        let writes = writes.clone();
        tokio::spawn(async move { writes.submit(item).await })
    }

    #[tokio::test]
    async fn what_arrives_during_a_commit_shares_the_next_one() {
        let h = harness(None);
        let first = submit(&h.writes, 0);
        h.started.notified().await;
        let rest: Vec<_> = (1..=20).map(|i| submit(&h.writes, i)).collect();
        // One turn of the (single-threaded) test runtime: all twenty send.
        tokio::task::yield_now().await;
        h.gate.notify_one();
        first.await.unwrap().unwrap();
        for r in rest {
            r.await.unwrap().unwrap();
        }
        let batches = h.batches.lock().unwrap().clone();
        assert_eq!(
            batches.len(),
            2,
            "twenty items, one more commit: {batches:?}"
        );
        assert_eq!(batches[0], vec![0]);
        assert_eq!(batches[1], (1..=20).collect::<Vec<_>>(), "in order");
    }

    #[tokio::test]
    async fn a_failed_commit_fails_every_item_in_it() {
        let h = harness(Some(7));
        let first = submit(&h.writes, 0);
        h.started.notified().await;
        let failing: Vec<_> = [6, 7].into_iter().map(|i| submit(&h.writes, i)).collect();
        tokio::task::yield_now().await;
        h.gate.notify_one();
        first.await.unwrap().unwrap();
        for r in failing {
            let err = r.await.unwrap().expect_err("its batch held the bad item");
            // Every item sees the whole cause chain, not a flattened string.
            assert_eq!(format!("{err:#}"), "writing the batch: disk full");
            assert_eq!(err.chain().count(), 2, "{err:?}");
        }
        assert!(h.writes.submit(8).await.is_ok(), "the next batch is fine");
    }
}
