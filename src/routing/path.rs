//! Dotted paths into a message body (`involvedObject.kind`), shared by the
//! event-type template and the attribute filter.
//!
//! A path walks objects by key. When it meets a list it walks every element
//! (`items.type` over `{"items": [{"type": "a"}, {"type": "b"}]}` reaches
//! both), and a list at the end of the path stands for its elements: a
//! condition matches a list value when it matches any element.
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    segments: Vec<String>,
    text: String,
}

/// What a path reaches in one body.
#[derive(Debug, PartialEq)]
pub enum Resolved<'a> {
    /// The path is not in the body.
    Absent,
    /// Exactly one value (the common case: no list on the way).
    One(&'a Value),
    /// Several values, reached through lists.
    Many(Vec<&'a Value>),
}

impl FieldPath {
    /// Parses `a.b.c`; refuses empty paths and empty segments (`a..b`).
    pub fn parse(text: &str) -> Result<FieldPath, String> {
        if text.is_empty() {
            return Err("the path is empty".into());
        }
        let segments: Vec<String> = text.split('.').map(str::to_string).collect();
        if segments.iter().any(String::is_empty) {
            return Err(format!("the path {text:?} has an empty segment"));
        }
        Ok(FieldPath {
            segments,
            text: text.to_string(),
        })
    }

    pub fn depth(&self) -> usize {
        self.segments.len()
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The values this path reaches in `body`.
    pub fn resolve<'a>(&self, body: &'a Value) -> Resolved<'a> {
        // Fast path: objects all the way down, no allocation.
        let mut current = body;
        for (i, segment) in self.segments.iter().enumerate() {
            match current {
                Value::Object(map) => match map.get(segment) {
                    Some(next) => current = next,
                    None => return Resolved::Absent,
                },
                Value::Array(_) => return self.resolve_through_lists(current, i),
                _ => return Resolved::Absent,
            }
        }
        Resolved::One(current)
    }

    fn resolve_through_lists<'a>(&self, start: &'a Value, from: usize) -> Resolved<'a> {
        let mut found = Vec::new();
        collect(start, &self.segments[from..], &mut found);
        match found.len() {
            0 => Resolved::Absent,
            1 => Resolved::One(found[0]),
            _ => Resolved::Many(found),
        }
    }
}

fn collect<'a>(value: &'a Value, rest: &[String], out: &mut Vec<&'a Value>) {
    let Some((segment, tail)) = rest.split_first() else {
        out.push(value);
        return;
    };
    match value {
        Value::Object(map) => {
            if let Some(next) = map.get(segment) {
                collect(next, tail, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect(item, rest, out);
            }
        }
        _ => {}
    }
}

impl Resolved<'_> {
    pub fn is_present(&self) -> bool {
        !matches!(self, Resolved::Absent)
    }

    /// True when `pred` holds for a leaf: a reached value, or an element of
    /// a reached list (lists nested in lists included).
    pub fn any_leaf(&self, mut pred: impl FnMut(&Value) -> bool) -> bool {
        match self {
            Resolved::Absent => false,
            Resolved::One(v) => any_leaf(v, &mut pred),
            Resolved::Many(values) => values.iter().any(|v| any_leaf(v, &mut pred)),
        }
    }
}

fn any_leaf(value: &Value, pred: &mut impl FnMut(&Value) -> bool) -> bool {
    match value {
        Value::Array(items) => items.iter().any(|item| any_leaf(item, pred)),
        other => pred(other),
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(s: &str) -> FieldPath {
        FieldPath::parse(s).unwrap()
    }

    #[test]
    fn parse_refuses_empty_parts() {
        for bad in ["", ".", "a.", ".a", "a..b"] {
            assert!(FieldPath::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(path("a.b.c").depth(), 3);
        assert_eq!(path("involvedObject.kind").as_str(), "involvedObject.kind");
    }

    #[test]
    fn objects_resolve_to_one_value() {
        let body = json!({"involvedObject": {"kind": "Pod"}, "n": null});
        assert_eq!(
            path("involvedObject.kind").resolve(&body),
            Resolved::One(&json!("Pod"))
        );
        assert_eq!(path("n").resolve(&body), Resolved::One(&Value::Null));
        assert_eq!(path("missing").resolve(&body), Resolved::Absent);
        assert_eq!(
            path("involvedObject.kind.x").resolve(&body),
            Resolved::Absent
        );
        assert_eq!(path("a").resolve(&json!("text")), Resolved::Absent);
    }

    #[test]
    fn lists_on_the_way_are_walked() {
        let body = json!({"items": [{"type": "a"}, {"type": "b"}, {"other": 1}, 5]});
        let r = path("items.type").resolve(&body);
        assert_eq!(r, Resolved::Many(vec![&json!("a"), &json!("b")]));
        assert!(r.any_leaf(|v| v == "b"));
        assert!(!r.any_leaf(|v| v == "c"));
        let one = json!({"items": [{"type": "a"}]});
        assert_eq!(path("items.type").resolve(&one), Resolved::One(&json!("a")));
        assert_eq!(path("items.none").resolve(&body), Resolved::Absent);
    }

    #[test]
    fn a_list_at_the_end_matches_by_element() {
        let body = json!({"tags": ["x", ["y"]], "empty": []});
        let r = path("tags").resolve(&body);
        assert!(r.any_leaf(|v| v == "x"));
        assert!(r.any_leaf(|v| v == "y"));
        let empty = path("empty").resolve(&body);
        assert!(empty.is_present());
        assert!(!empty.any_leaf(|_| true));
    }
}
