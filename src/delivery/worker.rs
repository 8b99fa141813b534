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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{DatabaseConnection, TransactionTrait};
use tokio::sync::{Notify, Semaphore};

use super::audience::FanoutRouting;
use super::endpoint_slots::EndpointSlots;
use super::job::{outcome_of, Deliver, Handled, Job};
use crate::clock::SharedClock;
use crate::metrics::Metrics;
use crate::store::delivery_leases;
use crate::store::delivery_outcomes::{self, Outcome};
use crate::store::group_commit::{Committer, GroupCommit, Shape};

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

/// Outcomes recorded by one transaction, at most.
const OUTCOMES_PER_COMMIT: usize = 2000;
/// How long a finished attempt may wait for others to share its commit.
/// Attempts finish one by one; without this each would be a transaction.
const OUTCOME_LINGER: Duration = Duration::from_millis(2);
/// Outcomes waiting for their commit, at most; attempts wait beyond it.
const MAX_UNRECORDED: usize = 4096;
/// How long the worker lets new fan-out jobs gather before expanding them.
const EXPAND_LINGER: Duration = Duration::from_millis(1);
/// Leases taken by one pass, at most.
const LEASE_BATCH: usize = 256;

pub struct Dispatcher<D> {
    pub(super) db: DatabaseConnection,
    pub(super) clock: SharedClock,
    channels: Arc<D>,
    pub(super) limits: Limits,
    /// One per attempt in flight (`limits.global`).
    slots: Arc<Semaphore>,
    /// One per outcome not yet stored.
    recording: Arc<Semaphore>,
    pub(super) endpoints: EndpointSlots<Job>,
    outcomes: GroupCommit<Outcome>,
    /// Deliveries were committed (redelivery requests and the like).
    wake: Arc<Notify>,
    /// Posted messages left fan-out jobs.
    fanouts_ready: Arc<Notify>,
    /// Room was freed: worth a lease.
    freed: Notify,
    pub(super) metrics: Arc<Metrics>,
    /// Which subscriptions a fan-out job is for.
    pub(super) routing: FanoutRouting,
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
    // The worker's handles, each used on its own path; bundling them would
    // only move the list elsewhere.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db: DatabaseConnection,
        clock: SharedClock,
        channels: Arc<D>,
        limits: Limits,
        wake: Arc<Notify>,
        fanouts_ready: Arc<Notify>,
        metrics: Arc<Metrics>,
        routing: FanoutRouting,
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
            recording: Arc::new(Semaphore::new(MAX_UNRECORDED)),
            endpoints: EndpointSlots::new(limits.per_subscription),
            outcomes,
            wake,
            fanouts_ready,
            freed: Notify::new(),
            metrics,
            routing,
            stopping: AtomicBool::new(false),
        })
    }

    /// The channels attempts go through (tests look at their drivers).
    pub fn channels(&self) -> &Arc<D> {
        &self.channels
    }

    /// One pass: expand fan-outs, then attempt every due delivery (within
    /// the bounds) and wait for all of them. Returns how many were handled.
    /// Tests call this (or `drain`) instead of sleeping.
    pub async fn run_once(self: &Arc<Self>) -> anyhow::Result<usize> {
        let global = self.limits.global;
        let (_, mut jobs) = self.expand_fanouts(usize::MAX, global).await?;
        let more = self.lease(global.saturating_sub(jobs.len())).await?;
        jobs.extend(more);
        let handled = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::with_capacity(jobs.len());
        for job in jobs {
            let this = Arc::clone(self);
            let handled = Arc::clone(&handled);
            tasks.push(tokio::spawn(async move {
                let mut next = Some(job);
                while let Some(job) = next {
                    handled.fetch_add(1, Ordering::Relaxed);
                    next = this.process(job).await;
                }
            }));
        }
        for task in tasks {
            let _ = task.await;
        }
        self.recorded().await;
        Ok(handled.load(Ordering::Relaxed))
    }

    /// Waits until every outcome handed to the recorder is stored.
    async fn recorded(&self) {
        let all = u32::try_from(MAX_UNRECORDED).unwrap_or(u32::MAX);
        let _ = self.recording.acquire_many(all).await;
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
    /// sleeps only until woken. Fan-out jobs are looked for when posts
    /// announce some, at each poll, and while the last look found some;
    /// the database is asked for due deliveries when something may have
    /// made some due or made room for them: an announcement, a poll (for
    /// retries coming due), room freed, or a look that left work behind.
    pub async fn run(self: Arc<Self>) {
        let mut look_for_fanouts = true;
        let mut lease_wanted = true;
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
                        // Some of what was created may not have been taken.
                        lease_wanted |= created > jobs.len() as u64;
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
            let mut got = 0;
            if lease_wanted && free >= threshold {
                let leased = match self.lease(asked).await {
                    Ok(leased) => leased,
                    Err(err) => {
                        tracing::warn!(error = %format!("{err:#}"), "leasing deliveries failed");
                        Vec::new()
                    }
                };
                got = leased.len();
                // A full lease may have left more due work behind.
                lease_wanted = got == asked;
                if !self.spawn_attempts(leased, threshold).await {
                    return;
                }
            }
            if look_for_fanouts
                || (got > 0 && lease_wanted && self.slots.available_permits() >= threshold)
            {
                continue;
            }
            tokio::select! {
                _ = self.fanouts_ready.notified() => {
                    // Posts commit hundreds of times a second under load;
                    // a moment's wait lets one expansion take many of them.
                    tokio::time::sleep(EXPAND_LINGER).await;
                    look_for_fanouts = true;
                }
                _ = self.wake.notified() => lease_wanted = true,
                _ = self.freed.notified() => lease_wanted = true,
                _ = tokio::time::sleep(self.limits.poll) => {
                    look_for_fanouts = true;
                    lease_wanted = true;
                }
            }
        }
    }

    /// Starts an attempt per job, each holding one of the worker's slots;
    /// the same task then runs its subscription's queued deliveries, one
    /// after the other. False once the worker is shutting down.
    async fn spawn_attempts(self: &Arc<Self>, jobs: Vec<Job>, threshold: usize) -> bool {
        for job in jobs {
            let Ok(permit) = Arc::clone(&self.slots).acquire_owned().await else {
                return false;
            };
            let this = Arc::clone(self);
            tokio::spawn(async move {
                let mut next = Some(job);
                while let Some(job) = next {
                    next = this.process(job).await;
                }
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
        // Queued deliveries have not started: give their leases back so
        // the next process need not wait for them to run out.
        let queued: Vec<i64> = self
            .endpoints
            .take_queued()
            .into_iter()
            .map(|job| job.delivery.id)
            .collect();
        if let Err(err) = delivery_leases::release(&self.db, &queued).await {
            tracing::warn!(error = %err, "could not give back queued leases; they run out on their own");
        }
        let all = u32::try_from(self.limits.global).unwrap_or(u32::MAX);
        let settled = async {
            let _in_flight = self.slots.acquire_many(all).await;
            self.recorded().await;
        };
        if tokio::time::timeout(grace, settled).await.is_err() {
            tracing::warn!(
                "deliveries still in flight at shutdown; they will be retried after their lease"
            );
        }
    }

    /// One attempt; its outcome goes to the recorder (group-committed)
    /// while the endpoint's next queued delivery, returned here, starts at
    /// once. The row stays leased until its outcome is stored, so nobody
    /// takes it again meanwhile.
    async fn process(self: &Arc<Self>, job: Job) -> Option<Job> {
        let id = job.delivery.id;
        let subscription_id = job.delivery.subscription_id.clone();
        let outcome = self.attempt(job).await;
        let (next, lease_again) = self.endpoints.finished(&subscription_id);
        if lease_again {
            self.freed.notify_one();
        }
        match outcome {
            Ok(outcome) => {
                let Ok(unrecorded) = Arc::clone(&self.recording).acquire_owned().await else {
                    return next;
                };
                let this = Arc::clone(self);
                tokio::spawn(async move {
                    if let Err(err) = this.outcomes.submit(outcome).await {
                        // The lease runs out and another pass retries.
                        tracing::warn!(delivery_id = id, error = %format!("{err:#}"), "recording a delivery attempt failed; it will be retried after its lease");
                    }
                    drop(unrecorded);
                });
            }
            Err(err) => {
                tracing::warn!(delivery_id = id, error = %format!("{err:#}"), "delivery step failed; will be retried after the lease");
            }
        }
        next
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
