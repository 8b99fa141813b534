//! The `options` object of a subscription. Zaqar only requires a dict and a
//! valid `_retry_policy`; tidings also checks every key a driver will read,
//! so a bad From or a header-injecting subject is refused at creation rather
//! than failing at every delivery.
//!
//! Precedence (documented for operators): a `subject`, `cc` or `bcc` in the
//! `mailto:` URI wins over the same key here; options are the defaults.
use serde_json::{Map, Value};

use super::email_address::EmailAddress;
use super::retry_policy;
use super::signing_secret::parse_secret;
use super::subscriber::has_header_breaker;

pub const NOT_A_DICT: &str = "Options must be a dict.";

fn header_safe(key: &str, v: &Value) -> Result<String, String> {
    let s = v
        .as_str()
        .ok_or_else(|| format!("Option {key} must be a string."))?;
    if has_header_breaker(s) {
        return Err(format!(
            "Option {key} must not contain line breaks or NUL characters."
        ));
    }
    Ok(s.to_string())
}

/// `addr@example.com` or `Display Name <addr@example.com>`.
fn mailbox(s: &str) -> Result<(), String> {
    let addr = match (s.rfind('<'), s.strip_suffix('>')) {
        (Some(open), Some(inner)) => {
            let name = &s[..open];
            if name.contains(['<', '>', '"']) {
                return Err("Option from must be a valid mailbox.".into());
            }
            &inner[open + 1..]
        }
        (None, None) => s.trim(),
        _ => return Err("Option from must be a valid mailbox.".into()),
    };
    EmailAddress::parse(addr)
        .map(|_| ())
        .map_err(|_| "Option from must be a valid mailbox.".into())
}

/// cc/bcc: a comma-separated string, a list of strings, or (as in the
/// Zaqar blueprint's example) an empty object meaning none.
fn address_list(key: &str, v: &Value) -> Result<(), String> {
    let items: Vec<String> = match v {
        Value::Null => return Ok(()),
        Value::Object(m) if m.is_empty() => return Ok(()),
        Value::String(_) => header_safe(key, v)?
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        Value::Array(list) => list
            .iter()
            .map(|item| header_safe(key, item))
            .collect::<Result<_, _>>()?,
        _ => return Err(format!("Option {key} must be a list of addresses.")),
    };
    for item in items {
        EmailAddress::parse(&item).map_err(|e| format!("Option {key}: {e}"))?;
    }
    Ok(())
}

fn header_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

