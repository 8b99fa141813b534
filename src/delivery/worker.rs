//! The delivery worker: expand fan-out jobs, lease due deliveries, run each
//! attempt outside any transaction, record the outcome and the next step.
//!
//! Concurrency is bounded overall (`global` attempts at once) and per
//! subscription (`per_subscription`), so one slow or dead endpoint can hold
//! at most its own share of slots. Nothing sleeps waiting for a retry: a
//! retry is a row whose `next_attempt_at` lies in the future.
//!
//! The database sees batches, not deliveries: a lease takes many rows and
//! loads their payloads and subscriptions with one query each, and outcomes
//! are group-committed (an attempt counts as finished only once its outcome
//! is stored).
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, TransactionTrait};
use serde_json::Value;
use tokio::sync::{Notify, Semaphore};

use super::endpoint_slots::EndpointSlots;
use super::job::{kind_of, outcome_of, Deliver, Handled, Job};
use super::metrics::Metrics;
use super::outbox::DeliveryKind;
use crate::clock::SharedClock;
use crate::store::delivery_outcomes::{self, Outcome};
use crate::store::entities::delivery;
use crate::store::group_commit::{Committer, GroupCommit, Shape};
use crate::store::{delivery_leases, fanouts};

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
            global: 256,
            per_subscription: 16,
            // Longer than the slowest attempt (webhook total timeout 15 s,
            // SMTP a little more) so a live worker never loses its lease.
            lease: Duration::from_secs(120),
            fanout_batch: 1000,
            poll: Duration::from_millis(500),
        }
    }
}

/// Delivery rows written by one fan-out transaction, at most (plus one
/// subscription page).
const EXPAND_ROWS_PER_COMMIT: usize = 2000;
/// Outcomes recorded by one transaction, at most.
const OUTCOMES_PER_COMMIT: usize = 2000;
/// How long a finished attempt may wait for others to share its commit.
/// Attempts finish one by one; without this each would be a transaction.
const OUTCOME_LINGER: Duration = Duration::from_millis(2);
/// Leases taken by one pass, at most.
const LEASE_BATCH: usize = 256;

pub struct Dispatcher<D> {
    db: DatabaseConnection,
    clock: SharedClock,
    channels: Arc<D>,
    limits: Limits,
    slots: Arc<Semaphore>,
    endpoints: EndpointSlots,
    outcomes: GroupCommit<Outcome>,
    /// New work was committed (posts, subscriptions, redelivery requests).
    wake: Arc<Notify>,
    /// An attempt finished: a slot is free again.
    freed: Notify,
    metrics: Arc<Metrics>,
    /// Set by `shutdown`: take no new work.
    stopping: AtomicBool,
}

/// Writes outcomes in groups.
struct OutcomeWriter {
    db: DatabaseConnection,
}

impl Committer<Outcome> for OutcomeWriter {
    fn weight(&self, _: &Outcome) -> usize {
        1
    }

