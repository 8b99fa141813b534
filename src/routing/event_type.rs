//! The event type of a posted message, derived once when it is posted.
//!
//! Default: the string at `body.event_type` (Pulp's event reports carry it
//! there). Queue metadata `_event_type` replaces that with a template of
//! literal text and `{dotted.path}` references into the body:
//! `"{involvedObject.kind}:{reason}"` gives OpenShift's `Kind:Reason` key,
//! `"{type}"` a CloudEvent's type. `{{` and `}}` stand for literal braces.
//!
//! A reference is filled by a non-empty string, a number or a boolean. A
//! missing, null, empty, object or list value (or one reached through a
//! list) leaves the template unfilled, and the message has no event type;
//! so does a result longer than 256 bytes.
use serde_json::Value;

use super::path::{FieldPath, Resolved};

/// The queue metadata key holding the template.
pub const METADATA_KEY: &str = "_event_type";
pub const MAX_TEMPLATE_LEN: usize = 256;
pub const MAX_EVENT_TYPE_LEN: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Field(FieldPath),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTypeTemplate {
    parts: Vec<Part>,
}

impl Default for EventTypeTemplate {
    /// `{event_type}`.
    fn default() -> Self {
        EventTypeTemplate {
            parts: vec![Part::Field(
                FieldPath::parse("event_type").expect("a valid path"),
            )],
        }
    }
}

impl EventTypeTemplate {
    pub fn parse(text: &str) -> Result<EventTypeTemplate, String> {
        let refuse =
            |why: String| format!("{METADATA_KEY} {text:?} is not a valid template: {why}.");
        if text.len() > MAX_TEMPLATE_LEN {
            return Err(format!(
                "{METADATA_KEY} may be at most {MAX_TEMPLATE_LEN} bytes long, not {}.",
                text.len()
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(refuse("it contains control characters".into()));
        }
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|(_, n)| *n) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().map(|(_, n)| *n) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => {
                    return Err(refuse(format!(
                        "unbalanced \"}}\" at byte {at} (write \"}}}}\" for a literal brace)"
                    )))
                }
                '{' => {
                    let mut path = String::new();
                    let mut closed = false;
                    for (inner_at, inner) in chars.by_ref() {
                        match inner {
                            '}' => {
                                closed = true;
                                break;
                            }
                            '{' => {
                                return Err(refuse(format!(
                                    "unbalanced \"{{\" at byte {at}: a reference cannot contain \"{{\" (byte {inner_at})"
                                )))
                            }
                            other => path.push(other),
                        }
                    }
                    if !closed {
                        return Err(refuse(format!(
                            "unbalanced \"{{\" at byte {at} (write \"{{{{\" for a literal brace)"
                        )));
                    }
                    let path = path.trim();
                    if path.is_empty() {
                        return Err(refuse(format!("empty reference at byte {at}")));
                    }
                    let field = FieldPath::parse(path).map_err(refuse)?;
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Field(field));
                }
                other => literal.push(other),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        if parts.is_empty() {
            return Err(refuse("it is empty".into()));
        }
        Ok(EventTypeTemplate { parts })
    }

    /// The template a queue's metadata asks for: its `_event_type` when
    /// set (validated when it was stored; an unreadable one counts as
    /// unset), else the default.
    pub fn for_queue(metadata: &serde_json::Map<String, Value>) -> EventTypeTemplate {
        match metadata.get(METADATA_KEY).and_then(Value::as_str) {
            Some(text) => EventTypeTemplate::parse(text).unwrap_or_default(),
            None => EventTypeTemplate::default(),
        }
    }

    /// The event type of `body`, or None when the template cannot be filled.
    pub fn derive(&self, body: &Value) -> Option<String> {
        // The default template on a body without the key: the common case.
        if let [Part::Field(field)] = self.parts.as_slice() {
            if let Resolved::One(Value::String(s)) = field.resolve(body) {
                return (!s.is_empty() && s.len() <= MAX_EVENT_TYPE_LEN).then(|| s.clone());
            }
        }
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Field(field) => match field.resolve(body) {
                    Resolved::One(Value::String(s)) if !s.is_empty() => out.push_str(s),
                    Resolved::One(Value::Number(n)) => out.push_str(&n.to_string()),
                    Resolved::One(Value::Bool(b)) => {
                        out.push_str(if *b { "true" } else { "false" })
                    }
                    _ => return None,
                },
            }
            if out.len() > MAX_EVENT_TYPE_LEN {
                return None;
            }
        }
        Some(out)
    }
}

