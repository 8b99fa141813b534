//! JSON given on the command line, parsed by clap so that bad JSON is a
//! usage error (exit 2) before anything is sent.
use serde_json::{Map, Value};

/// Any JSON value (a message body).
pub fn any(s: &str) -> Result<Value, String> {
    serde_json::from_str(s).map_err(|e| {
        let hint = if s.trim_start().starts_with(['{', '[', '"']) {
            String::new()
        } else {
            " (a string body needs JSON quotes: '\"text\"')".to_string()
        };
        format!("not JSON: {e}{hint}")
    })
}

/// A JSON object (options, metadata).
pub fn object(s: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str(s) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("must be a JSON object, e.g. '{\"key\": \"value\"}'".to_string()),
        Err(e) => Err(format!("not JSON: {e}")),
    }
}

/// A message body argument: JSON, or `-` for one body per line on stdin.
#[derive(Clone, Debug)]
pub enum BodyArg {
    Stdin,
    Json(Value),
}

pub fn body(s: &str) -> Result<BodyArg, String> {
    if s == "-" {
        Ok(BodyArg::Stdin)
    } else {
        any(s).map(BodyArg::Json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_words_get_a_hint_about_quotes() {
        let err = any("hello").unwrap_err();
        assert!(err.contains("needs JSON quotes"), "{err}");
        assert_eq!(any("\"hello\"").unwrap(), Value::String("hello".into()));
        assert!(object("[1]").unwrap_err().contains("JSON object"));
        assert!(matches!(body("-").unwrap(), BodyArg::Stdin));
    }
}
