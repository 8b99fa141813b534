//! Per-subscription concurrency: how many attempts each subscription has in
//! flight, so that one endpoint never sees more than its bound, and which
//! subscriptions have due deliveries waiting in the database because of
//! that bound.
//!
//! Waiting work is served in order: while a subscription has deliveries
//! waiting, fresh ones from fan-out are not taken ahead of them, and the
//! worker leases again as soon as half of its slots are free (rather than
//! waiting for slots across the whole worker).
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use crate::store::delivery_leases::Candidate;

#[derive(Debug, Default)]
struct Slot {
    in_flight: usize,
    /// Due deliveries of this subscription are left in the database.
    waiting: bool,
}

#[derive(Debug)]
pub struct EndpointSlots {
    per_subscription: usize,
    slots: Mutex<HashMap<String, Slot>>,
}

impl EndpointSlots {
    pub fn new(per_subscription: usize) -> EndpointSlots {
        EndpointSlots {
            per_subscription: per_subscription.max(1),
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Slot>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Subscriptions at their bound, to leave out of the next lease.
    pub fn saturated(&self) -> Vec<String> {
        self.lock()
            .iter()
            .filter(|(_, s)| s.in_flight >= self.per_subscription)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Picks at most `limit` of the lease candidates, oldest first, keeping
    /// every subscription within its bound, and notes which subscriptions
    /// still have work waiting. `complete`: the candidates are all the due
    /// work there is (outside the saturated subscriptions). Reserves
    /// nothing: call `started` for what was actually leased.
    pub fn choose(&self, candidates: &[Candidate], limit: usize, complete: bool) -> Vec<i64> {
        let mut slots = self.lock();
        let mut taken: HashMap<&str, usize> = HashMap::new();
        let mut left_behind: HashSet<&str> = HashSet::new();
        let mut chosen = Vec::new();
        for c in candidates {
            let busy = slots.get(&c.subscription_id).map_or(0, |s| s.in_flight);
            let n = taken.entry(c.subscription_id.as_str()).or_insert(0);
            if chosen.len() < limit && busy + *n < self.per_subscription {
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
                if slot.in_flight < self.per_subscription && !left_behind.contains(id.as_str()) {
                    slot.waiting = false;
                }
            }
        }
        chosen
    }

    /// Reserves a slot for a fresh delivery if the subscription has one
    /// free and no older deliveries waiting. Undo with `finished`.
    pub fn try_start(&self, subscription_id: &str) -> bool {
        let mut slots = self.lock();
        let slot = slots.entry(subscription_id.to_string()).or_default();
        if !slot.waiting && slot.in_flight < self.per_subscription {
            slot.in_flight += 1;
            true
        } else {
            slot.waiting = true;
            false
        }
    }

    /// An attempt to this subscription is under way.
    pub fn started(&self, subscription_id: &str) {
        self.lock()
            .entry(subscription_id.to_string())
            .or_default()
            .in_flight += 1;
    }

    /// The endpoint answered. True when the subscription has work waiting
    /// and just got half its slots back: worth a lease.
    pub fn finished(&self, subscription_id: &str) -> bool {
        let mut slots = self.lock();
        let Some(slot) = slots.get_mut(subscription_id) else {
            return false;
        };
        slot.in_flight = slot.in_flight.saturating_sub(1);
        let lease_again = slot.waiting && slot.in_flight == self.per_subscription / 2;
        if slot.in_flight == 0 && !slot.waiting {
            slots.remove(subscription_id);
        }
        lease_again
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: i64, sub: &str) -> Candidate {
        Candidate {
            id,
            subscription_id: sub.to_string(),
        }
    }

    #[test]
    fn choose_keeps_each_subscription_within_its_bound() {
        let slots = EndpointSlots::new(2);
        slots.started("a");
        let candidates = [
            candidate(1, "a"),
            candidate(2, "a"),
            candidate(3, "b"),
            candidate(4, "b"),
            candidate(5, "b"),
        ];
        assert_eq!(slots.choose(&candidates, 10, true), vec![1, 3, 4]);
        assert_eq!(slots.choose(&candidates, 2, true), vec![1, 3]);
    }

    #[test]
    fn waiting_work_asks_for_a_lease_at_half_the_slots() {
        let slots = EndpointSlots::new(4);
        let candidates: Vec<Candidate> = (1..=6).map(|i| candidate(i, "a")).collect();
        let chosen = slots.choose(&candidates, 10, true);
        assert_eq!(chosen.len(), 4);
        for _ in &chosen {
            slots.started("a");
        }
        assert!(!slots.finished("a"), "3 in flight: not yet");
        assert!(slots.finished("a"), "2 in flight: half free, lease again");
        assert!(!slots.finished("a"), "asked once, not again");
    }

    #[test]
    fn fresh_work_waits_behind_older_work() {
        let slots = EndpointSlots::new(2);
        assert!(slots.try_start("a"));
        assert!(slots.try_start("a"));
        assert!(!slots.try_start("a"), "at the bound: left in the database");
        assert!(slots.finished("a"), "half free with work waiting: lease");
        assert!(
            !slots.try_start("a"),
            "a slot is free, but older work waits"
        );
        // A complete lease takes the waiting delivery: in order again.
        assert_eq!(slots.choose(&[candidate(7, "a")], 10, true), vec![7]);
        slots.started("a");
        assert!(!slots.try_start("a"), "at the bound");
    }

    #[test]
    fn a_complete_lease_clears_what_it_took() {
        let slots = EndpointSlots::new(2);
        assert!(slots.try_start("a"));
        assert!(slots.try_start("a"));
        assert!(!slots.try_start("a"));
        slots.finished("a");
        slots.finished("a");
        assert!(slots.choose(&[], 10, true).is_empty());
        assert!(slots.try_start("a"), "nothing waits any more");
    }

    #[test]
    fn saturated_subscriptions_are_left_out() {
        let slots = EndpointSlots::new(1);
        slots.started("a");
        slots.started("b");
        slots.finished("b");
        assert_eq!(slots.saturated(), vec!["a".to_string()]);
    }
}
