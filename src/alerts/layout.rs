//! Where a state report keeps its fields: the queue metadata `_alert`,
//! `{"element": "element", "state": "state", "level": "level", "parent":
//! "parent", "levels": ["environment", "service", "action", "component"]}`
//! (these are the defaults; each key may be given alone). The four fields
//! are dotted body paths; `levels` lists the queue's levels from the
//! highest to the lowest.
use serde_json::{Map, Value};

use super::state::AlertState;
use crate::routing::path::{FieldPath, Resolved};

pub const METADATA_KEY: &str = "_alert";
pub const DEFAULT_LEVELS: [&str; 4] = ["environment", "service", "action", "component"];
const PATH_KEYS: [&str; 4] = ["element", "state", "level", "parent"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertLayout {
    element: FieldPath,
    state: FieldPath,
    level: FieldPath,
    parent: FieldPath,
    /// Lowercase, highest first.
    levels: Vec<String>,
}

/// One state report: element `element` (at `level`, below `parent`) is now
/// in `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub element: String,
    pub state: AlertState,
    /// Lowercase.
    pub level: Option<String>,
    pub parent: Option<String>,
}

fn invalid(detail: impl std::fmt::Display) -> String {
    format!("Queue metadata {METADATA_KEY}: {detail}")
}

fn path(key: &str) -> FieldPath {
    // The defaults are plain keys, always valid paths.
    FieldPath::parse(key).unwrap_or_else(|_| unreachable!("default alert path {key}"))
}

impl Default for AlertLayout {
    fn default() -> Self {
        AlertLayout {
            element: path("element"),
            state: path("state"),
            level: path("level"),
            parent: path("parent"),
            levels: DEFAULT_LEVELS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl AlertLayout {
    /// The layout of a queue with this metadata (the defaults without `_alert`).
    pub fn from_metadata(metadata: &Map<String, Value>) -> Result<AlertLayout, String> {
        match metadata.get(METADATA_KEY) {
            None | Some(Value::Null) => Ok(AlertLayout::default()),
            Some(Value::Object(map)) => AlertLayout::parse(map),
            Some(_) => Err(invalid("must be an object.")),
        }
    }

    fn parse(map: &Map<String, Value>) -> Result<AlertLayout, String> {
        let mut layout = AlertLayout::default();
        for (key, value) in map {
            if key == "levels" {
                layout.levels = levels(value)?;
                continue;
            }
            if !PATH_KEYS.contains(&key.as_str()) {
                return Err(invalid(format_args!(
                    "unknown key {key:?} (known: element, state, level, parent, levels)."
                )));
            }
            let text = value
                .as_str()
                .ok_or_else(|| invalid(format_args!("{key} must be a dotted body path.")))?;
            let parsed =
                FieldPath::parse(text).map_err(|e| invalid(format_args!("{key}: {e}.")))?;
            match key.as_str() {
                "element" => layout.element = parsed,
                "state" => layout.state = parsed,
                "level" => layout.level = parsed,
                _ => layout.parent = parsed,
            }
        }
        Ok(layout)
    }

    /// The queue's levels, lowercase, highest first.
    pub fn levels(&self) -> &[String] {
        &self.levels
    }

    pub fn declares(&self, level: &str) -> bool {
        self.levels.iter().any(|l| l.eq_ignore_ascii_case(level))
    }

    /// The state report in a message body; None for an ordinary message
    /// (no element, or no state tidings knows).
    pub fn report(&self, body: &Value) -> Option<Report> {
        let element = text_at(&self.element, body)?;
        let state = AlertState::parse(&text_at(&self.state, body)?)?;
        Some(Report {
            element,
            state,
            level: text_at(&self.level, body).map(|l| l.to_ascii_lowercase()),
            parent: text_at(&self.parent, body),
        })
    }
}

fn levels(value: &Value) -> Result<Vec<String>, String> {
    let items = match value {
        Value::Array(items) if !items.is_empty() => items,
        _ => return Err(invalid("levels must be a non-empty list of strings.")),
    };
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let level = match item.as_str().map(str::trim) {
            Some(level) if !level.is_empty() => level.to_ascii_lowercase(),
            _ => return Err(invalid("levels must be a non-empty list of strings.")),
        };
        if out.contains(&level) {
            return Err(invalid(format_args!("level {level:?} is listed twice.")));
        }
        out.push(level);
    }
    Ok(out)
}

/// A non-empty string (or number) at `path`.
fn text_at(path: &FieldPath, body: &Value) -> Option<String> {
    match path.resolve(body) {
        Resolved::One(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Resolved::One(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn layout(alert: Value) -> Result<AlertLayout, String> {
        let metadata = json!({ METADATA_KEY: alert });
        AlertLayout::from_metadata(metadata.as_object().unwrap())
    }

    #[test]
    fn default_layout_reads_the_example_report() {
        let report = AlertLayout::default()
            .report(&json!({"element": "shop/api/pay/db", "level": "Component",
                            "parent": "shop/api/pay", "state": "ERROR"}))
            .unwrap();
        assert_eq!(
            report,
            Report {
                element: "shop/api/pay/db".into(),
                state: AlertState::Error,
                level: Some("component".into()),
                parent: Some("shop/api/pay".into()),
            }
        );
    }

    #[test]
    fn ordinary_messages_are_no_reports() {
        let l = AlertLayout::default();
        assert_eq!(l.report(&json!({"event": "x"})), None);
        assert_eq!(l.report(&json!({"element": "a"})), None);
        assert_eq!(l.report(&json!({"state": "error"})), None);
        assert_eq!(
            l.report(&json!({"element": "a", "state": "critical"})),
            None
        );
        assert_eq!(l.report(&json!("text")), None);
    }

    #[test]
    fn custom_paths_and_levels() {
        let l = layout(json!({"element": "check.name", "state": "check.status",
                              "levels": ["Region", "Host"]}))
        .unwrap();
        assert_eq!(l.levels(), ["region", "host"]);
        let report = l
            .report(&json!({"check": {"name": "db1", "status": "warning"}, "level": "host"}))
            .unwrap();
        assert_eq!(report.element, "db1");
        assert_eq!(report.state, AlertState::Warning);
        assert_eq!(report.level.as_deref(), Some("host"));
    }

    #[test]
    fn refused_layouts() {
        for (alert, expect) in [
            (json!([]), "must be an object"),
            (json!({"element": 3}), "dotted body path"),
            (json!({"state": "a..b"}), "empty segment"),
            (json!({"levels": []}), "non-empty list"),
            (json!({"levels": ["a", "A"]}), "listed twice"),
            (json!({"elements": "x"}), "unknown key"),
        ] {
            let err = layout(alert.clone()).unwrap_err();
            assert!(err.contains(expect), "{alert}: {err}");
        }
    }
}