    async fn commit(&self, batch: &[Outcome]) -> anyhow::Result<()> {
        let txn = self.db.begin().await?;
        delivery_outcomes::record(&txn, batch).await?;
        txn.commit().await?;
        Ok(())
    }
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
        let outcomes = GroupCommit::start(
            OutcomeWriter { db: db.clone() },
            Shape {
                commits_at_once: 1,
                max_weight: OUTCOMES_PER_COMMIT,
                linger: OUTCOME_LINGER,
            },
        );
        Arc::new(Dispatcher {
            db,
            clock,
            channels,
            limits,
            slots: Arc::new(Semaphore::new(limits.global)),
            endpoints: EndpointSlots::new(limits.per_subscription),
            outcomes,
            wake,
            freed: Notify::new(),
            metrics,
            stopping: AtomicBool::new(false),
        })
    }

    /// Expands up to `max_commits` transactions' worth of fan-out jobs,
    /// taking up to `budget` of the new deliveries on the spot (within
    /// their subscriptions' bounds): those need no lease of their own.
    /// Returns how many deliveries were created, and the jobs taken.
    pub async fn expand_fanouts(
        &self,
        max_commits: usize,
        budget: usize,
    ) -> anyhow::Result<(u64, Vec<Job>)> {
        let mut created = 0;
        let mut jobs = Vec::new();
        for _ in 0..max_commits {
            let mut left = budget.saturating_sub(jobs.len());
            let mut reserved: HashMap<String, usize> = HashMap::new();
            let endpoints = &self.endpoints;
            let mut take = |subscription_id: &str| {
                if left == 0 || !endpoints.try_start(subscription_id) {
                    return false;
                }
                left -= 1;
                *reserved.entry(subscription_id.to_string()).or_insert(0) += 1;
                true
            };
            let now = self.clock.now_ms();
            let result = self.expand_once(now, &mut take).await;
            let expanded = match result {
                Ok(expanded) => expanded,
                Err(err) => {
                    self.release(reserved);
                    return Err(err);
                }
            };
            let Some(expanded) = expanded else {
                self.release(reserved);
                break;
            };
            created += expanded.created;
            let mut parsed: HashMap<i64, Value> = HashMap::new();
            for taken in expanded.taken {
                if let Some(n) = reserved.get_mut(&taken.delivery.subscription_id) {
                    *n = n.saturating_sub(1);
                }
                let fanout_id = taken.delivery.fanout_id.unwrap_or_default();
                let payload = parsed
                    .entry(fanout_id)
                    .or_insert_with(|| parse(Some(taken.payload)))
                    .clone();
                jobs.push(Job {
                    kind: DeliveryKind::Notification,
                    delivery: taken.delivery,
                    payload,
                    subscription: Some(taken.subscription),
                });
            }
            self.release(reserved);
        }
        Ok((created, jobs))
    }

    async fn expand_once(
        &self,
        now: i64,
        take: &mut (dyn FnMut(&str) -> bool + Send),
    ) -> anyhow::Result<Option<fanouts::Expanded>> {
        let txn = self.db.begin().await?;
        let expanded = fanouts::expand(
            &txn,
            now,
            self.limits.fanout_batch,
            EXPAND_ROWS_PER_COMMIT,
            self.limits.lease.as_millis() as i64,
            take,
        )
        .await?;
        txn.commit().await?;
        Ok(expanded)
    }

    /// Gives back endpoint slots reserved for deliveries that were not
    /// taken after all.
    fn release(&self, reserved: HashMap<String, usize>) {
        for (subscription_id, n) in reserved {
            for _ in 0..n {
                self.endpoints.finished(&subscription_id);
            }
        }
    }

    /// Leases up to `limit` due deliveries, no subscription beyond its
    /// bound, and loads what their attempts need.
    async fn lease(&self, limit: usize) -> anyhow::Result<Vec<Job>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let now = self.clock.now_ms();
        let jobs = if self.db.get_database_backend() == DbBackend::Postgres {
            // FOR UPDATE SKIP LOCKED holds its row locks until commit.
            let txn = self.db.begin().await?;
            let jobs = self.lease_on(&txn, limit, now).await?;
            txn.commit().await?;
            jobs
        } else {
            // One writer: the UPDATE's own guard (only rows nobody holds)
            // is the whole lock, and a transaction would only add round
            // trips.
            self.lease_on(&self.db, limit, now).await?
        };
        tracing::trace!(limit, leased = jobs.len(), "lease");
        for job in &jobs {
            self.endpoints.started(&job.delivery.subscription_id);
        }
        Ok(jobs)
    }

    async fn lease_on(
        &self,
        db: &impl ConnectionTrait,
        limit: usize,
        now: i64,
    ) -> anyhow::Result<Vec<Job>> {
        let skip = self.endpoints.saturated();
        // Look a little further than `limit`: some candidates may belong
        // to a subscription that can take only part of its backlog now.
        let look = limit.saturating_add(self.limits.per_subscription);
        let candidates = delivery_leases::candidates(db, now, look as u64, &skip).await?;
        let complete = candidates.len() < look;
        let chosen = self.endpoints.choose(&candidates, limit, complete);
        let lease_ms = self.limits.lease.as_millis() as i64;
        let rows = delivery_leases::lease(db, &chosen, now, lease_ms).await?;
        self.load(db, rows, now).await
    }

    /// Payloads and subscriptions for a lease batch, one query each.
    async fn load(
        &self,
        db: &impl ConnectionTrait,
        rows: Vec<delivery::Model>,
        now: i64,
    ) -> anyhow::Result<Vec<Job>> {
        let fanout_ids: Vec<i64> = rows
            .iter()
            .filter_map(|d| d.fanout_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let subscription_ids: Vec<String> = rows
            .iter()
            .map(|d| d.subscription_id.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut payloads = fanouts::payloads(db, &fanout_ids).await?;
        let subscriptions = delivery_leases::live_subscriptions(db, &subscription_ids, now).await?;
        let mut parsed: HashMap<i64, Value> = HashMap::new();
        let mut jobs = Vec::with_capacity(rows.len());
        for d in rows {
            let payload = match d.fanout_id {
                Some(fanout_id) => match parsed.get(&fanout_id) {
                    Some(value) => value.clone(),
                    None => {
                        let value = parse(payloads.remove(&fanout_id));
                        parsed.insert(fanout_id, value.clone());
                        value
                    }
                },
                None => parse(d.payload.clone()),
            };
            let subscription = subscriptions.get(&d.subscription_id).cloned();
            jobs.push(Job {
                kind: kind_of(&d),
                delivery: d,
                payload,
                subscription,
            });
        }
        Ok(jobs)
    }

    /// One pass: expand fan-outs, then attempt every due delivery (within
    /// the bounds) and wait for all of them. Returns how many were handled.
    /// Tests call this (or `drain`) instead of sleeping.
    pub async fn run_once(self: &Arc<Self>) -> anyhow::Result<usize> {
        let global = self.limits.global;
        let (_, mut jobs) = self.expand_fanouts(usize::MAX, global).await?;
        let more = self.lease(global.saturating_sub(jobs.len())).await?;
        jobs.extend(more);
        let count = jobs.len();
        let mut tasks = Vec::with_capacity(count);
        for job in jobs {
            let this = Arc::clone(self);
            tasks.push(tokio::spawn(async move { this.process(job).await }));
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
    /// sleeps only until woken by new work, a freed slot or the poll
    /// interval. Fan-out jobs are looked for only when new work was
    /// announced, at each poll, and while the last look found some: a
    /// finished attempt alone creates none.
    pub async fn run(self: Arc<Self>) {
        let mut look_for_fanouts = true;
        // Slots come back one attempt at a time; leasing for each would
        // make a transaction per delivery. Lease when a quarter of the
        // worker's slots are free, or (see `EndpointSlots`) when a
        // subscription held back by its own bound has room again.
        let threshold = (self.limits.global / 4).max(1);
        loop {
            if self.stopping.load(Ordering::SeqCst) {
                return;
            }
            if look_for_fanouts {
                let budget = self.slots.available_permits();
                match self.expand_fanouts(4, budget).await {
                    Ok((created, jobs)) => {
                        look_for_fanouts = created > 0;
                        if !self.spawn_attempts(jobs, threshold).await {
                            return;
                        }
                    }
                    Err(err) => {
                        tracing::warn!(error = %format!("{err:#}"), "fan-out expansion failed")
                    }
                }
            }
            let free = self.slots.available_permits();
            let asked = free.min(LEASE_BATCH);
            let leased = if free >= threshold {
                match self.lease(asked).await {
                    Ok(leased) => leased,
                    Err(err) => {
                        tracing::warn!(error = %format!("{err:#}"), "leasing deliveries failed");
                        Vec::new()
                    }
                }
            } else {
                Vec::new()
            };
            let got = leased.len();
            if !self.spawn_attempts(leased, threshold).await {
                return;
            }
            // A full lease may have left more due work behind.
            if look_for_fanouts
                || (got > 0 && got == asked && self.slots.available_permits() >= threshold)
            {
                continue;
            }
            tokio::select! {
                _ = self.wake.notified() => look_for_fanouts = true,
                _ = self.freed.notified() => {}
                _ = tokio::time::sleep(self.limits.poll) => look_for_fanouts = true,
            }
        }
    }

    /// Starts an attempt per job, each holding one of the worker's slots.
    /// False once the worker is shutting down.
    async fn spawn_attempts(self: &Arc<Self>, jobs: Vec<Job>, threshold: usize) -> bool {
        for job in jobs {
            let Ok(permit) = Arc::clone(&self.slots).acquire_owned().await else {
                return false;
            };
            let this = Arc::clone(self);
            tokio::spawn(async move {
                this.process(job).await;
                drop(permit);
                if this.slots.available_permits() == threshold {
                    this.freed.notify_one();
                }
            });
        }
        true
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

    /// One attempt, then its outcome recorded. The subscription's
    /// in-flight count drops as soon as the endpoint has answered: the
    /// bound protects the endpoint, and the row stays leased (so nobody
    /// takes it again) until its outcome is stored.
    async fn process(&self, job: Job) {
        let id = job.delivery.id;
        let subscription_id = job.delivery.subscription_id.clone();
        let outcome = self.attempt(job).await;
        if self.endpoints.finished(&subscription_id) {
            self.freed.notify_one();
        }
        let recorded = match outcome {
            Ok(outcome) => self.outcomes.submit(outcome).await,
            Err(err) => Err(err),
        };
        if let Err(err) = recorded {
            // The lease runs out and another pass retries: at-least-once.
            tracing::warn!(delivery_id = id, error = %format!("{err:#}"), "delivery step failed; will be retried after the lease");
        }
    }

    #[tracing::instrument(skip_all, fields(delivery_id = job.delivery.id, subscription_id = %job.delivery.subscription_id, queue = %job.delivery.queue))]
    async fn attempt(&self, job: Job) -> anyhow::Result<Outcome> {
        let handled = self.channels.deliver(&job).await?;
        let now = self.clock.now_ms();
        let outcome = outcome_of(&job, &handled, now);
        match &handled {
            Handled::Skipped(_) => {
                self.metrics
                    .deliveries_skipped
                    .fetch_add(1, Ordering::Relaxed);
            }
            Handled::Attempted {
                channel,
                outcome: o,
                ..
            } => {
                self.metrics
                    .record_attempt(channel, o.outcome_label(), o.duration);
                if let Outcome::Attempted { next, .. } = &outcome {
                    super::attempt_log::log_attempt(channel, o, next, now);
                }
            }
        }
        Ok(outcome)
    }
}

/// A stored payload as JSON (Null when missing or unreadable).
fn parse(text: Option<String>) -> Value {
    text.and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null)
}
