//! The alert state machine, per alert subscription and per element, as
//! pure functions over the stored state, a report and the time.
//!
//! N (`notified`) is the state last notified as occurred (ok at first), S
//! the element's newly reported state, W the rule's watched states:
//! - S in W and S > N: once S has lasted the interval unchanged, "S
//!   occurred" and N = S. A different state reported before then cancels
//!   the pending one and is judged afresh; the same state reported again
//!   changes nothing (the interval is not restarted).
//! - S < N: "N resolved" at once, then N = `rule.settle_at(S)`.
//! - Otherwise nothing.
//!
//! When an "occurred" comes due (`on_due`) it is sent only if it is still
//! current and no ancestor at a watched level is in a state >= S: a branch
//! that fails whole is reported at its highest element only.
use super::rule::AlertRule;
use super::state::AlertState;

/// What is stored per (subscription, element).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementState {
    /// N: the state last notified as occurred.
    pub notified: AlertState,
    /// The state last reported.
    pub last: AlertState,
    /// When `last` began (epoch ms).
    pub since: i64,
    pub pending: Option<Pending>,
}

/// An "occurred" waiting for its state to last the interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    pub state: AlertState,
    pub due_at: i64,
}

/// A notification the judgement asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// "state occurred", to be sent at `due_at` if still current then.
    Schedule { state: AlertState, due_at: i64 },
    /// "state resolved", now.
    Resolved { state: AlertState },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    pub next: ElementState,
    /// The pending "occurred" there was is no longer current.
    pub cancelled: bool,
    pub effect: Option<Effect>,
}

/// The element reported `reported` at `at`; `stored` is None for an
/// element never reported before.
pub fn judge(
    rule: &AlertRule,
    stored: Option<&ElementState>,
    reported: AlertState,
    at: i64,
) -> Judgement {
    if let Some(stored) = stored.filter(|s| s.last == reported) {
        // Monitors re-report periodically: nothing changes, the interval
        // keeps running from when the state began.
        return Judgement {
            next: stored.clone(),
            cancelled: false,
            effect: None,
        };
    }
    let notified = stored.map_or(AlertState::Ok, |s| s.notified);
    let cancelled = stored.is_some_and(|s| s.pending.is_some());
    let mut next = ElementState {
        notified,
        last: reported,
        since: at,
        pending: None,
    };
    let effect = if rule.watches(reported) && reported > notified {
        let due_at = at + rule.interval_ms();
        next.pending = Some(Pending {
            state: reported,
            due_at,
        });
        Some(Effect::Schedule {
            state: reported,
            due_at,
        })
    } else if reported < notified {
        next.notified = rule.settle_at(reported);
        Some(Effect::Resolved { state: notified })
    } else {
        None
    };
    Judgement {
        next,
        cancelled,
        effect,
    }
}

/// An ancestor of an element (its parent, its parent's parent, ...) as
/// last reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ancestor {
    pub element: String,
    pub level: Option<String>,
    pub state: AlertState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DueVerdict {
    /// Send it; the element's state becomes `next` (N = S, nothing pending).
    Send { next: ElementState },
    /// A different state was reported since: nothing to send.
    Cancelled,
    /// An ancestor at a watched level is already in a state >= S: only it
    /// is told. N stays as it was (so no "resolved" follows either).
    Suppressed { by: String, next: ElementState },
}

