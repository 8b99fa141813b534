//! The delivery worker: expand fan-out jobs, lease due deliveries, run each
//! attempt outside any transaction, record the outcome and the next step.
//!
//! Concurrency is bounded overall (`global` attempts at once) and per
//! subscription (`per_subscription`), so one slow or dead endpoint can hold
//! at most its own share of slots. Nothing sleeps waiting for a retry: a
//! retry is a row whose `next_attempt_at` lies in the future.
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::Value;
use tokio::sync::{Notify, Semaphore};

use super::metrics::Metrics;
use super::outbox::DeliveryKind;
use super::retry;
use crate::clock::SharedClock;
use crate::drivers::{AttemptOutcome, Verdict};
use crate::store::deliveries::{self, AttemptRecord, Next};
use crate::store::entities::delivery;

/// A leased delivery with its payload loaded.
#[derive(Debug, Clone)]
pub struct Job {
    pub delivery: delivery::Model,
    pub kind: DeliveryKind,
    pub payload: Value,
}

/// What a channel did with a job.
#[derive(Debug)]
pub enum Handled {
    /// An attempt was made. `retry_policies` are the queue's and the
    /// subscription's `_retry_policy`, if any.
    Attempted {
        channel: &'static str,
        outcome: AttemptOutcome,
        retry_policies: (Option<Value>, Option<Value>),
    },
    /// Nothing to do any more (subscription deleted, expired, unsubscribed).
    Skipped(String),
}

/// The channels: turns a job into one attempt.
pub trait Deliver: Send + Sync + 'static {
    fn deliver(&self, job: &Job) -> impl Future<Output = anyhow::Result<Handled>> + Send;
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub global: usize,
    pub per_subscription: usize,
    pub lease: Duration,
    pub fanout_batch: u64,
    /// How often to look for due work when nothing woke the worker.
    pub poll: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            global: 64,
            per_subscription: 4,
            // Longer than the slowest attempt (webhook total timeout 15 s,
            // SMTP a little more) so a live worker never loses its lease.
            lease: Duration::from_secs(120),
            fanout_batch: 1000,
            poll: Duration::from_millis(500),
        }
    }
}

pub struct Dispatcher<D> {
    db: DatabaseConnection,
    clock: SharedClock,
    channels: Arc<D>,
    limits: Limits,
    slots: Arc<Semaphore>,
    in_flight: Mutex<HashMap<String, usize>>,
    wake: Arc<Notify>,
    metrics: Arc<Metrics>,
    /// Set by `shutdown`: take no new work.
    stopping: AtomicBool,
}

impl<D: Deliver> Dispatcher<D> {
    pub fn new(
        db: DatabaseConnection,
        clock: SharedClock,
        channels: Arc<D>,
        limits: Limits,
        wake: Arc<Notify>,
        metrics: Arc<Metrics>,
    ) -> Arc<Self> {
        Arc::new(Dispatcher {
            db,
            clock,
            channels,
            limits,
            slots: Arc::new(Semaphore::new(limits.global)),
            in_flight: Mutex::new(HashMap::new()),
            wake,
            metrics,
            stopping: AtomicBool::new(false),
        })
    }

    /// Expands up to `max_batches` fan-out batches; returns deliveries created.
    pub async fn expand_fanouts(&self, max_batches: usize) -> anyhow::Result<u64> {
        let mut created = 0;
        for _ in 0..max_batches {
            let txn = self.db.begin().await?;
            let result =
                deliveries::expand_one_batch(&txn, self.clock.now_ms(), self.limits.fanout_batch)
                    .await?;
            txn.commit().await?;
            match result {
                None => break,
                Some(n) => created += n,
            }
        }
        Ok(created)
    }

    fn saturated_subscriptions(&self) -> Vec<String> {
        let in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        in_flight
            .iter()
            .filter(|(_, n)| **n >= self.limits.per_subscription)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Leases up to `limit` due deliveries, keeping within the
    /// per-subscription bound; leases beyond it are given back at once.
    async fn lease(&self, limit: usize) -> anyhow::Result<Vec<delivery::Model>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let skip = self.saturated_subscriptions();
        let now = self.clock.now_ms();
        let txn = self.db.begin().await?;
        let leased = deliveries::lease_due(
            &txn,
            now,
            limit as u64,
            self.limits.lease.as_millis() as i64,
            &skip,
        )
        .await?;
        txn.commit().await?;
        let mut keep = Vec::with_capacity(leased.len());
        let mut give_back = Vec::new();
        {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            for d in leased {
                let n = in_flight.entry(d.subscription_id.clone()).or_insert(0);
                if *n >= self.limits.per_subscription {
                    give_back.push(d.id);
                } else {
                    *n += 1;
                    keep.push(d);
                }
            }
        }
        if !give_back.is_empty() {
            deliveries::release_leases(&self.db, &give_back).await?;
        }
        Ok(keep)
    }

