//! The Providence seed's "State Change" table, row by row, for its three
//! rule kinds: [1] warning + error, [2] warning only, [3] error only. Each
//! state is held longer than the interval. A cell lists every notification
//! of the row; the last step's are the table's entry.
use super::*;
use serde_json::json;

const INTERVAL_SECS: i64 = 120;

/// (row, [1], [2], [3]): the notifications of the whole row, and how many
/// of them the row's last change sends (the table's entry).
type Cell = (&'static [&'static str], usize);
const TABLE: [(&str, Cell, Cell, Cell); 7] = [
    (
        "OK -> WARNING",
        (&["WARNING occurred"], 1),
        (&["WARNING occurred"], 1),
        (&[], 0),
    ),
    (
        "OK -> ERROR",
        (&["ERROR occurred"], 1),
        (&[], 0),
        (&["ERROR occurred"], 1),
    ),
    (
        "WARNING -> ERROR",
        (&["WARNING occurred", "ERROR occurred"], 1),
        (&["WARNING occurred"], 0),
        (&["ERROR occurred"], 1),
    ),
    (
        "WARNING -> ERROR -> WARNING",
        (&["WARNING occurred", "ERROR occurred", "ERROR resolved"], 1),
        (&["WARNING occurred"], 0),
        (&["ERROR occurred", "ERROR resolved"], 1),
    ),
    (
        "OK -> ERROR -> WARNING",
        (&["ERROR occurred", "ERROR resolved"], 1),
        (&["WARNING occurred"], 1),
        (&["ERROR occurred", "ERROR resolved"], 1),
    ),
    (
        "ERROR -> OK",
        (&["ERROR occurred", "ERROR resolved"], 1),
        (&[], 0),
        (&["ERROR occurred", "ERROR resolved"], 1),
    ),
    (
        "WARNING -> OK",
        (&["WARNING occurred", "WARNING resolved"], 1),
        (&["WARNING occurred", "WARNING resolved"], 1),
        (&[], 0),
    ),
];

fn rule(states: &[&str]) -> AlertRule {
    let options = json!({"alert": {"states": states, "interval": INTERVAL_SECS}});
    AlertRule::from_options(options.as_object().unwrap())
        .unwrap()
        .unwrap()
}

/// Runs a row: each state reported, then held past the interval. Returns
/// the notifications of each step.
fn run(rule: &AlertRule, row: &str) -> Vec<Vec<String>> {
    let mut stored: Option<ElementState> = None;
    let mut now = 0;
    let mut steps = Vec::new();
    for state in row.split("->").map(|s| AlertState::parse(s).unwrap()) {
        let mut sent = Vec::new();
        let judgement = judge(rule, stored.as_ref(), state, now);
        let mut next = judgement.next;
        match judgement.effect {
            Some(Effect::Resolved { state }) => sent.push(format!("{} resolved", state.label())),
            Some(Effect::Schedule { state, due_at }) => {
                assert_eq!(due_at, now + INTERVAL_SECS * 1000);
                // A monitor re-reporting halfway changes nothing.
                let again = judge(rule, Some(&next), state, now + 60_000);
                assert_eq!(again.effect, None);
                assert_eq!(again.next, next);
                match on_due(rule, &next, state, true, &[]) {
                    DueVerdict::Send { next: after } => {
                        sent.push(format!("{} occurred", state.label()));
                        next = after;
                    }
                    other => panic!("{row}: {other:?}"),
                }
            }
            None => {}
        }
        stored = Some(next);
        now += (INTERVAL_SECS + 1) * 1000;
        steps.push(sent);
    }
    steps
}

#[test]
fn the_seed_state_change_table() {
    let kinds = [
        ("[1]", rule(&["Warning", "Error"])),
        ("[2]", rule(&["Warning"])),
        ("[3]", rule(&["Error"])),
    ];
    for (row, one, two, three) in TABLE {
        for ((name, rule), (all, last)) in kinds.iter().zip([one, two, three]) {
            let steps = run(rule, row);
            let every: Vec<String> = steps.iter().flatten().cloned().collect();
            assert_eq!(every, all, "{row} {name}: every notification");
            let final_step = steps.last().unwrap();
            assert_eq!(final_step.len(), last, "{row} {name}: the last change");
            assert_eq!(
                final_step[..],
                all[all.len() - last..],
                "{row} {name}: the table's entry"
            );
        }
    }
}

#[test]
fn flapping_faster_than_the_interval_sends_nothing() {
    let rule = rule(&["Error"]);
    let mut stored: Option<ElementState> = None;
    for (i, state) in ["error", "ok", "error", "ok", "error", "ok"]
        .into_iter()
        .enumerate()
    {
        let at = i as i64 * 30_000;
        let judgement = judge(
            &rule,
            stored.as_ref(),
            AlertState::parse(state).unwrap(),
            at,
        );
        assert!(
            !matches!(judgement.effect, Some(Effect::Resolved { .. })),
            "{state}"
        );
        stored = Some(judgement.next);
    }
    let stored = stored.unwrap();
    assert_eq!(stored.pending, None);
    assert_eq!(stored.notified, AlertState::Ok);
}
