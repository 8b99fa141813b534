//! `options.event_types`: which event types a subscription wants.
//!
//! Each entry is a pattern where `*` matches any run of characters (also an
//! empty one): `repo.sync.start`, `repo.sync.*`, `Pod:*`, `*`. An entry
//! starting with `!` excludes what it matches. A message passes when some
//! including pattern matches it (or there are only exclusions) and no
//! excluding one does. `*` also matches a message without an event type;
//! no other pattern does.
use serde_json::Value;

pub const MAX_PATTERNS: usize = 100;
pub const MAX_PATTERN_LEN: usize = 256;

/// One glob, compiled to the cheapest test that decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Glob {
    /// `*`
    Any,
    /// No `*` at all.
    Exact(String),
    /// `abc*`
    Prefix(String),
    /// `*abc`
    Suffix(String),
    /// Anything else: the literal parts between the stars, in order; the
    /// first is anchored at the start and the last at the end.
    Parts(Vec<String>),
}

impl Glob {
    pub fn compile(pattern: &str) -> Glob {
        if !pattern.contains('*') {
            return Glob::Exact(pattern.to_string());
        }
        let parts: Vec<&str> = pattern.split('*').collect();
        let inner_literals = parts[1..parts.len() - 1].iter().any(|p| !p.is_empty());
        let (first, last) = (parts[0], parts[parts.len() - 1]);
        match (first.is_empty(), last.is_empty(), inner_literals) {
            (true, true, false) => Glob::Any,
            (false, true, false) => Glob::Prefix(first.to_string()),
            (true, false, false) => Glob::Suffix(last.to_string()),
            _ => Glob::Parts(parts.iter().map(|p| p.to_string()).collect()),
        }
    }

    /// True when the glob has no `*`.
    pub fn literal(&self) -> Option<&str> {
        match self {
            Glob::Exact(s) => Some(s),
            _ => None,
        }
    }

    pub fn matches(&self, text: &str) -> bool {
        match self {
            Glob::Any => true,
            Glob::Exact(s) => text == s,
            Glob::Prefix(p) => text.starts_with(p.as_str()),
            Glob::Suffix(s) => text.ends_with(s.as_str()),
            Glob::Parts(parts) => parts_match(parts, text),
        }
    }

    /// A missing event type is matched by `*` alone.
    pub fn matches_event(&self, event_type: Option<&str>) -> bool {
        match event_type {
            Some(text) => self.matches(text),
            None => *self == Glob::Any,
        }
    }
}

fn parts_match(parts: &[String], text: &str) -> bool {
    let (first, rest) = match parts.split_first() {
        Some(split) => split,
        None => return text.is_empty(),
    };
    let Some(mut remaining) = text.strip_prefix(first.as_str()) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return remaining.is_empty();
    };
    // Leftmost match of each middle part leaves the most room for the rest.
    for part in middle {
        match remaining.find(part.as_str()) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last.as_str())
}

/// A compiled `options.event_types` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTypes {
    include: Vec<Glob>,
    exclude: Vec<Glob>,
}

impl EventTypes {
    /// Compiles the option's JSON value, with errors that say which entry
    /// is wrong.
    pub fn from_json(value: &Value) -> Result<EventTypes, String> {
        let entries = value
            .as_array()
            .ok_or("Option event_types must be a list of event type patterns.")?;
        if entries.is_empty() {
            return Err("Option event_types must not be empty (leave it out to receive every message, or use [\"*\"]).".into());
        }
        if entries.len() > MAX_PATTERNS {
            return Err(format!(
                "Option event_types may hold at most {MAX_PATTERNS} patterns, not {}.",
                entries.len()
            ));
        }
        let mut include = Vec::new();
        let mut exclude = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let text = entry.as_str().ok_or_else(|| {
                format!("Option event_types: entry {i} must be a string, not {entry}.")
            })?;
            let (negated, pattern) = match text.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, text),
            };
            check_pattern(pattern).map_err(|why| {
                format!("Option event_types: entry {i} ({text:?}) is not a valid pattern: {why}.")
            })?;
            let glob = Glob::compile(pattern);
            if negated {
                exclude.push(glob);
            } else {
                include.push(glob);
            }
        }
        Ok(EventTypes { include, exclude })
    }

    pub fn matches(&self, event_type: Option<&str>) -> bool {
        let included =
            self.include.is_empty() || self.include.iter().any(|g| g.matches_event(event_type));
        included && !self.exclude.iter().any(|g| g.matches_event(event_type))
    }

    /// The including patterns (the policy checks these at subscribe time).
    pub fn included(&self) -> &[Glob] {
        &self.include
    }
}

