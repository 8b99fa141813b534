//! The json-patch document of `PATCH /v2/queues/{q}`, validated with the
//! checks and wording of Zaqar's `Validator.queue_patching`, then applied to
//! the stored metadata as Zaqar's `_do_add/_do_replace/_do_remove` do.
use serde_json::{Map, Value};

use crate::domain::queue_metadata;
use crate::error::ApiError;

pub const JSON_PATCH_TYPE: &str = "application/openstack-messaging-v2.0-json-patch";

const OPERATIONS: &str = "add, remove, replace";

#[derive(Debug, Clone, PartialEq)]
pub enum PatchOp {
    Add(String, Value),
    Replace(String, Value),
    Remove(String),
}

/// Zaqar prints the offending value with Python's `str()`; strings as they
/// are, anything else as JSON is close enough.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Zaqar's `_validate_json_pointer`.
fn check_pointer(pointer: &str) -> Result<(), String> {
    if !pointer.starts_with('/') {
        return Err(format!("Pointer `{pointer}` does not start with \"/\"."));
    }
    // Zaqar's `/\s*?/` on pointer[1:]: a segment between two slashes that
    // is empty or only whitespace.
    let parts: Vec<&str> = pointer[1..].split('/').collect();
    let adjacent = parts.len() > 2
        && parts[1..parts.len() - 1]
            .iter()
            .any(|p| p.trim().is_empty());
    if adjacent {
        return Err(format!("Pointer `{pointer}` contains adjacent \"/\"."));
    }
    if pointer.len() > 1 && pointer.ends_with('/') {
        return Err(format!("Pointer `{pointer}` end with \"/\"."));
    }
    let bad_escape = pointer
        .char_indices()
        .any(|(i, c)| c == '~' && !matches!(pointer[i + 1..].chars().next(), Some('0' | '1')));
    if bad_escape {
        return Err(format!(
            "Pointer `{pointer}` contains \"~\" not part of a recognized escape sequence."
        ));
    }
    Ok(())
}

/// The pointer's segments, unescaped and trimmed (Zaqar's
/// `_decode_json_pointer`).
fn segments(pointer: &str) -> Vec<String> {
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|part| {
            part.replace("~1", "/")
                .replace("~0", "~")
                .trim()
                .to_string()
        })
        .collect()
}

fn parse_op(change: &Map<String, Value>) -> Result<PatchOp, String> {
    let op = match change.get("op") {
        None | Some(Value::Null) => {
            return Err(format!(
                "Unable to find `op` in JSON Schema change. It must be one of the following: {OPERATIONS}."
            ))
        }
        Some(Value::String(op)) if matches!(op.as_str(), "add" | "remove" | "replace") => {
            op.clone()
        }
        Some(other) => {
            return Err(format!(
                "Invalid operation: `{}`. It must be one of the following: {OPERATIONS}.",
                shown(other)
            ))
        }
    };
    let pointer = match change.get("path") {
        None => return Err("Unable to find 'path' in JSON Schema change".into()),
        Some(Value::String(p)) => p.clone(),
        Some(other) => shown(other),
    };
    check_pointer(&pointer)?;
    let path = segments(&pointer);
    if path.len() != 2 {
        return Err(format!(
            "Invalid JSON pointer for this resource: '/{}, e.g /metadata/key'",
            path.join("/")
        ));
    }
    let value = if op == "remove" {
        None
    } else {
        Some(
            change
                .get("value")
                .cloned()
                .ok_or_else(|| format!("Operation \"{op}\" requires a member named \"value\"."))?,
        )
    };
    // Zaqar skips this check for `remove` and would remove `/anything/k`;
    // tidings holds every operation to the documented `/metadata/<key>`.
    if !path[0].eq_ignore_ascii_case("metadata") {
        return Err("The root of path must be metadata, e.g /metadata/key.".into());
    }
    let key = path[1].clone();
    if key.is_empty() {
        return Err(format!(
            "Invalid JSON pointer for this resource: '/{}, e.g /metadata/key'",
            path.join("/")
        ));
    }
    Ok(match (op.as_str(), value) {
        ("add", Some(v)) => PatchOp::Add(key, v),
        (_, Some(v)) => PatchOp::Replace(key, v),
        (_, None) => PatchOp::Remove(key),
    })
}

