//! Zaqar's `_retry_policy` (queue metadata or subscription option):
//! validation here; the delivery schedule it implies lives beside it.
use serde_json::Value;

pub const INT_KEYS: [&str; 5] = [
    "retries_with_no_delay",
    "minimum_delay_retries",
    "minimum_delay",
    "maximum_delay",
    "maximum_delay_retries",
];
pub const BACKOFF_FUNCTIONS: [&str; 4] = ["linear", "arithmetic", "exponential", "geometric"];
pub const DEFAULT_MINIMUM_DELAY: i64 = 5;
pub const DEFAULT_MAXIMUM_DELAY: i64 = 30;
pub const LINEAR_INTERVAL: i64 = 5;
/// Bounds Zaqar does not have: they keep one policy from scheduling millions
/// of attempts or a retry years away.
pub const MAX_RETRIES_PER_PHASE: i64 = 1000;
pub const MAX_DELAY_SECS: i64 = 7 * 86_400;

pub fn validate(policy: &Value) -> Result<(), String> {
    let map = match policy {
        Value::Null => return Ok(()),
        Value::Object(map) => map,
        _ => return Err("retry_policy must be a dict.".into()),
    };
    for key in INT_KEYS {
        match map.get(key) {
            None | Some(Value::Null) => {}
            Some(v) => {
                let n = v
                    .as_i64()
                    .ok_or_else(|| format!("Retry policy: {key} must be a integer."))?;
                let cap = if key.ends_with("retries") || key == "retries_with_no_delay" {
                    MAX_RETRIES_PER_PHASE
                } else {
                    MAX_DELAY_SECS
                };
                if n < 0 || n > cap {
                    return Err(format!("Retry policy: {key} must be between 0 and {cap}."));
                }
            }
        }
    }
    // Zaqar only checks a truthy name: "" and null mean the default.
    match map.get("retry_backoff_function") {
        None | Some(Value::Null) => {}
        Some(Value::String(f)) if f.is_empty() || BACKOFF_FUNCTIONS.contains(&f.as_str()) => {}
        Some(Value::String(_)) => return Err("invalid retry_backoff_function.".into()),
        Some(_) => return Err("retry_backoff_function must be a string.".into()),
    }
    if let Some(v) = map.get("ignore_subscription_override") {
        if !v.is_null() && !v.is_boolean() {
            return Err("ignore_subscription_override must be a boolean.".into());
        }
    }
    let min = map
        .get("minimum_delay")
        .and_then(Value::as_i64)
        .unwrap_or(DEFAULT_MINIMUM_DELAY);
    let max = map
        .get("maximum_delay")
        .and_then(Value::as_i64)
        .unwrap_or(DEFAULT_MAXIMUM_DELAY);
    if max < min {
        return Err("minimum_delay must less than maximum_delay.".into());
    }
    if max - min < 2 * LINEAR_INTERVAL {
        return Err("invalid minimum_delay and maximum_delay.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn zaqar_rules() {
        assert!(validate(&json!({})).is_ok());
        assert!(validate(&json!({"retry_backoff_function": "geometric", "minimum_delay": 1, "maximum_delay": 100})).is_ok());
        assert!(validate(&json!([1])).is_err());
        assert!(validate(&json!({"minimum_delay": "5"})).is_err());
        assert!(validate(&json!({"retry_backoff_function": "cubic"})).is_err());
        assert!(validate(&json!({"ignore_subscription_override": 1})).is_err());
        assert!(validate(&json!({"minimum_delay": 25, "maximum_delay": 30})).is_err());
        assert!(validate(&json!({"retries_with_no_delay": -1})).is_err());
    }
}
