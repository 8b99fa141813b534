//! A queue's template set as a value: its name and its three parts, parsed
//! once from a PUT body. Whether the parts compile is the template
//! engine's question (`templates::sandbox::check`), asked by the API
//! before anything is stored.
use serde_json::{Map, Value};

use super::locale::Locale;

/// The set that replaces the built-in notification email of its queue.
pub const DEFAULT_SET: &str = "default";
/// Longest source of one part, in bytes.
pub const MAX_PART_LEN: usize = 64 * 1024;
/// Most sets one queue may hold.
pub const MAX_SETS_PER_QUEUE: u64 = 100;

/// `[A-Za-z0-9_-]`, 1 to 64 characters, optionally followed by `.` and a
/// language tag: `default`, `weekly`, `default.fr`, `weekly.fr-ca` (the
/// tag kept in lower case, as lookups name it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TemplateName(String);

impl TemplateName {
    pub fn parse(raw: &str) -> Result<TemplateName, String> {
        let refuse = || {
            format!("{raw:?} is not a template name: use 1 to 64 letters, digits, '_' or '-', optionally followed by a language (\"default.fr\").")
        };
        let (base, tag) = match raw.split_once('.') {
            Some((base, tag)) => (base, Some(tag)),
            None => (raw, None),
        };
        let ok = !base.is_empty()
            && base.len() <= 64
            && base
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
        if !ok {
            return Err(refuse());
        }
        match tag {
            None => Ok(TemplateName(base.to_string())),
            Some(tag) => {
                let locale = Locale::parse(tag).map_err(|_| refuse())?;
                Ok(TemplateName(format!(
                    "{base}.{}",
                    locale.as_str().to_ascii_lowercase()
                )))
            }
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name without its language.
    pub fn base(&self) -> &str {
        self.0.split('.').next().unwrap_or(&self.0)
    }
}

/// The set names a notification tries, first found wins: the chosen set
/// in the subscription's languages, then without one, then the same for
/// the queue's `default`.
pub fn candidates(chosen: Option<&TemplateName>, chain: &[String]) -> Vec<String> {
    let mut bases = Vec::new();
    if let Some(chosen) = chosen {
        bases.push(chosen.base().to_string());
    }
    if !bases.iter().any(|b| b == DEFAULT_SET) {
        bases.push(DEFAULT_SET.to_string());
    }
    let mut out = Vec::new();
    // A choice that names its language (`weekly.fr`) is tried as it is first.
    if let Some(chosen) = chosen.filter(|c| c.as_str() != c.base()) {
        out.push(chosen.as_str().to_string());
    }
    for base in bases {
        for tag in chain {
            out.push(format!("{base}.{tag}"));
        }
        out.push(base);
    }
    out
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
        for bad in [
            "",
            "a.b!",
            "a b",
            "../x",
            "a.",
            ".fr",
            "a.fr.x",
            &"x".repeat(65),
        ] {
            assert!(TemplateName::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            TemplateName::parse("default.fr-CA").unwrap().as_str(),
            "default.fr-ca"
        );
        assert_eq!(TemplateName::parse("weekly.de").unwrap().base(), "weekly");
    }

    #[test]
    fn candidates_walk_languages_then_the_default() {
        let chain = vec!["fr-ca".to_string(), "fr".to_string()];
        let weekly = TemplateName::parse("weekly").unwrap();
        assert_eq!(
            candidates(Some(&weekly), &chain),
            [
                "weekly.fr-ca",
                "weekly.fr",
                "weekly",
                "default.fr-ca",
                "default.fr",
                "default"
            ]
        );
        assert_eq!(candidates(None, &[]), ["default"]);
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
