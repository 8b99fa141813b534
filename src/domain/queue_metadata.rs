//! Validation of the reserved (`_`-prefixed) queue metadata keys, and the
//! defaults Zaqar fills in when metadata is read.
use serde_json::{json, Map, Value};

use super::limits::*;
use super::queue_name::QueueName;
use super::retry_policy;

/// tidings' own key: `true` opens the queue's self-subscribe page
/// (`/subscribe/{project}/{queue}`). Only a boolean (or null) is stored.
pub const PUBLIC_SUBSCRIBE: &str = "_public_subscribe";

/// Reserved keys and the defaults shown when they are absent or falsy.
pub fn reserved_defaults() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "_max_messages_post_size".into(),
        json!(MAX_MESSAGES_POST_SIZE),
    );
    m.insert("_default_message_ttl".into(), json!(DEFAULT_MESSAGE_TTL));
    m.insert("_default_message_delay".into(), json!(0));
    m.insert("_dead_letter_queue".into(), Value::Null);
    m.insert("_dead_letter_queue_messages_ttl".into(), Value::Null);
    m.insert("_max_claim_count".into(), Value::Null);
    m.insert("_enable_encrypt_messages".into(), json!(false));
    m
}

pub fn is_reserved(key: &str) -> bool {
    reserved_defaults().contains_key(key)
}

/// Python truthiness, which decides whether Zaqar shows a default instead.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().map(|f| f != 0.0).unwrap_or(true),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Metadata as Zaqar returns it: stored keys, with each absent or falsy
/// reserved key replaced by its default.
pub fn with_defaults(stored: &Map<String, Value>) -> Map<String, Value> {
    let mut out = stored.clone();
    for (key, default) in reserved_defaults() {
        if !out.get(&key).map(truthy).unwrap_or(false) {
            out.insert(key, default);
        }
    }
    out
}

fn as_int(v: &Value) -> Option<i64> {
    v.as_i64()
}

fn check_int_range(
    meta: &Map<String, Value>,
    key: &str,
    lo: i64,
    hi: i64,
    msg: &str,
) -> Result<(), String> {
    match meta.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(v) => match as_int(v) {
            None => Err(format!("{key} must be integer.")),
            Some(n) if n < lo || n > hi => Err(msg.to_string()),
            Some(_) => Ok(()),
        },
    }
}

/// A queue's claim-count dead-letter policy (`_max_claim_count` with
/// `_dead_letter_queue`). As in Zaqar, one key without the other does
/// nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterPolicy {
    /// A message claimed this many times is moved by the next claim.
    pub max_claim_count: i64,
    pub queue: QueueName,
    /// `_dead_letter_queue_messages_ttl`: the moved message's new TTL.
    pub messages_ttl: Option<i64>,
}

impl DeadLetterPolicy {
    pub fn from_metadata(meta: &Map<String, Value>) -> Option<DeadLetterPolicy> {
        let max_claim_count = meta.get("_max_claim_count")?.as_i64()?;
        let queue = QueueName::parse(meta.get("_dead_letter_queue")?.as_str()?)?;
        let messages_ttl = meta
            .get("_dead_letter_queue_messages_ttl")
            .and_then(Value::as_i64);
        Some(DeadLetterPolicy {
            max_claim_count,
            queue,
            messages_ttl,
        })
    }
}

/// The checks of `validate` that need the queue's own name: a dead-letter
/// queue must be a valid queue name and another queue (a queue that
/// dead-letters into itself would hand the same message out forever).
pub fn validate_for_queue(queue: &QueueName, meta: &Map<String, Value>) -> Result<(), String> {
    validate(meta)?;
    if let Some(Value::String(dlq)) = meta.get("_dead_letter_queue") {
        if QueueName::parse(dlq).is_none() {
            return Err(
                "_dead_letter_queue: the format of the submitted queue name is not valid.".into(),
            );
        }
        if dlq == queue.as_str() {
            return Err(format!(
                "_dead_letter_queue can not be the queue itself ({queue})."
            ));
        }
    }
    Ok(())
}

/// The reserved-key checks Zaqar runs on PUT and PATCH of queue metadata.
pub fn validate(meta: &Map<String, Value>) -> Result<(), String> {
    check_int_range(
        meta,
        "_default_message_ttl",
        MIN_MESSAGE_TTL,
        MAX_MESSAGE_TTL,
        &format!("_default_message_ttl can not exceed {MAX_MESSAGE_TTL} seconds, and must be at least {MIN_MESSAGE_TTL} seconds long."),
    )?;
    check_int_range(
        meta,
        "_max_messages_post_size",
        1,
        MAX_MESSAGES_POST_SIZE,
        &format!("_max_messages_post_size can not exceed {MAX_MESSAGES_POST_SIZE},  and must be at least greater than 0."),
    )?;
    check_int_range(
        meta,
        "_default_message_delay",
        0,
        MAX_MESSAGE_DELAY,
        &format!("The TTL can not exceed {MAX_MESSAGE_DELAY} seconds, and must be at least 0 seconds long."),
    )?;
    check_int_range(
        meta,
        "_max_claim_count",
        0,
        i64::MAX,
        "_max_claim_count must be at least 0.",
    )?;
    check_int_range(
        meta,
        "_dead_letter_queue_messages_ttl",
        MIN_MESSAGE_TTL,
        MAX_MESSAGE_TTL,
        &format!("The TTL for a message may not exceed {MAX_MESSAGE_TTL} seconds, and must be at least {MIN_MESSAGE_TTL} seconds long."),
    )?;
    if let Some(v) = meta.get("_enable_encrypt_messages") {
        if !v.is_null() && !v.is_boolean() {
            return Err("_enable_encrypt_messages must be boolean.".into());
        }
    }
    if let Some(v) = meta.get(PUBLIC_SUBSCRIBE) {
        if !v.is_null() && !v.is_boolean() {
            return Err(format!("{PUBLIC_SUBSCRIBE} must be boolean."));
        }
    }
    if let Some(v) = meta.get("_dead_letter_queue") {
        if !v.is_null() && !v.is_string() {
            return Err("_dead_letter_queue must be a queue name.".into());
        }
    }
    if let Some(policy) = meta.get("_retry_policy") {
        retry_policy::validate(policy)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_replace_absent_and_falsy_reserved_keys() {
        let stored = json!({"a": 1, "_default_message_ttl": 0, "_max_messages_post_size": 1000});
        let shown = with_defaults(stored.as_object().unwrap());
        assert_eq!(shown["_default_message_ttl"], 3600);
        assert_eq!(shown["_max_messages_post_size"], 1000);
        assert_eq!(shown["_dead_letter_queue"], Value::Null);
        assert_eq!(shown["a"], 1);
    }

    #[test]
    fn reserved_keys_are_checked() {
        let bad = [
            json!({"_default_message_ttl": 59}),
            json!({"_default_message_ttl": "x"}),
            json!({"_max_messages_post_size": 0}),
            json!({"_max_messages_post_size": 262145}),
            json!({"_default_message_delay": 901}),
            json!({"_enable_encrypt_messages": "yes"}),
            json!({"_public_subscribe": "true"}),
            json!({"_public_subscribe": 1}),
            json!({"_retry_policy": {"minimum_delay": 30, "maximum_delay": 5}}),
        ];
        for meta in bad {
            assert!(validate(meta.as_object().unwrap()).is_err(), "{meta}");
        }
        let good = json!({"_default_message_ttl": 60, "_default_message_delay": 0, "x": [1], "_public_subscribe": true});
        assert!(validate(good.as_object().unwrap()).is_ok());
    }
}
