//! The filter grammar, compiled once when a subscription is created or
//! changed. Every refusal names the key it is about; an unknown operator is
//! refused, never ignored (ignoring it would deliver what the subscriber
//! meant to filter out).
//!
//! ```text
//! filter     := { key: conditions | filter, ... }      1..=10 keys in all
//! key        := dotted body path                        depth <= 5 segments
//! conditions := [ condition, ... ]                      1.., <= 100 in all
//! condition  := string | number | true | false | null   exact match
//!             | {"prefix": string} | {"suffix": string}
//!             | {"equals-ignore-case": string}
//!             | {"anything-but": scalar | [scalar, ...]
//!                                | {"prefix": string} | {"suffix": string}}
//!             | {"numeric": [op, number]}               op: = < <= > >=
//!             | {"numeric": [">" | ">=", number, "<" | "<=", number]}
//!             | {"exists": true | false}
//! ```
//! and the whole filter is at most 4 KiB as compact JSON.
use serde_json::{Map, Value};

use super::{Comparison, Condition, Filter, KeyFilter, Scalar};
use crate::routing::path::FieldPath;

pub const MAX_KEYS: usize = 10;
pub const MAX_CONDITIONS: usize = 100;
pub const MAX_DEPTH: usize = 5;
pub const MAX_FILTER_BYTES: usize = 4096;

const OPERATORS: &str = "prefix, suffix, equals-ignore-case, anything-but, numeric, exists";

pub fn compile(value: &Value) -> Result<Filter, String> {
    let map = value.as_object().ok_or(
        "Option filter must be an object mapping body paths to lists of conditions, e.g. {\"severity\": [\"error\"]}.",
    )?;
    let size = value.to_string().len();
    if size > MAX_FILTER_BYTES {
        return Err(format!(
            "Option filter is {size} bytes long; at most {MAX_FILTER_BYTES} are allowed."
        ));
    }
    if map.is_empty() {
        return Err(
            "Option filter must name at least one key (leave it out to receive every message)."
                .into(),
        );
    }
    let mut compiler = Compiler {
        keys: Vec::new(),
        conditions: 0,
    };
    compiler.object(&[], map)?;
    Ok(Filter {
        keys: compiler.keys,
    })
}

struct Compiler {
    keys: Vec<KeyFilter>,
    conditions: usize,
}

fn refuse(key: &str, why: impl std::fmt::Display) -> String {
    format!("Option filter: key {key:?}: {why}.")
}

impl Compiler {
    fn object(&mut self, prefix: &[&str], map: &Map<String, Value>) -> Result<(), String> {
        for (key, value) in map {
            let mut segments = prefix.to_vec();
            segments.extend(key.split('.'));
            let full = segments.join(".");
            let path = FieldPath::parse(&full).map_err(|why| refuse(&full, why))?;
            if path.depth() > MAX_DEPTH {
                return Err(refuse(
                    &full,
                    format!(
                        "the path is {} levels deep; at most {MAX_DEPTH} are allowed",
                        path.depth()
                    ),
                ));
            }
            match value {
                Value::Object(nested) if nested.is_empty() => {
                    return Err(refuse(&full, "a nested filter must name at least one key"))
                }
                Value::Object(nested) => self.object(&segments, nested)?,
                Value::Array(list) => self.key(path, list)?,
                other => {
                    return Err(refuse(
                        &full,
                        format!("conditions must be a list such as [\"value\"] or [{{\"prefix\": \"v\"}}], not {other}"),
                    ))
                }
            }
        }
        Ok(())
    }

    fn key(&mut self, path: FieldPath, list: &[Value]) -> Result<(), String> {
        let name = path.as_str().to_string();
        if self.keys.len() == MAX_KEYS {
            return Err(refuse(
                &name,
                format!("a filter may have at most {MAX_KEYS} keys"),
            ));
        }
        if list.is_empty() {
            return Err(refuse(&name, "the list of conditions is empty"));
        }
        self.conditions += list.len();
        if self.conditions > MAX_CONDITIONS {
            return Err(refuse(
                &name,
                format!("a filter may have at most {MAX_CONDITIONS} conditions in all"),
            ));
        }
        let conditions = list
            .iter()
            .map(|c| condition(c).map_err(|why| refuse(&name, why)))
            .collect::<Result<_, _>>()?;
        self.keys.push(KeyFilter { path, conditions });
        Ok(())
    }
}

fn scalar(value: &Value) -> Option<Scalar> {
    match value {
        Value::String(s) => Some(Scalar::String(s.clone())),
        Value::Number(n) => n.as_f64().map(Scalar::Number),
        Value::Bool(b) => Some(Scalar::Bool(*b)),
        Value::Null => Some(Scalar::Null),
        _ => None,
    }
}

