//! The Zaqar webhook body: the notification dict serialized exactly like
//! Python's `json.dumps` (default separators, `ensure_ascii=True`), so
//! receivers written against Zaqar see the same bytes (zaqar-captures A1-A3).
use serde_json::{Map, Value};

/// Zaqar's `post_data` placeholder, quotes included.
const PLACEHOLDER: &str = "\"$zaqar_message$\"";

/// Body and headers of one Zaqar notification POST: `Content-Type:
/// application/json` plus `options.post_headers` (string values only; other
/// values cannot be header values and are skipped); `options.post_data`, when
/// a string, is the body with each `"$zaqar_message$"` replaced by the JSON.
pub fn zaqar_body(
    notification: &Value,
    options: &Map<String, Value>,
) -> (Vec<u8>, Vec<(String, String)>) {
    let json = python_dumps(notification);
    let body = match options.get("post_data").and_then(Value::as_str) {
        Some(template) => template.replace(PLACEHOLDER, &json),
        None => json,
    };
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    if let Some(extra) = options.get("post_headers").and_then(Value::as_object) {
        for (name, value) in extra {
            let Some(value) = value.as_str() else {
                continue;
            };
            // Python's dict.update replaces a key; header names are
            // case-insensitive, so a custom Content-Type replaces ours.
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            headers.push((name.clone(), value.to_owned()));
        }
    }
    (body.into_bytes(), headers)
}

/// `json.dumps(value)` with Python's defaults.
pub fn python_dumps(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.is_f64(), n.as_f64()) {
            (true, Some(f)) => out.push_str(&python_float(f)),
            _ => out.push_str(&n.to_string()),
        },
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str(out, k);
                out.push_str(": ");
                write_value(out, v);
            }
            out.push('}');
        }
    }
}

fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            // Python escapes all but printable ASCII (`[^\ -~]`), DEL too.
            ' '..='~' => out.push(c),
            _ => {
                // ensure_ascii: as \uXXXX UTF-16 units, lowercase hex.
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// Python's `float.__repr__`: shortest round-trip digits, positional for
/// exponents in [-4, 16), else `d.ddde+XX`.
fn python_float(f: f64) -> String {
    if !f.is_finite() {
        // json.dumps writes these although they are not JSON; serde_json
        // cannot hold them, so this is unreachable in practice.
        return if f.is_nan() {
            "NaN"
        } else if f > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .into();
    }
    let sci = format!("{f:e}"); // e.g. "-1.5e-5", "1e16"
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        let body = if point <= 0 {
            format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
        } else if point as usize >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            let (int, frac) = digits.split_at(point as usize);
            format!("{int}.{frac}")
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{frac}e{esign}{:02}", exp.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn capture_body(file: &str, index: usize) -> String {
        let path = format!("/work/shared/spec/zaqar-captures/{file}");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let v: Value = serde_json::from_str(&text).unwrap();
        v[index]["body"].as_str().unwrap().to_owned()
    }

    fn notification(ttl: i64, body: Value, queue: &str) -> Value {
        json!({"ttl": ttl, "body": body, "Message_Type": "Notification", "queue_name": queue})
    }

    // The literal strings are the capture bodies, so the test also runs where
    // /work/shared is absent; `captures_match_files` ties them to the files.
    const A1: &str = r#"{"ttl": 300, "body": {"event": "webhook-test", "seq": 1}, "Message_Type": "Notification", "queue_name": "cap-a1"}"#;
    const A2_0: &str = r#"{"ttl": 300, "body": {"seq": 2, "k": "first"}, "Message_Type": "Notification", "queue_name": "cap-a1"}"#;
    const A2_1: &str = r#"{"ttl": 120, "body": "second-as-string", "Message_Type": "Notification", "queue_name": "cap-a1"}"#;
    const A3: &str = r#"{"wrapped": {"ttl": 300, "body": {"event": "templated", "seq": 3}, "Message_Type": "Notification", "queue_name": "cap-a3"}, "static": 1}"#;

    #[test]
    fn reproduces_captured_bodies() {
        let none = Map::new();
        let a1 = notification(300, json!({"event": "webhook-test", "seq": 1}), "cap-a1");
        assert_eq!(zaqar_body(&a1, &none).0, A1.as_bytes());
        let a2 = notification(300, json!({"seq": 2, "k": "first"}), "cap-a1");
        assert_eq!(zaqar_body(&a2, &none).0, A2_0.as_bytes());
        let a2b = notification(120, json!("second-as-string"), "cap-a1");
        assert_eq!(zaqar_body(&a2b, &none).0, A2_1.as_bytes());

        let a3 = notification(300, json!({"event": "templated", "seq": 3}), "cap-a3");
        let options = json!({
            "post_data": "{\"wrapped\": \"$zaqar_message$\", \"static\": 1}",
            "post_headers": {"X-Custom-Header": "abc", "X-Number": 5}
        });
        let (body, headers) = zaqar_body(&a3, options.as_object().unwrap());
        assert_eq!(body, A3.as_bytes());
        assert_eq!(
            headers,
            [
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("X-Custom-Header".to_owned(), "abc".to_owned())
            ]
        );
    }

    #[test]
    fn captures_match_files() {
        if !std::path::Path::new("/work/shared/spec/zaqar-captures").exists() {
            return;
        }
        assert_eq!(capture_body("webhook_A1_notification.json", 0), A1);
        assert_eq!(capture_body("webhook_A2_batch_two_messages.json", 0), A2_0);
        assert_eq!(capture_body("webhook_A2_batch_two_messages.json", 1), A2_1);
        assert_eq!(
            capture_body("webhook_A3_post_data_post_headers.json", 0),
            A3
        );
    }

    #[test]
    fn post_headers_may_replace_content_type() {
        let options = json!({"post_headers": {"content-type": "text/plain"}});
        let (_, headers) = zaqar_body(&json!({}), options.as_object().unwrap());
        assert_eq!(
            headers,
            [("content-type".to_owned(), "text/plain".to_owned())]
        );
    }

    #[test]
    fn python_dumps_escaping_and_numbers() {
        let v = json!({"s": "é€😀\"\\\n\t\u{1}\u{7f}/", "a": [], "o": {}, "n": [null, true, -3, 18446744073709551615u64]});
        assert_eq!(
            python_dumps(&v),
            r#"{"s": "\u00e9\u20ac\ud83d\ude00\"\\\n\t\u0001\u007f/", "a": [], "o": {}, "n": [null, true, -3, 18446744073709551615]}"#
        );
        let cases = [
            (1.0, "1.0"),
            (-0.5, "-0.5"),
            (0.1, "0.1"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1.2345e20, "1.2345e+20"),
            (123456789012345.6, "123456789012345.6"),
            (0.0, "0.0"),
        ];
        for (f, want) in cases {
            assert_eq!(python_dumps(&json!(f)), want, "{f}");
        }
    }
}
