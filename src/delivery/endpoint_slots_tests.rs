use super::*;

fn candidate(id: i64, sub: &str) -> Candidate {
    Candidate {
        id,
        subscription_id: sub.to_string(),
    }
}

#[test]
fn choose_keeps_each_subscription_within_its_room() {
    // Bound 1: one in flight plus three queued.
    let slots: EndpointSlots<i64> = EndpointSlots::new(1);
    let candidates: Vec<Candidate> = (1..=6).map(|i| candidate(i, "a")).collect();
    assert_eq!(slots.choose(&candidates, 10, true), vec![1, 2, 3, 4]);
    assert_eq!(slots.choose(&candidates, 2, true), vec![1, 2]);
}

#[test]
fn admitted_work_runs_up_to_the_bound_then_queues_in_order() {
    let slots: EndpointSlots<i64> = EndpointSlots::new(2);
    assert_eq!(slots.admit("a", 1, false), Admitted::Start(1));
    assert_eq!(slots.admit("a", 2, false), Admitted::Start(2));
    assert_eq!(slots.admit("a", 3, false), Admitted::Queued);
    assert_eq!(slots.admit("a", 4, false), Admitted::Queued);
    assert_eq!(slots.finished("a"), (Some(3), false));
    assert_eq!(slots.finished("a"), (Some(4), false));
    assert_eq!(slots.finished("a"), (None, false));
    assert_eq!(slots.finished("a"), (None, false));
    assert!(slots.full().is_empty());
}

#[test]
fn waiting_work_asks_for_a_lease_when_half_the_room_is_free() {
    // Bound 1, room 4: lease again when 2 are held.
    let slots: EndpointSlots<i64> = EndpointSlots::new(1);
    let candidates: Vec<Candidate> = (1..=6).map(|i| candidate(i, "a")).collect();
    let chosen = slots.choose(&candidates, 10, true);
    for id in chosen {
        slots.admit("a", id, false);
    }
    assert_eq!(slots.full(), vec!["a".to_string()]);
    assert_eq!(slots.finished("a"), (Some(2), false), "3 held");
    assert_eq!(slots.finished("a"), (Some(3), true), "2 held: lease again");
    assert_eq!(slots.finished("a"), (Some(4), false), "asked once");
}

#[test]
fn fresh_work_waits_behind_older_work() {
    let slots: EndpointSlots<i64> = EndpointSlots::new(1);
    for _ in 0..4 {
        assert!(slots.try_reserve("a"));
    }
    assert!(!slots.try_reserve("a"), "no room: left in the database");
    for id in 1..=4 {
        slots.admit("a", id, true);
    }
    assert_eq!(slots.finished("a"), (Some(2), false));
    assert!(!slots.try_reserve("a"), "room again, but older work waits");
    // A complete lease takes the waiting delivery: in order again.
    assert_eq!(slots.choose(&[candidate(9, "a")], 10, true), vec![9]);
    slots.admit("a", 9, false);
    assert!(!slots.try_reserve("a"), "no room: this one is left waiting");
    assert_eq!(slots.finished("a"), (Some(3), false));
    assert!(
        slots.choose(&[], 10, true).is_empty(),
        "a lease finds it gone"
    );
    assert!(slots.try_reserve("a"), "nothing waits any more");
}

#[test]
fn unreserve_and_take_queued_give_room_back() {
    let slots: EndpointSlots<i64> = EndpointSlots::new(1);
    assert!(slots.try_reserve("a"));
    slots.unreserve("a");
    assert_eq!(slots.admit("a", 1, false), Admitted::Start(1));
    assert_eq!(slots.admit("a", 2, false), Admitted::Queued);
    assert_eq!(slots.take_queued(), vec![2]);
    assert_eq!(slots.finished("a"), (None, false));
}
