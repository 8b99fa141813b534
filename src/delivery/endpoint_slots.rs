//! Per-subscription concurrency: how many attempts each subscription has in
//! flight, so that one endpoint never sees more than its bound, and which
//! subscriptions have more due work than their bound let through, so the
//! worker leases again as soon as half of their slots are free instead of
//! waiting for slots across the whole worker.
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::store::delivery_leases::Candidate;

#[derive(Debug, Default)]
struct Slot {
    in_flight: usize,
    /// Due work was left behind because of the bound.
    backlogged: bool,
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

    /// Subscriptions at their bound, to leave out of the next lease. They
    /// may well have due work waiting, so they count as backlogged.
    pub fn saturated(&self) -> Vec<String> {
        let mut slots = self.lock();
        slots
            .iter_mut()
            .filter(|(_, s)| s.in_flight >= self.per_subscription)
            .map(|(id, s)| {
                s.backlogged = true;
                id.clone()
            })
            .collect()
    }

    /// Picks at most `limit` candidates, oldest first, keeping every
    /// subscription within its bound. Does not reserve anything: call
    /// `started` for what was actually leased.
    pub fn choose(&self, candidates: &[Candidate], limit: usize) -> Vec<i64> {
        let mut slots = self.lock();
        let mut taken: HashMap<&str, usize> = HashMap::new();
        let mut chosen = Vec::new();
        for c in candidates {
            if chosen.len() >= limit {
                break;
            }
            let busy = slots.get(&c.subscription_id).map_or(0, |s| s.in_flight);
            let n = taken.entry(c.subscription_id.as_str()).or_insert(0);
            if busy + *n < self.per_subscription {
                *n += 1;
                chosen.push(c.id);
            } else {
                slots
                    .entry(c.subscription_id.clone())
                    .or_default()
                    .backlogged = true;
            }
        }
        chosen
    }

    /// An attempt to this subscription is under way.
    pub fn started(&self, subscription_id: &str) {
        self.lock()
            .entry(subscription_id.to_string())
            .or_default()
            .in_flight += 1;
    }

    /// The endpoint answered. True when the subscription was backlogged
    /// and now has half its slots free: worth a lease.
    pub fn finished(&self, subscription_id: &str) -> bool {
        let mut slots = self.lock();
        let Some(slot) = slots.get_mut(subscription_id) else {
            return false;
        };
        slot.in_flight = slot.in_flight.saturating_sub(1);
        let lease_again = slot.backlogged && slot.in_flight <= self.per_subscription / 2;
        if lease_again {
            slot.backlogged = false;
        }
        if slot.in_flight == 0 && !slot.backlogged {
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
        assert_eq!(slots.choose(&candidates, 10), vec![1, 3, 4]);
        assert_eq!(slots.choose(&candidates, 2), vec![1, 3]);
    }

    #[test]
    fn a_backlogged_subscription_asks_for_a_lease_at_half_its_slots() {
        let slots = EndpointSlots::new(4);
        let candidates: Vec<Candidate> = (1..=6).map(|i| candidate(i, "a")).collect();
        let chosen = slots.choose(&candidates, 10);
        assert_eq!(chosen.len(), 4);
        for _ in &chosen {
            slots.started("a");
        }
        assert!(!slots.finished("a"), "3 in flight: not yet");
        assert!(slots.finished("a"), "2 in flight: half free, lease again");
        assert!(!slots.finished("a"), "asked once, not again");
    }

    #[test]
    fn saturated_subscriptions_are_left_out_and_count_as_backlogged() {
        let slots = EndpointSlots::new(1);
        slots.started("a");
        slots.started("b");
        assert!(!slots.finished("b"));
        assert_eq!(slots.saturated(), vec!["a".to_string()]);
        assert!(slots.finished("a"));
    }
}