/// Checks a `_event_type` metadata value (PUT and PATCH of a queue).
pub fn validate_metadata(value: &Value) -> Result<(), String> {
    match value {
        Value::Null => Ok(()),
        Value::String(text) => EventTypeTemplate::parse(text).map(|_| ()),
        _ => Err(format!(
            "{METADATA_KEY} must be a template string such as \"{{involvedObject.kind}}:{{reason}}\"."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn derive(template: &str, body: Value) -> Option<String> {
        EventTypeTemplate::parse(template).unwrap().derive(&body)
    }

    #[test]
    fn default_reads_body_event_type() {
        let t = EventTypeTemplate::default();
        assert_eq!(
            t.derive(&json!({"event_type": "repo.sync.start", "payload": {}})),
            Some("repo.sync.start".into())
        );
        assert_eq!(t.derive(&json!({"event_type": ""})), None);
        assert_eq!(t.derive(&json!({"event_type": 5})), Some("5".into()));
        assert_eq!(t.derive(&json!({"event_type": {"x": 1}})), None);
        assert_eq!(t.derive(&json!("just text")), None);
        assert_eq!(t.derive(&json!({"event_type": "x".repeat(257)})), None);
    }

    #[test]
    fn templates_fill_from_the_body() {
        let event = json!({
            "kind": "Event",
            "involvedObject": {"kind": "Pod", "name": "web-1"},
            "reason": "PodFailed",
            "count": 3,
            "ok": false,
            "list": ["a"],
        });
        let cases = [
            ("{involvedObject.kind}:{reason}", Some("Pod:PodFailed")),
            ("{ involvedObject.kind }:{reason}", Some("Pod:PodFailed")),
            ("k8s.{reason}", Some("k8s.PodFailed")),
            ("{reason}/{count}/{ok}", Some("PodFailed/3/false")),
            ("{{literal}}-{kind}", Some("{literal}-Event")),
            ("fixed", Some("fixed")),
            ("{involvedObject.missing}:{reason}", None),
            ("{involvedObject}", None),
            ("{list}", None),
        ];
        for (template, expect) in cases {
            assert_eq!(
                derive(template, event.clone()).as_deref(),
                expect,
                "{template}"
            );
        }
        assert_eq!(
            derive("{type}", json!({"type": "com.example.created"})).as_deref(),
            Some("com.example.created")
        );
        assert_eq!(derive("{a}", json!({"a": null})), None);
    }

    #[test]
    fn bad_templates_are_refused() {
        let cases = [
            ("{reason", "unbalanced \"{\""),
            ("reason}", "unbalanced \"}\""),
            ("{a{b}}", "cannot contain"),
            ("{}", "empty reference"),
            ("{  }", "empty reference"),
            ("{a..b}", "empty segment"),
            ("{.a}", "empty segment"),
            ("", "it is empty"),
            ("a\nb", "control characters"),
        ];
        for (template, expect) in cases {
            let err = EventTypeTemplate::parse(template).unwrap_err();
            assert!(err.contains(expect), "{template:?}: {err}");
            assert!(err.contains(METADATA_KEY), "{err}");
        }
        let long = "x".repeat(257);
        assert!(EventTypeTemplate::parse(&long)
            .unwrap_err()
            .contains("at most 256"));
        assert!(EventTypeTemplate::parse(&"x".repeat(256)).is_ok());
    }

    #[test]
    fn metadata_values() {
        assert!(validate_metadata(&json!("{type}")).is_ok());
        assert!(validate_metadata(&Value::Null).is_ok());
        assert!(validate_metadata(&json!(5))
            .unwrap_err()
            .contains("template string"));
        assert!(validate_metadata(&json!("{")).is_err());
        let mut meta = serde_json::Map::new();
        meta.insert(METADATA_KEY.into(), json!("{type}"));
        assert_eq!(
            EventTypeTemplate::for_queue(&meta).derive(&json!({"type": "t"})),
            Some("t".into())
        );
        assert_eq!(
            EventTypeTemplate::for_queue(&serde_json::Map::new()),
            EventTypeTemplate::default()
        );
    }
}
