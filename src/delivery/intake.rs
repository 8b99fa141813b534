//! How work reaches the worker: fresh deliveries taken while fan-out jobs
//! are expanded, and due deliveries leased from the database (retries,
//! work left waiting, leases abandoned by a dead process). Both hand their
//! jobs to `EndpointSlots`, which says which start now and which queue
//! behind their subscription's attempts in flight.
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;

use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::Value;

use super::endpoint_slots::Admitted;
use super::job::{kind_of, Deliver, Job};
use super::worker::Dispatcher;
use crate::domain::delivery::DeliveryKind;
use crate::store::entities::delivery;
use crate::store::{self, delivery_leases, fanouts};

/// Delivery rows written by one fan-out transaction, at most (plus one
/// subscription page).
const EXPAND_ROWS_PER_COMMIT: usize = 2000;

impl<D: Deliver> Dispatcher<D> {
    /// Expands up to `max_commits` transactions' worth of fan-out jobs,
    /// taking up to `budget` of the new deliveries on the spot (within
    /// their subscriptions' room): those need no lease of their own.
    /// Returns how many deliveries were created, and the jobs to start now.
    pub async fn expand_fanouts(
        &self,
        max_commits: usize,
        budget: usize,
    ) -> anyhow::Result<(u64, Vec<Job>)> {
        let mut created = 0;
        let mut taken_count = 0;
        let mut start = Vec::new();
        for _ in 0..max_commits {
            let mut left = budget.saturating_sub(taken_count);
            let mut reserved: HashMap<String, usize> = HashMap::new();
            let endpoints = &self.endpoints;
            let mut take = |subscription_id: &str| {
                if left == 0 || !endpoints.try_reserve(subscription_id) {
                    return false;
                }
                left -= 1;
                *reserved.entry(subscription_id.to_string()).or_insert(0) += 1;
                true
            };
            let now = self.clock.now_ms();
            let expanded = match self.expand_once(now, &mut take).await {
                Ok(expanded) => expanded,
                Err(err) => {
                    self.unreserve(reserved);
                    return Err(err);
                }
            };
            let Some(expanded) = expanded else {
                self.unreserve(reserved);
                break;
            };
            created += expanded.created;
            let mut parsed: HashMap<i64, Value> = HashMap::new();
            for taken in expanded.taken {
                let subscription_id = taken.delivery.subscription_id.clone();
                let Some(n) = reserved.get_mut(&subscription_id).filter(|n| **n > 0) else {
                    continue;
                };
                *n -= 1;
                taken_count += 1;
                let fanout_id = taken.delivery.fanout_id.unwrap_or_default();
                let payload = parsed
                    .entry(fanout_id)
                    .or_insert_with(|| parse(Some(taken.payload)))
                    .clone();
                let job = Job {
                    kind: DeliveryKind::Notification,
                    delivery: taken.delivery,
                    payload,
                    event_type: taken.event_type,
                    subscription: Some(taken.subscription),
                };
                if let Admitted::Start(job) = self.endpoints.admit(&subscription_id, job, true) {
                    start.push(job);
                }
            }
            self.unreserve(reserved);
        }
        Ok((created, start))
    }

    async fn expand_once(
        &self,
        now: i64,
        take: &mut (dyn FnMut(&str) -> bool + Send),
    ) -> anyhow::Result<Option<fanouts::Expanded>> {
        let txn = self.db.begin().await?;
        let jobs = self.routing.open_jobs(fanouts::pending(&txn).await?);
        if jobs.is_empty() {
            txn.commit().await?;
            return Ok(None);
        }
        let mut audience = self.routing.audience(&txn, &jobs).await?;
        let bounds = fanouts::Bounds {
            now,
            page_size: self.limits.fanout_batch,
            max_rows: EXPAND_ROWS_PER_COMMIT,
            lease_ms: self.limits.lease.as_millis() as i64,
        };
        let mut expanded = fanouts::expand(&txn, jobs, bounds, take, &mut audience).await?;
        let hits = std::mem::take(&mut audience.alert_hits);
        expanded.created += super::alert_intake::apply(&txn, hits, now).await?;
        txn.commit().await?;
        self.metrics
            .fanout_routed_out
            .fetch_add(audience.routed_out, Ordering::Relaxed);
        Ok(Some(expanded))
    }

    /// Gives back room reserved for deliveries that were not taken.
    fn unreserve(&self, reserved: HashMap<String, usize>) {
        for (subscription_id, n) in reserved {
            for _ in 0..n {
                self.endpoints.unreserve(&subscription_id);
            }
        }
    }

    /// Leases up to `limit` due deliveries within their subscriptions'
    /// room, loads what their attempts need, and returns those to start
    /// now (the rest queue in `EndpointSlots`).
    pub(super) async fn lease(&self, limit: usize) -> anyhow::Result<Vec<Job>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let now = self.clock.now_ms();
        let jobs = if store::dialect::locks_rows(self.db.get_database_backend()) {
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
        let mut start = Vec::new();
        for job in jobs {
            let subscription_id = job.delivery.subscription_id.clone();
            if let Admitted::Start(job) = self.endpoints.admit(&subscription_id, job, false) {
                start.push(job);
            }
        }
        Ok(start)
    }

    async fn lease_on(
        &self,
        db: &impl ConnectionTrait,
        limit: usize,
        now: i64,
    ) -> anyhow::Result<Vec<Job>> {
        let skip = self.endpoints.full();
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
        let mut parsed: HashMap<i64, (Value, Option<String>)> = HashMap::new();
        let mut jobs = Vec::with_capacity(rows.len());
        for d in rows {
            let (payload, event_type) = match d.fanout_id {
                Some(fanout_id) => parsed
                    .entry(fanout_id)
                    .or_insert_with(|| match payloads.remove(&fanout_id) {
                        Some(job) => {
                            let text = self.routing.open_payload(
                                &job.message_id,
                                &job.payload,
                                job.key_id.as_deref(),
                            );
                            (parse(Some(text)), job.event_type)
                        }
                        None => (Value::Null, None),
                    })
                    .clone(),
                None => (parse(d.payload.clone()), None),
            };
            let subscription = subscriptions.get(&d.subscription_id).cloned();
            jobs.push(Job {
                kind: kind_of(&d),
                delivery: d,
                payload,
                event_type,
                subscription,
            });
        }
        Ok(jobs)
    }
}

/// A stored payload as JSON (Null when missing or unreadable).
fn parse(text: Option<String>) -> Value {
    text.and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null)
}