fn condition(value: &Value) -> Result<Condition, String> {
    if let Some(exact) = scalar(value) {
        return Ok(Condition::Exact(exact));
    }
    let object = match value {
        Value::Object(object) => object,
        _ => {
            return Err(format!(
                "a condition is a value or an {{operator: argument}} object, not a list ({value})"
            ))
        }
    };
    let mut entries = object.iter();
    let (op, arg) = match (entries.next(), entries.next()) {
        (Some(entry), None) => entry,
        _ => {
            return Err(format!(
                "a condition object holds exactly one operator, not {}",
                object.len()
            ))
        }
    };
    match op.as_str() {
        "prefix" => Ok(Condition::Prefix(text(op, arg)?)),
        "suffix" => Ok(Condition::Suffix(text(op, arg)?)),
        "equals-ignore-case" => Ok(Condition::EqualsIgnoreCase(text(op, arg)?.to_lowercase())),
        "anything-but" => anything_but(arg),
        "numeric" => numeric(arg),
        "exists" => match arg {
            Value::Bool(b) => Ok(Condition::Exists(*b)),
            _ => Err(format!("exists takes true or false, not {arg}")),
        },
        other => Err(format!("unknown operator {other:?} (known: {OPERATORS})")),
    }
}

fn text(op: &str, arg: &Value) -> Result<String, String> {
    match arg {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        _ => Err(format!("{op} takes a non-empty string, not {arg}")),
    }
}

fn anything_but(arg: &Value) -> Result<Condition, String> {
    match arg {
        Value::Array(list) if list.is_empty() => {
            Err("anything-but needs at least one value".into())
        }
        Value::Array(list) => list
            .iter()
            .map(|v| {
                scalar(v).ok_or_else(|| {
                    format!("anything-but takes strings, numbers, booleans or null, not {v}")
                })
            })
            .collect::<Result<_, _>>()
            .map(Condition::AnythingBut),
        Value::Object(inner) => {
            let mut entries = inner.iter();
            match (entries.next(), entries.next()) {
                (Some((op, v)), None) if op == "prefix" => {
                    Ok(Condition::AnythingButPrefix(text("anything-but prefix", v)?))
                }
                (Some((op, v)), None) if op == "suffix" => {
                    Ok(Condition::AnythingButSuffix(text("anything-but suffix", v)?))
                }
                _ => Err(format!(
                    "anything-but takes a value, a list of values, {{\"prefix\": ...}} or {{\"suffix\": ...}}, not {arg}"
                )),
            }
        }
        other => scalar(other)
            .map(|s| Condition::AnythingBut(vec![s]))
            .ok_or_else(|| format!("anything-but cannot take {other}")),
    }
}

fn comparison(op: &Value) -> Option<Comparison> {
    Some(match op.as_str()? {
        "=" => Comparison::Eq,
        "<" => Comparison::Lt,
        "<=" => Comparison::Le,
        ">" => Comparison::Gt,
        ">=" => Comparison::Ge,
        _ => return None,
    })
}

fn numeric(arg: &Value) -> Result<Condition, String> {
    const SHAPE: &str =
        "numeric takes [op, number] or a range [\">\" or \">=\", low, \"<\" or \"<=\", high], op one of = < <= > >=";
    let list = match arg {
        Value::Array(list) if list.len() == 2 || list.len() == 4 => list,
        _ => return Err(format!("{SHAPE}, not {arg}")),
    };
    let mut pairs = Vec::new();
    for pair in list.chunks(2) {
        let op = comparison(&pair[0])
            .ok_or_else(|| format!("{SHAPE}; {} is not a comparison", pair[0]))?;
        let bound = pair[1]
            .as_f64()
            .ok_or_else(|| format!("{SHAPE}; {} is not a number", pair[1]))?;
        pairs.push((op, bound));
    }
    if let [(low_op, low), (high_op, high)] = pairs.as_slice() {
        if !matches!(low_op, Comparison::Gt | Comparison::Ge)
            || !matches!(high_op, Comparison::Lt | Comparison::Le)
        {
            return Err(format!(
                "{SHAPE}; a range is a lower bound then an upper bound"
            ));
        }
        let inclusive = *low_op == Comparison::Ge && *high_op == Comparison::Le;
        if low > high || (low == high && !inclusive) {
            return Err(format!("the range {arg} matches no number"));
        }
    }
    Ok(Condition::Numeric(pairs))
}
