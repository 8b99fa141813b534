//! A queue's template set as a value: its name and its three parts, parsed
//! once from a PUT body. Whether the parts compile is the template
//! engine's question (`templates::sandbox::check`), asked by the API
//! before anything is stored.
use serde_json::{Map, Value};

/// The set that replaces the built-in notification email of its queue.
pub const DEFAULT_SET: &str = "default";
/// Longest source of one part, in bytes.
pub const MAX_PART_LEN: usize = 64 * 1024;
/// Most sets one queue may hold.
pub const MAX_SETS_PER_QUEUE: u64 = 100;

/// `[A-Za-z0-9_-]`, 1 to 64 characters, as queue names (without dots).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TemplateName(String);

impl TemplateName {
    pub fn parse(raw: &str) -> Result<TemplateName, String> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
        if ok {
            Ok(TemplateName(raw.to_string()))
        } else {
            Err(format!(
                "{raw:?} is not a template name: use 1 to 64 letters, digits, '_' or '-'."
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The three parts, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSet {
    pub subject: String,
    pub text: String,
    /// None: the HTML part is derived from the text.
    pub html: Option<String>,
}

impl TemplateSet {
    /// `{"subject": "...", "text": "...", "html": "..."}`: subject and text
    /// required, html optional (null or absent), nothing else.
    pub fn parse(doc: &Map<String, Value>) -> Result<TemplateSet, String> {
        if let Some(key) = doc
            .keys()
            .find(|k| !["subject", "text", "html"].contains(&k.as_str()))
        {
            return Err(format!(
                "{key:?} is not a part of a template set (subject, text, html)."
            ));
        }
        let part = |key: &str, required: bool| -> Result<Option<String>, String> {
            match doc.get(key) {
                None | Some(Value::Null) if required => {
                    Err(format!("A template set needs a {key} (a string)."))
                }
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.len() > MAX_PART_LEN => Err(format!(
                    "The {key} template is {} bytes; at most {MAX_PART_LEN} are allowed.",
                    s.len()
                )),
                Some(Value::String(s)) if required && s.trim().is_empty() => {
                    Err(format!("The {key} template must not be empty."))
                }
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(format!("The {key} template must be a string.")),
            }
        };
        Ok(TemplateSet {
            subject: part("subject", true)?.unwrap_or_default(),
            text: part("text", true)?.unwrap_or_default(),
            html: part("html", false)?,
        })
    }
}

/// The set a subscription's `options.template` names, if it is a valid
/// name (checked when the subscription was made).
pub fn chosen(options: &Map<String, Value>) -> Option<TemplateName> {
    options
        .get("template")
        .and_then(Value::as_str)
        .and_then(|raw| TemplateName::parse(raw).ok())
}

/// `options.template`: a template name, or absent.
pub fn validate_option(value: &Value) -> Result<(), String> {
    match value {
        Value::String(raw) => TemplateName::parse(raw)
            .map(|_| ())
            .map_err(|e| format!("Option template: {e}")),
        _ => Err("Option template must be the name of one of the queue's template sets.".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<TemplateSet, String> {
        TemplateSet::parse(v.as_object().unwrap())
    }

    #[test]
    fn names() {
        for good in ["default", "weekly-report", "a_1", &"x".repeat(64)] {
            assert!(TemplateName::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "a.b", "a b", "../x", &"x".repeat(65)] {
            assert!(TemplateName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sets() {
        let set = parse(json!({"subject": "s", "text": "t"})).unwrap();
        assert_eq!(set.html, None);
        let set = parse(json!({"subject": "s", "text": "t", "html": "<p>h</p>"})).unwrap();
        assert_eq!(set.html.as_deref(), Some("<p>h</p>"));
        for (bad, says) in [
            (json!({"text": "t"}), "needs a subject"),
            (json!({"subject": "s"}), "needs a text"),
            (json!({"subject": " ", "text": "t"}), "must not be empty"),
            (json!({"subject": "s", "text": 1}), "must be a string"),
            (
                json!({"subject": "s", "text": "t", "body": "b"}),
                "\"body\"",
            ),
            (
                json!({"subject": "s", "text": "x".repeat(MAX_PART_LEN + 1)}),
                "at most",
            ),
        ] {
            let err = parse(bad.clone()).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
