//! Per-subscription concurrency: one endpoint never sees more than its
//! bound of attempts at once, yet a busy endpoint is never idle waiting for
//! the database.
//!
//! Each subscription may hold, besides the attempts it has in flight, a few
//! times that many leased deliveries queued in memory; when an attempt ends
//! the next queued one starts at once, in order. The subscription is leased
//! again when half of that room is free. While it has due deliveries left in
//! the database, fresh ones from fan-out are not taken ahead of them.
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};

use crate::store::delivery_leases::Candidate;

/// Queued deliveries a subscription may hold, in multiples of its bound.
const QUEUED_PER_SLOT: usize = 3;

#[derive(Debug)]
struct Slot<J> {
    in_flight: usize,
    queued: VecDeque<J>,
    /// Taken by fan-out, not yet handed over with `admit`.
    reserved: usize,
    /// Due deliveries of this subscription are left in the database.
    waiting: bool,
}

impl<J> Default for Slot<J> {
    fn default() -> Self {
        Slot {
            in_flight: 0,
            queued: VecDeque::new(),
            reserved: 0,
            waiting: false,
        }
    }
}

impl<J> Slot<J> {
    fn held(&self) -> usize {
        self.in_flight + self.queued.len() + self.reserved
    }

    fn idle(&self) -> bool {
        self.held() == 0 && !self.waiting
    }
}

/// What to do with a delivery handed over with `admit`.
#[derive(Debug, PartialEq, Eq)]
pub enum Admitted<J> {
    /// Start it now.
    Start(J),
    /// Queued behind the subscription's attempts in flight.
    Queued,
}

#[derive(Debug)]
pub struct EndpointSlots<J> {
    per_subscription: usize,
    room: usize,
    slots: Mutex<HashMap<String, Slot<J>>>,
}

impl<J> EndpointSlots<J> {
    pub fn new(per_subscription: usize) -> EndpointSlots<J> {
        let per_subscription = per_subscription.max(1);
        EndpointSlots {
            per_subscription,
            room: per_subscription * (1 + QUEUED_PER_SLOT),
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Slot<J>>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Subscriptions with no room left, to leave out of the next lease.
    pub fn full(&self) -> Vec<String> {
        self.lock()
            .iter()
            .filter(|(_, s)| s.held() >= self.room)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Picks at most `limit` of the lease candidates, oldest first, within
    /// each subscription's room, and notes which subscriptions still have
    /// work waiting. `complete`: the candidates are all the due work there
    /// is (outside the full subscriptions). Hand the leased rows over with
    /// `admit`.
    pub fn choose(&self, candidates: &[Candidate], limit: usize, complete: bool) -> Vec<i64> {
        let mut slots = self.lock();
        let mut taken: HashMap<&str, usize> = HashMap::new();
        let mut left_behind: HashSet<&str> = HashSet::new();
        let mut chosen = Vec::new();
        for c in candidates {
            let held = slots.get(&c.subscription_id).map_or(0, Slot::held);
            let n = taken.entry(c.subscription_id.as_str()).or_insert(0);
            if chosen.len() < limit && held + *n < self.room {
                *n += 1;
                chosen.push(c.id);
            } else {
                left_behind.insert(c.subscription_id.as_str());
            }
        }
        for sub in &left_behind {
            slots.entry(sub.to_string()).or_default().waiting = true;
        }
        if complete {
            // Whatever was due and not left behind is now leased.
            for (id, slot) in slots.iter_mut() {
                if slot.held() < self.room && !left_behind.contains(id.as_str()) {
                    slot.waiting = false;
                }
            }
        }
        chosen
    }

    /// Reserves room for a fresh delivery if the subscription has some and
    /// no older deliveries waiting. Hand it over with `admit(.., true)`, or
    /// give the room back with `unreserve`.
    pub fn try_reserve(&self, subscription_id: &str) -> bool {
        let mut slots = self.lock();
        let slot = slots.entry(subscription_id.to_string()).or_default();
        if !slot.waiting && slot.held() < self.room {
            slot.reserved += 1;
            true
        } else {
            slot.waiting = true;
            false
        }
    }

    pub fn unreserve(&self, subscription_id: &str) {
        let mut slots = self.lock();
        if let Some(slot) = slots.get_mut(subscription_id) {
            slot.reserved = slot.reserved.saturating_sub(1);
            if slot.idle() {
                slots.remove(subscription_id);
            }
        }
    }

    /// Hands over a leased delivery: start it now if the subscription has
    /// a free slot, else queue it.
    pub fn admit(&self, subscription_id: &str, job: J, reserved: bool) -> Admitted<J> {
        let mut slots = self.lock();
        let slot = slots.entry(subscription_id.to_string()).or_default();
        if reserved {
            slot.reserved = slot.reserved.saturating_sub(1);
        }
        if slot.in_flight < self.per_subscription && slot.queued.is_empty() {
            slot.in_flight += 1;
            Admitted::Start(job)
        } else {
            slot.queued.push_back(job);
            Admitted::Queued
        }
    }

    /// The endpoint answered one attempt. Returns the subscription's next
    /// queued delivery (already counted in flight: start it), and whether
    /// it is worth a lease now (work waits in the database and half the
    /// room just became free).
    pub fn finished(&self, subscription_id: &str) -> (Option<J>, bool) {
        let mut slots = self.lock();
        let Some(slot) = slots.get_mut(subscription_id) else {
            return (None, false);
        };
        slot.in_flight = slot.in_flight.saturating_sub(1);
        let next = slot.queued.pop_front();
        if next.is_some() {
            slot.in_flight += 1;
        }
        let lease_again = slot.waiting && slot.held() == self.room / 2;
        if slot.idle() {
            slots.remove(subscription_id);
        }
        (next, lease_again)
    }

    /// Every queued delivery, taken out (at shutdown, to give their leases
    /// back).
    pub fn take_queued(&self) -> Vec<J> {
        let mut slots = self.lock();
        let mut out = Vec::new();
        for slot in slots.values_mut() {
            out.extend(slot.queued.drain(..));
        }
        slots.retain(|_, s| !s.idle());
        out
    }
}

#[cfg(test)]
#[path = "endpoint_slots_tests.rs"]
mod tests;
