//! `options.filter`: an attribute filter over the message body, in the style
//! of an SNS filter policy.
//!
//! ```json
//! {"object.type": ["Document", "Post"],
//!  "severity": [{"anything-but": ["debug"]}],
//!  "size": [{"numeric": [">=", 100, "<", 1000]}],
//!  "repo_id": [{"prefix": "pulp"}],
//!  "user": [{"exists": true}]}
//! ```
//!
//! Keys are dotted body paths (a nested object in the filter adds segments:
//! `{"object": {"type": [...]}}` is `object.type`). A key matches when any
//! of its conditions does, and a condition matches a list value when it
//! matches any element; the filter matches when every key does. The grammar
//! and the limits are in `parse`; docs/routing.md is the user's version.
mod parse;

use serde_json::Value;

use super::path::{FieldPath, Resolved};
pub use parse::{MAX_CONDITIONS, MAX_DEPTH, MAX_FILTER_BYTES, MAX_KEYS};

/// A compiled filter: every key must match.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    keys: Vec<KeyFilter>,
}

#[derive(Debug, Clone, PartialEq)]
struct KeyFilter {
    path: FieldPath,
    /// Any one must match.
    conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    String(String),
    Number(f64),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Comparison {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
enum Condition {
    Exact(Scalar),
    Prefix(String),
    Suffix(String),
    EqualsIgnoreCase(String),
    AnythingBut(Vec<Scalar>),
    AnythingButPrefix(String),
    AnythingButSuffix(String),
    /// One comparison, or a lower and an upper bound.
    Numeric(Vec<(Comparison, f64)>),
    Exists(bool),
}

impl Filter {
    /// Compiles the option's JSON value; errors name the offending key.
    pub fn from_json(value: &Value) -> Result<Filter, String> {
        parse::compile(value)
    }

    pub fn matches(&self, body: &Value) -> bool {
        self.keys.iter().all(|key| key.matches(body))
    }
}

impl KeyFilter {
    fn matches(&self, body: &Value) -> bool {
        let found = self.path.resolve(body);
        self.conditions.iter().any(|c| c.matches(&found))
    }
}

impl Scalar {
    fn equals(&self, value: &Value) -> bool {
        match (self, value) {
            (Scalar::String(s), Value::String(v)) => s == v,
            (Scalar::Number(n), Value::Number(v)) => v.as_f64() == Some(*n),
            (Scalar::Bool(b), Value::Bool(v)) => b == v,
            (Scalar::Null, Value::Null) => true,
            _ => false,
        }
    }
}

impl Comparison {
    fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Comparison::Eq => value == bound,
            Comparison::Lt => value < bound,
            Comparison::Le => value <= bound,
            Comparison::Gt => value > bound,
            Comparison::Ge => value >= bound,
        }
    }
}

fn string_of(value: &Value) -> Option<&str> {
    value.as_str()
}

impl Condition {
    fn matches(&self, found: &Resolved<'_>) -> bool {
        match self {
            Condition::Exists(wanted) => found.is_present() == *wanted,
            Condition::Exact(scalar) => found.any_leaf(|v| scalar.equals(v)),
            Condition::Prefix(p) => {
                found.any_leaf(|v| string_of(v).is_some_and(|s| s.starts_with(p.as_str())))
            }
            Condition::Suffix(p) => {
                found.any_leaf(|v| string_of(v).is_some_and(|s| s.ends_with(p.as_str())))
            }
            // Compiled lower-cased.
            Condition::EqualsIgnoreCase(lower) => {
                found.any_leaf(|v| string_of(v).is_some_and(|s| s.to_lowercase() == *lower))
            }
            Condition::AnythingBut(values) => {
                found.any_leaf(|v| !values.iter().any(|scalar| scalar.equals(v)))
            }
            Condition::AnythingButPrefix(p) => {
                found.any_leaf(|v| string_of(v).is_some_and(|s| !s.starts_with(p.as_str())))
            }
            Condition::AnythingButSuffix(p) => {
                found.any_leaf(|v| string_of(v).is_some_and(|s| !s.ends_with(p.as_str())))
            }
            Condition::Numeric(comparisons) => found.any_leaf(|v| {
                v.as_f64()
                    .is_some_and(|n| comparisons.iter().all(|(op, bound)| op.holds(n, *bound)))
            }),
        }
    }
}

#[cfg(test)]
mod tests;