/// Validates the whole document before anything is applied.
pub fn parse(doc: Value) -> Result<Vec<PatchOp>, ApiError> {
    let Value::Array(items) = doc else {
        return Err(ApiError::bad_body(
            "Request body must be a JSON array of operation objects.",
        ));
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Object(change) => parse_op(&change).map_err(ApiError::bad_body),
            _ => Err(ApiError::bad_body("Operations must be JSON objects.")),
        })
        .collect()
}

pub fn apply(metadata: &mut Map<String, Value>, change: PatchOp) -> Result<(), ApiError> {
    match change {
        PatchOp::Add(key, value) => {
            metadata.insert(key, value);
        }
        PatchOp::Replace(key, value) => {
            if !metadata.contains_key(&key) && !queue_metadata::is_reserved(&key) {
                return Err(ApiError::conflict(format!(
                    "Can't replace non-existent object {key}."
                )));
            }
            metadata.insert(key, value);
        }
        PatchOp::Remove(key) => {
            if metadata.remove(&key).is_none() && !queue_metadata::is_reserved(&key) {
                return Err(ApiError::conflict(format!(
                    "Can't remove non-existent object {key}."
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refusal(doc: Value) -> String {
        match parse(doc) {
            Err(ApiError::Client { description, .. }) => description.unwrap_or_default(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn zaqar_wording_for_each_refusal() {
        let cases = [
            (json!({"op": "add"}), "must be a JSON array"),
            (json!([1]), "Operations must be JSON objects."),
            (json!([{"path": "/metadata/a"}]), "Unable to find `op`"),
            (
                json!([{"op": "move", "path": "/metadata/a"}]),
                "Invalid operation: `move`. It must be one of the following: add, remove, replace.",
            ),
            (
                json!([{"op": 1, "path": "/metadata/a"}]),
                "Invalid operation: `1`.",
            ),
            (
                json!([{"op": "add", "value": 1}]),
                "Unable to find 'path' in JSON Schema change",
            ),
            (
                json!([{"op": "add", "path": "metadata/a", "value": 1}]),
                "Pointer `metadata/a` does not start with \"/\".",
            ),
            (
                json!([{"op": "add", "path": "", "value": 1}]),
                "Pointer `` does not start",
            ),
            (
                json!([{"op": "add", "path": "/metadata//a", "value": 1}]),
                "contains adjacent \"/\".",
            ),
            (
                json!([{"op": "add", "path": "/metadata/", "value": 1}]),
                "Pointer `/metadata/` end with \"/\".",
            ),
            (
                json!([{"op": "add", "path": "/metadata/a~2", "value": 1}]),
                "not part of a recognized escape sequence.",
            ),
            (
                json!([{"op": "add", "path": "/metadata", "value": 1}]),
                "Invalid JSON pointer for this resource: '/metadata, e.g /metadata/key'",
            ),
            (
                json!([{"op": "add", "path": "/", "value": 1}]),
                "Invalid JSON pointer for this resource: '/, e.g /metadata/key'",
            ),
            (
                json!([{"op": "add", "path": "/metadata/a/b", "value": 1}]),
                "'/metadata/a/b, e.g /metadata/key'",
            ),
            (
                json!([{"op": "add", "path": "/metadata/a"}]),
                "Operation \"add\" requires a member named \"value\".",
            ),
            (
                json!([{"op": "add", "path": "/foo/a", "value": 1}]),
                "The root of path must be metadata, e.g /metadata/key.",
            ),
            (
                json!([{"op": "remove", "path": "/foo/a"}]),
                "The root of path must be metadata",
            ),
        ];
        for (doc, want) in cases {
            let got = refusal(doc.clone());
            assert!(got.contains(want), "{doc}: {got}");
        }
    }

    #[test]
    fn escapes_and_operations() {
        let ops = parse(json!([
            {"op": "add", "path": "/metadata/a~1b", "value": 1},
            {"op": "replace", "path": "/Metadata/c", "value": 2},
            {"op": "remove", "path": "/metadata/d~0"},
        ]))
        .unwrap();
        assert_eq!(
            ops,
            vec![
                PatchOp::Add("a/b".into(), json!(1)),
                PatchOp::Replace("c".into(), json!(2)),
                PatchOp::Remove("d~".into()),
            ]
        );
    }
}