/// A pending "occurred" of `state` has come due. `current` says it is
/// still the element's pending occurrence (the caller matches its own
/// record of which one that is).
pub fn on_due(
    rule: &AlertRule,
    stored: &ElementState,
    state: AlertState,
    current: bool,
    ancestors: &[Ancestor],
) -> DueVerdict {
    let pending = stored.pending.filter(|p| p.state == state);
    if !current || pending.is_none() || stored.last != state {
        return DueVerdict::Cancelled;
    }
    let mut next = stored.clone();
    next.pending = None;
    let blocker = ancestors
        .iter()
        .find(|a| rule.watches_level(a.level.as_deref()) && a.state >= state);
    match blocker {
        Some(ancestor) => DueVerdict::Suppressed {
            by: ancestor.element.clone(),
            next,
        },
        None => {
            next.notified = state;
            DueVerdict::Send { next }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(states: &[&str], interval: i64) -> AlertRule {
        let options = json!({"alert": {"states": states, "interval": interval}});
        AlertRule::from_options(options.as_object().unwrap())
            .unwrap()
            .unwrap()
    }

    #[test]
    fn a_repeated_state_does_not_restart_the_interval() {
        let r = rule(&["error"], 60);
        let first = judge(&r, None, AlertState::Error, 1_000);
        assert_eq!(
            first.effect,
            Some(Effect::Schedule {
                state: AlertState::Error,
                due_at: 61_000
            })
        );
        let again = judge(&r, Some(&first.next), AlertState::Error, 30_000);
        assert_eq!(again.effect, None);
        assert!(!again.cancelled);
        assert_eq!(again.next, first.next);
    }

    #[test]
    fn a_different_state_cancels_the_pending_one() {
        let r = rule(&["error", "warning"], 60);
        let error = judge(&r, None, AlertState::Error, 0);
        let ok = judge(&r, Some(&error.next), AlertState::Ok, 10_000);
        assert!(ok.cancelled);
        assert_eq!(ok.effect, None);
        assert_eq!(ok.next.pending, None);
        let due = on_due(&r, &ok.next, AlertState::Error, true, &[]);
        assert_eq!(due, DueVerdict::Cancelled);
    }

    #[test]
    fn due_and_current_is_sent_and_sets_n() {
        let r = rule(&["error"], 60);
        let error = judge(&r, None, AlertState::Error, 0);
        let DueVerdict::Send { next } = on_due(&r, &error.next, AlertState::Error, true, &[])
        else {
            panic!("not sent");
        };
        assert_eq!(next.notified, AlertState::Error);
        assert_eq!(next.pending, None);
        // A stale delivery (not the current pending one) is never sent.
        assert_eq!(
            on_due(&r, &error.next, AlertState::Error, false, &[]),
            DueVerdict::Cancelled
        );
        let ok = judge(&r, Some(&next), AlertState::Ok, 90_000);
        assert_eq!(
            ok.effect,
            Some(Effect::Resolved {
                state: AlertState::Error
            })
        );
        assert_eq!(ok.next.notified, AlertState::Ok);
    }

    #[test]
    fn an_ancestor_in_a_state_at_least_as_bad_suppresses() {
        let r = rule(&["error", "warning"], 0);
        let component = judge(&r, None, AlertState::Error, 0).next;
        let action = |state| Ancestor {
            element: "shop/api/pay".into(),
            level: Some("action".into()),
            state,
        };
        let verdict = on_due(
            &r,
            &component,
            AlertState::Error,
            true,
            &[action(AlertState::Error)],
        );
        let DueVerdict::Suppressed { by, next } = verdict else {
            panic!("not suppressed: {verdict:?}");
        };
        assert_eq!(by, "shop/api/pay");
        assert_eq!(next.notified, AlertState::Ok);
        // No "resolved" follows a suppressed "occurred".
        assert_eq!(judge(&r, Some(&next), AlertState::Ok, 5).effect, None);
        // An ancestor in a milder state does not suppress.
        let verdict = on_due(
            &r,
            &component,
            AlertState::Error,
            true,
            &[action(AlertState::Warning)],
        );
        assert!(matches!(verdict, DueVerdict::Send { .. }), "{verdict:?}");
    }

    #[test]
    fn ancestors_at_unwatched_levels_do_not_suppress() {
        let options = json!({"alert": {"states": ["error"], "levels": ["component"]}});
        let r = AlertRule::from_options(options.as_object().unwrap())
            .unwrap()
            .unwrap();
        let component = judge(&r, None, AlertState::Error, 0).next;
        let action = Ancestor {
            element: "shop/api/pay".into(),
            level: Some("action".into()),
            state: AlertState::Error,
        };
        let verdict = on_due(&r, &component, AlertState::Error, true, &[action]);
        assert!(matches!(verdict, DueVerdict::Send { .. }), "{verdict:?}");
    }
}