    fn finished(&self, subscription_id: &str) {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = in_flight.get_mut(subscription_id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                in_flight.remove(subscription_id);
            }
        }
    }

    /// One pass: expand fan-outs, then attempt every due delivery (within
    /// the bounds) and wait for all of them. Returns how many were handled.
    /// Tests call this (or `drain`) instead of sleeping.
    pub async fn run_once(self: &Arc<Self>) -> anyhow::Result<usize> {
        self.expand_fanouts(usize::MAX).await?;
        let leased = self.lease(self.limits.global).await?;
        let count = leased.len();
        let mut tasks = Vec::with_capacity(count);
        for d in leased {
            let this = Arc::clone(self);
            tasks.push(tokio::spawn(async move { this.process(d).await }));
        }
        for task in tasks {
            let _ = task.await;
        }
        Ok(count)
    }

    /// Runs passes until nothing is due.
    pub async fn drain(self: &Arc<Self>) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            let n = self.run_once().await?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
        }
    }

    /// The background loop: keeps every free slot busy with due work and
    /// sleeps only until woken by new work or the poll interval.
    pub async fn run(self: Arc<Self>) {
        loop {
            if self.stopping.load(Ordering::SeqCst) {
                return;
            }
            if let Err(err) = self.expand_fanouts(4).await {
                tracing::warn!(error = %format!("{err:#}"), "fan-out expansion failed");
            }
            let free = self.slots.available_permits();
            let leased = match self.lease(free.min(256)).await {
                Ok(leased) => leased,
                Err(err) => {
                    tracing::warn!(error = %format!("{err:#}"), "leasing deliveries failed");
                    Vec::new()
                }
            };
            let got = leased.len();
            for d in leased {
                let Ok(permit) = Arc::clone(&self.slots).acquire_owned().await else {
                    return;
                };
                let this = Arc::clone(&self);
                tokio::spawn(async move {
                    this.process(d).await;
                    drop(permit);
                    this.wake.notify_one();
                });
            }
            if got == 0 || self.slots.available_permits() == 0 {
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(self.limits.poll) => {}
                }
            }
        }
    }

    /// Stops taking work and waits, at most `grace`, for the attempts in
    /// flight to record their outcome, so a graceful restart leaves no
    /// lease to run out. Whatever is still running after `grace` is retried
    /// by the next process once its lease expires.
    pub async fn shutdown(&self, grace: Duration) {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        let all = u32::try_from(self.limits.global).unwrap_or(u32::MAX);
        if tokio::time::timeout(grace, self.slots.acquire_many(all))
            .await
            .is_err()
        {
            tracing::warn!(
                "deliveries still in flight at shutdown; they will be retried after their lease"
            );
        }
    }

    async fn process(&self, d: delivery::Model) {
        let id = d.id;
        let subscription_id = d.subscription_id.clone();
        if let Err(err) = self.attempt(d).await {
            // The lease runs out and another pass retries: at-least-once.
            tracing::warn!(delivery_id = id, error = %format!("{err:#}"), "delivery step failed; will be retried after the lease");
        }
        self.finished(&subscription_id);
    }

    async fn load(&self, d: delivery::Model) -> anyhow::Result<Job> {
        let kind = match d.kind.as_str() {
            "confirmation" => DeliveryKind::Confirmation,
            "unsubscribed" => DeliveryKind::Unsubscribed,
            _ => DeliveryKind::Notification,
        };
        let text = match (d.fanout_id, &d.payload) {
            (Some(fanout_id), _) => deliveries::fanout_payload(&self.db, fanout_id).await?,
            (None, payload) => payload.clone(),
        };
        let payload = text
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        Ok(Job {
            delivery: d,
            kind,
            payload,
        })
    }

    #[tracing::instrument(skip_all, fields(delivery_id = d.id, subscription_id = %d.subscription_id, queue = %d.queue))]
    async fn attempt(&self, d: delivery::Model) -> anyhow::Result<()> {
        let attempts_made = d.attempts.max(0) as u32;
        let job = self.load(d).await?;
        let id = job.delivery.id;
        match self.channels.deliver(&job).await? {
            Handled::Skipped(reason) => {
                self.metrics
                    .deliveries_skipped
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                deliveries::mark_skipped(&self.db, id, &reason, self.clock.now_ms()).await?;
            }
            Handled::Attempted {
                channel,
                outcome,
                retry_policies,
            } => {
                self.metrics
                    .record_attempt(channel, outcome.outcome_label(), outcome.duration);
                let now = self.clock.now_ms();
                let next = next_step(&outcome, attempts_made + 1, &retry_policies, now);
                super::attempt_log::log_attempt(channel, &outcome, &next, now);
                let record = AttemptRecord {
                    at: now,
                    outcome: outcome.outcome_label(),
                    code: outcome.code,
                    detail: outcome.detail.clone(),
                    duration_ms: outcome.duration.as_millis() as i64,
                };
                let scrub = job.kind != DeliveryKind::Notification;
                deliveries::record_attempt(&self.db, id, record, next, scrub).await?;
            }
        }
        Ok(())
    }
}

/// After `attempts_made` attempts ending in `outcome`: delivered, retry at a
/// time, or failed for good (dead letter).
pub fn next_step(
    outcome: &AttemptOutcome,
    attempts_made: u32,
    policies: &(Option<Value>, Option<Value>),
    now: i64,
) -> Next {
    match outcome.verdict {
        Verdict::Delivered => Next::Delivered,
        Verdict::Permanent => Next::Failed,
        Verdict::Transient { retry_after } => {
            let schedule =
                retry::effective_policy(policies.0.as_ref(), policies.1.as_ref()).schedule();
            match retry::next_delay(
                &schedule,
                attempts_made,
                retry_after,
                &mut rand::thread_rng(),
            ) {
                None => Next::Failed,
                Some(delay) => Next::RetryAt(now + delay.as_millis() as i64),
            }
        }
    }
}
