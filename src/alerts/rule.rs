//! One subscription's alert rule, from `options.alert`:
//! `{"states": ["error", "warning"], "levels": ["service", "action"],
//! "interval": 120, "active": true}`.
//!
//! - `states` (required, non-empty): the watched states, `warning` and/or
//!   `error`, any case. `ok` cannot be watched: a return to ok is what
//!   "resolved" reports.
//! - `levels` (optional, default every level the queue declares): the
//!   levels of the elements the rule is about, any case.
//! - `interval` (optional, default 0): seconds a state must last before its
//!   "occurred" is sent, 0..=86400.
//! - `active` (optional, default true): false keeps the rule but notifies
//!   nobody and tracks nothing.
use serde_json::{Map, Value};

use super::layout::AlertLayout;
use super::state::AlertState;

pub const OPTION_KEY: &str = "alert";
pub const MAX_INTERVAL_SECS: i64 = 86_400;
const KEYS: [&str; 4] = ["states", "levels", "interval", "active"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRule {
    /// Watched states, ascending, without duplicates.
    pub states: Vec<AlertState>,
    /// Watched levels (lowercase); None: every level, and elements without one.
    pub levels: Option<Vec<String>>,
    pub interval_secs: i64,
    pub active: bool,
}

fn invalid(detail: impl std::fmt::Display) -> String {
    format!("Option alert: {detail}")
}

impl AlertRule {
    /// The rule in `options`, None when the subscription is not in alert mode.
    pub fn from_options(options: &Map<String, Value>) -> Result<Option<AlertRule>, String> {
        match options.get(OPTION_KEY) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => AlertRule::parse(map).map(Some),
            Some(_) => Err(invalid("must be an object.")),
        }
    }

    fn parse(map: &Map<String, Value>) -> Result<AlertRule, String> {
        if let Some(key) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(invalid(format_args!(
                "unknown key {key:?} (known: states, levels, interval, active)."
            )));
        }
        let states = match map.get("states") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|item| {
                    let text = item
                        .as_str()
                        .ok_or_else(|| invalid("states must be a list of strings."))?;
                    match AlertState::parse(text) {
                        Some(AlertState::Ok) => Err(invalid(
                            "the state ok cannot be watched (a return to ok is reported as resolved).",
                        )),
                        Some(state) => Ok(state),
                        None => Err(invalid(format_args!(
                            "unknown state {text:?} (known: warning, error)."
                        ))),
                    }
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => return Err(invalid("states is required.")),
            Some(_) => return Err(invalid("states must be a non-empty list of strings.")),
        };
        let mut states = states;
        states.sort();
        states.dedup();
        let levels = match map.get("levels") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) if !items.is_empty() => Some(
                items
                    .iter()
                    .map(|item| match item.as_str().map(str::trim) {
                        Some(level) if !level.is_empty() => Ok(level.to_ascii_lowercase()),
                        _ => Err(invalid("levels must be a list of non-empty strings.")),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(_) => return Err(invalid("levels must be a non-empty list of strings.")),
        };
        let interval_secs = match map.get("interval") {
            None | Some(Value::Null) => 0,
            Some(v) => match v.as_i64() {
                Some(n) if (0..=MAX_INTERVAL_SECS).contains(&n) => n,
                Some(_) => {
                    return Err(invalid(format_args!(
                        "interval must be between 0 and {MAX_INTERVAL_SECS} seconds."
                    )))
                }
                None => return Err(invalid("interval must be an integer number of seconds.")),
            },
        };
        let active = match map.get("active") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(invalid("active must be true or false.")),
        };
        Ok(AlertRule {
            states,
            levels,
            interval_secs,
            active,
        })
    }

    /// Every watched level must be one the queue declares.
    pub fn check_levels(&self, layout: &AlertLayout) -> Result<(), String> {
        for level in self.levels.iter().flatten() {
            if !layout.declares(level) {
                return Err(invalid(format_args!(
                    "unknown level {level:?} (the queue declares: {}).",
                    layout.levels().join(", ")
                )));
            }
        }
        Ok(())
    }

    pub fn watches(&self, state: AlertState) -> bool {
        self.states.contains(&state)
    }

    /// True when elements at `level` (None: the report names none) concern
    /// this rule.
    pub fn watches_level(&self, level: Option<&str>) -> bool {
        match (&self.levels, level) {
            (None, _) => true,
            (Some(levels), Some(level)) => levels.iter().any(|l| l.eq_ignore_ascii_case(level)),
            (Some(_), None) => false,
        }
    }

    /// What N becomes after a "resolved" brought the element to `state`:
    /// `state` itself when watched, else the highest watched state below
    /// it, else ok.
    pub fn settle_at(&self, state: AlertState) -> AlertState {
        self.states
            .iter()
            .copied()
            .filter(|s| *s <= state)
            .max()
            .unwrap_or(AlertState::Ok)
    }

    pub fn interval_ms(&self) -> i64 {
        self.interval_secs * 1000
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(alert: Value) -> Result<Option<AlertRule>, String> {
        let options = json!({ "alert": alert });
        AlertRule::from_options(options.as_object().unwrap())
    }

    #[test]
    fn accepted_rules() {
        let r = rule(json!({"states": ["Error", "warning", "ERROR"], "levels": ["Service"], "interval": 120}))
            .unwrap()
            .unwrap();
        assert_eq!(r.states, vec![AlertState::Warning, AlertState::Error]);
        assert_eq!(r.levels, Some(vec!["service".to_string()]));
        assert_eq!(r.interval_secs, 120);
        assert!(r.active);
        let r = rule(json!({"states": ["error"], "interval": 0, "active": false}))
            .unwrap()
            .unwrap();
        assert_eq!(r.levels, None);
        assert!(!r.active);
        assert_eq!(rule(Value::Null).unwrap(), None);
        assert_eq!(AlertRule::from_options(&Map::new()).unwrap(), None);
    }

    #[test]
    fn refused_rules() {
        for (alert, expect) in [
            (json!("error"), "must be an object"),
            (json!({}), "states is required"),
            (json!({"states": []}), "non-empty list"),
            (json!({"states": "error"}), "non-empty list"),
            (json!({"states": [1]}), "list of strings"),
            (
                json!({"states": ["critical"]}),
                "unknown state \"critical\"",
            ),
            (json!({"states": ["ok"]}), "ok cannot be watched"),
            (
                json!({"states": ["error"], "levels": "service"}),
                "levels must be",
            ),
            (
                json!({"states": ["error"], "levels": [""]}),
                "non-empty strings",
            ),
            (
                json!({"states": ["error"], "interval": -1}),
                "between 0 and 86400",
            ),
            (
                json!({"states": ["error"], "interval": 86401}),
                "between 0 and 86400",
            ),
            (json!({"states": ["error"], "interval": "120"}), "integer"),
            (json!({"states": ["error"], "interval": 1.5}), "integer"),
            (
                json!({"states": ["error"], "active": "yes"}),
                "true or false",
            ),
            (
                json!({"states": ["error"], "intervall": 5}),
                "unknown key \"intervall\"",
            ),
        ] {
            let err = rule(alert.clone()).unwrap_err();
            assert!(err.contains(expect), "{alert}: {err}");
            assert!(err.starts_with("Option alert: "), "{err}");
        }
    }

    #[test]
    fn unknown_levels_are_refused_against_the_queue() {
        let r = rule(json!({"states": ["error"], "levels": ["Service", "rack"]}))
            .unwrap()
            .unwrap();
        let err = r.check_levels(&AlertLayout::default()).unwrap_err();
        assert!(err.contains("unknown level \"rack\""), "{err}");
        assert!(
            err.contains("environment, service, action, component"),
            "{err}"
        );
    }

    #[test]
    fn settling_after_a_resolve() {
        let warning_and_error = rule(json!({"states": ["warning", "error"]}))
            .unwrap()
            .unwrap();
        let error_only = rule(json!({"states": ["error"]})).unwrap().unwrap();
        assert_eq!(
            warning_and_error.settle_at(AlertState::Warning),
            AlertState::Warning
        );
        assert_eq!(error_only.settle_at(AlertState::Warning), AlertState::Ok);
        assert_eq!(error_only.settle_at(AlertState::Ok), AlertState::Ok);
    }
}