fn check_pattern(pattern: &str) -> Result<(), &'static str> {
    if pattern.is_empty() {
        return Err("it is empty");
    }
    if pattern.len() > MAX_PATTERN_LEN {
        return Err("it is longer than 256 bytes");
    }
    if pattern.starts_with('!') {
        return Err("only one leading \"!\" is allowed");
    }
    if pattern.chars().any(char::is_control) {
        return Err("it contains control characters");
    }
    Ok(())
}

impl std::fmt::Display for Glob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Glob::Any => f.write_str("*"),
            Glob::Exact(s) => f.write_str(s),
            Glob::Prefix(p) => write!(f, "{p}*"),
            Glob::Suffix(s) => write!(f, "*{s}"),
            Glob::Parts(parts) => f.write_str(&parts.join("*")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn types(v: Value) -> EventTypes {
        EventTypes::from_json(&v).unwrap()
    }

    #[test]
    fn globs_compile_to_the_cheapest_form() {
        assert_eq!(Glob::compile("*"), Glob::Any);
        assert_eq!(Glob::compile("**"), Glob::Any);
        assert_eq!(Glob::compile("a.b"), Glob::Exact("a.b".into()));
        assert_eq!(Glob::compile("repo.*"), Glob::Prefix("repo.".into()));
        assert_eq!(Glob::compile("*.start"), Glob::Suffix(".start".into()));
        assert!(matches!(Glob::compile("a*b"), Glob::Parts(_)));
        assert!(matches!(Glob::compile("*a*"), Glob::Parts(_)));
    }

    #[test]
    fn glob_matching() {
        let cases = [
            ("repo.sync.*", "repo.sync.start", true),
            ("repo.sync.*", "repo.sync.", true),
            ("repo.sync.*", "repo.publish.start", false),
            ("Pod:*", "Pod:PodFailed", true),
            ("*:Failed", "DeploymentConfig:Failed", true),
            ("*:Failed", "DeploymentConfig:FailedX", false),
            ("repo.*.start", "repo.sync.start", true),
            ("repo.*.start", "repo.start", false),
            ("a*a", "a", false),
            ("a*a", "aa", true),
            ("*sync*", "repo.sync.start", true),
            ("*sync*", "repo.publish", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "acb", false),
            ("a*b*c", "a-b-b-c", true),
            ("exact", "exact", true),
            ("exact", "exactly", false),
        ];
        for (pattern, text, expect) in cases {
            assert_eq!(
                Glob::compile(pattern).matches(text),
                expect,
                "{pattern} ~ {text}"
            );
        }
    }

    #[test]
    fn pulp_listeners() {
        let start = types(json!(["repo.sync.start"]));
        let sync = types(json!(["repo.sync.*"]));
        let all = types(json!(["*"]));
        let not_sync = types(json!(["*", "!repo.sync.*"]));
        let events = [
            "repo.sync.start",
            "repo.sync.finish",
            "repo.publish.start",
            "repo.publish.finish",
        ];
        let got =
            |t: &EventTypes| -> Vec<bool> { events.iter().map(|e| t.matches(Some(e))).collect() };
        assert_eq!(got(&start), [true, false, false, false]);
        assert_eq!(got(&sync), [true, true, false, false]);
        assert_eq!(got(&all), [true, true, true, true]);
        assert_eq!(got(&not_sync), [false, false, true, true]);
    }

    #[test]
    fn messages_without_an_event_type() {
        assert!(types(json!(["*"])).matches(None));
        assert!(!types(json!(["repo.*"])).matches(None));
        assert!(!types(json!(["*", "!*"])).matches(None));
        // Only exclusions: everything else, untyped messages included.
        let only_exclusions = types(json!(["!debug.*"]));
        assert!(only_exclusions.matches(None));
        assert!(only_exclusions.matches(Some("info.x")));
        assert!(!only_exclusions.matches(Some("debug.x")));
    }

    #[test]
    fn refusals_say_which_entry() {
        let long = "x".repeat(257);
        let too_many: Vec<String> = (0..101).map(|i| format!("t{i}")).collect();
        let cases = [
            (json!("repo.*"), "must be a list"),
            (json!({}), "must be a list"),
            (json!([]), "must not be empty"),
            (json!(["a", 5]), "entry 1 must be a string"),
            (json!([null]), "entry 0 must be a string"),
            (json!([""]), "it is empty"),
            (json!(["!"]), "it is empty"),
            (json!(["!!a"]), "one leading"),
            (json!([long]), "longer than 256"),
            (json!(["a\nb"]), "control characters"),
            (json!(too_many), "at most 100"),
        ];
        for (value, expect) in cases {
            let err = EventTypes::from_json(&value).unwrap_err();
            assert!(err.contains(expect), "{value}: {err}");
            assert!(err.contains("event_types"), "{err}");
        }
        let hundred: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
        assert!(EventTypes::from_json(&json!(hundred)).is_ok());
    }
}