/// Validates the options object and returns it as a map.
pub fn validate(options: Option<&Value>) -> Result<Map<String, Value>, String> {
    let map = match options {
        None | Some(Value::Null) => return Ok(Map::new()),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(NOT_A_DICT.into()),
    };
    if let Some(policy) = map.get("_retry_policy") {
        retry_policy::validate(policy)?;
    }
    if let Some(v) = map.get("subject") {
        header_safe("subject", v)?;
    }
    if let Some(v) = map.get("from") {
        mailbox(&header_safe("from", v)?)?;
    }
    // blocked_recipients: CPS's black list, addresses a multi-recipient
    // mailto must never send to.
    for key in ["cc", "bcc", "blocked_recipients"] {
        if let Some(v) = map.get(key) {
            address_list(key, v)?;
        }
    }
    if let Some(v) = map.get("post_headers") {
        let headers = v
            .as_object()
            .ok_or("Option post_headers must be a dict of strings.")?;
        for (name, value) in headers {
            if !header_name_ok(name) {
                return Err(format!(
                    "Option post_headers has an invalid header name {name:?}."
                ));
            }
            let s = value
                .as_str()
                .ok_or("Option post_headers must be a dict of strings.")?;
            if s.chars().any(|c| matches!(c, '\r' | '\n' | '\0')) {
                return Err("Option post_headers values must not contain line breaks.".into());
            }
        }
    }
    if let Some(v) = map.get("post_data") {
        if !v.is_string() {
            return Err("Option post_data must be a string.".into());
        }
    }
    if let Some(v) = map.get("require_route") {
        if !v.is_boolean() {
            return Err("Option require_route must be true or false.".into());
        }
    }
    if let Some(v) = map.get("locale") {
        super::locale::validate_option(v)?;
    }
    if let Some(v) = map.get("template") {
        super::template_set::validate_option(v)?;
    }
    if let Some(v) = map.get("signing_secret") {
        // The same check the signer runs: a secret accepted here must sign.
        let secret = v
            .as_str()
            .ok_or("Option signing_secret must be a string.")?;
        // `***` is what GET shows: the service keeps the stored secret.
        if secret != super::masking::MASK {
            parse_secret(secret).map_err(|e| format!("Option {e}"))?;
        }
    }
    Ok(map.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepted_options() {
        for ok in [
            json!({}),
            json!({"subject": "Alarm", "cc": {}, "bcc": {}}),
            json!({"from": "zaqar@example.com", "subject": "From options"}),
            json!({"from": "tidings <no-reply@example.com>"}),
            json!({"cc": "a@example.com, b@example.com", "bcc": ["c@example.com"]}),
            json!({"post_data": "{\"wrapped\": \"$zaqar_message$\"}", "post_headers": {"X-Custom-Header": "abc"}}),
            json!({"signing_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}),
            json!({"_retry_policy": {"minimum_delay": 1, "maximum_delay": 100}}),
            json!({"anything": [1, 2]}),
            json!({"template": "weekly", "locale": "fr-CA"}),
        ] {
            assert!(validate(Some(&ok)).is_ok(), "{ok}");
        }
        assert!(validate(None).unwrap().is_empty());
    }

    #[test]
    fn refused_options() {
        let cases = [
            (json!([1]), "must be a dict"),
            (json!("x"), "must be a dict"),
            (json!({"subject": "a\r\nBcc: x@example.com"}), "line breaks"),
            (
                json!({"subject": "a%0d%0aBcc: x@example.com"}),
                "line breaks",
            ),
            (json!({"subject": 5}), "must be a string"),
            (json!({"from": "x\nBcc: y@example.com"}), "line breaks"),
            (json!({"from": "not a mailbox"}), "valid mailbox"),
            (json!({"cc": "a@example.com\r\n"}), "line breaks"),
            (json!({"bcc": ["a@example.com%0A"]}), "line breaks"),
            (json!({"cc": "nope"}), "not a valid email"),
            (json!({"cc": 3}), "list of addresses"),
            (json!({"post_headers": "x"}), "dict of strings"),
            (json!({"post_headers": {"X": 1}}), "dict of strings"),
            (json!({"post_headers": {"X": "a\r\nb"}}), "line breaks"),
            (
                json!({"post_headers": {"Bad Name": "a"}}),
                "invalid header name",
            ),
            (json!({"post_data": {}}), "post_data"),
            (
                json!({"require_route": "yes"}),
                "require_route must be true or false",
            ),
            (json!({"signing_secret": "abc"}), "signing_secret"),
            (json!({"template": "../x"}), "Option template"),
            (json!({"template": 3}), "Option template"),
            (json!({"locale": "fr_CA!"}), "Option locale"),
            (json!({"locale": ["de"]}), "Option locale"),
            // 16 key bytes: base64 but shorter than the signer's 24.
            (
                json!({"signing_secret": "whsec_AAAAAAAAAAAAAAAAAAAAAA=="}),
                "between 24 and 64 bytes",
            ),
            (
                json!({"_retry_policy": {"retry_backoff_function": "cubic"}}),
                "retry_backoff_function",
            ),
        ];
        for (value, expect) in cases {
            let err = validate(Some(&value)).unwrap_err();
            assert!(err.contains(expect), "{value}: {err}");
        }
    }
}
