//! Reading and parsing request bodies with Zaqar's error wording.
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use serde_json::Value;

use crate::domain::limits::MAX_REQUEST_BODY;
use crate::error::ApiError;

/// The declared `Content-Length`, if any (Zaqar's size checks use it).
pub fn content_length(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Reads the whole body, refusing more than `limit` bytes (declared or
/// streamed) with `too_large`.
pub async fn read(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
    too_large: impl Fn() -> ApiError,
) -> Result<web::Bytes, ApiError> {
    let limit = limit.min(MAX_REQUEST_BODY);
    if content_length(req)
        .map(|n| n > limit as u64)
        .unwrap_or(false)
    {
        return Err(too_large());
    }
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::bad_body("Request body could not be read."))?;
        if buf.len() + chunk.len() > limit {
            return Err(too_large());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

fn unparsable() -> ApiError {
    ApiError::bad_body("Request body could not be parsed.")
}

/// Parses JSON; an empty body is `None`. Like Zaqar's `read_json`, only an
/// object or an array counts as a document: a bare string, number or null
/// "could not be parsed".
pub fn parse_json(bytes: &[u8]) -> Result<Option<Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|_| unparsable())?;
    if !(value.is_object() || value.is_array()) {
        return Err(unparsable());
    }
    if has_oversized_integer(&value) || has_out_of_range_integer_literal(bytes) {
        return Err(ApiError::bad_body(
            "JSON contains integer that is too large.",
        ));
    }
    Ok(Some(value))
}

/// Parses a body the endpoint cannot do without (message post, claim
/// update, share). Zaqar tells "no body at all" (no `Content-Length`) from
/// "an empty body" (`Content-Length: 0`, which does not parse).
pub fn require_json(req: &HttpRequest, bytes: &[u8]) -> Result<Value, ApiError> {
    match parse_json(bytes)? {
        Some(value) => Ok(value),
        None if content_length(req).is_none()
            && !req.headers().contains_key("transfer-encoding") =>
        {
            Err(ApiError::bad_body("Request body can not be empty"))
        }
        None => Err(unparsable()),
    }
}

/// Zaqar refuses integers outside the signed 64-bit range.
fn has_oversized_integer(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.is_u64() && n.as_i64().is_none(),
        Value::Array(items) => items.iter().any(has_oversized_integer),
        Value::Object(map) => map.values().any(has_oversized_integer),
        _ => false,
    }
}

/// Finds integer literals below i64::MIN, which serde_json silently turns
/// into floats (Zaqar's parser refuses them like those above i64::MAX).
/// Only called on text that already parsed as JSON.
fn has_out_of_range_integer_literal(bytes: &[u8]) -> bool {
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len()
                    && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                let token = &bytes[start..i];
                let integer = !token.iter().any(|c| matches!(c, b'.' | b'e' | b'E'));
                if integer
                    && std::str::from_utf8(token)
                        .map(|t| t.parse::<i64>().is_err())
                        .unwrap_or(true)
                {
                    return true;
                }
            }
            _ => i += 1,
        }
    }
    false
}

/// Requires a JSON object.
pub fn expect_object(value: Value) -> Result<serde_json::Map<String, Value>, ApiError> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::bad_body("Document type not supported.")),
    }
}

/// An integer field: absent is None, wrong type is Zaqar's "must be a int".
pub fn int_field(map: &serde_json::Map<String, Value>, key: &str) -> Result<Option<i64>, ApiError> {
    match map.get(key) {
        None => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| {
            ApiError::bad_body(format!("The value of the \"{key}\" field must be a int."))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_use_zaqar_wording() {
        assert!(parse_json(b"  ").unwrap().is_none());
        assert!(parse_json(b"{bad").is_err());
        for scalar in [&b"null"[..], b"\"x\"", b"5", b"true"] {
            assert!(parse_json(scalar).is_err());
        }
        assert!(parse_json(b"{\"a\": 18446744073709551615}").is_err());
        assert!(parse_json(b"{\"a\": 9223372036854775807}").is_ok());
        assert!(parse_json(b"{\"a\": -9223372036854775808}").is_ok());
        assert!(parse_json(b"[-9223372036854775809]").is_err());
        assert!(parse_json(b"{\"a\": -9.3e18, \"b\": \"-99999999999999999999\"}").is_ok());
    }
}
