//! Standard Webhooks signatures (https://www.standardwebhooks.com/):
//! `webhook-signature: v1,<base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))>`
//! with the key from a `whsec_<base64>` secret. Receivers verify with any
//! Standard Webhooks library; see docs/webhook-signatures.md.
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub use crate::domain::signing_secret::{
    parse_secret, SigningError, MAX_KEY_BYTES, MIN_KEY_BYTES, SECRET_PREFIX,
};

/// The `webhook-signature` header value for one delivery.
pub fn sign(
    secret: &str,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, SigningError> {
    let key = parse_secret(secret)?;
    // HMAC accepts keys of any length; parse_secret bounded it already.
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| SigningError::BadLength)?;
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

/// The three Standard Webhooks headers, ready to append to a request.
/// `msg_id` should be the delivery id: stable across retries of the same
/// delivery, so receivers can deduplicate.
pub fn signature_headers(
    secret: &str,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<Vec<(String, String)>, SigningError> {
    let signature = sign(secret, msg_id, timestamp, body)?;
    Ok(vec![
        ("webhook-id".to_owned(), msg_id.to_owned()),
        ("webhook-timestamp".to_owned(), timestamp.to_string()),
        ("webhook-signature".to_owned(), signature),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn standard_webhooks_published_vector() {
        let sig = sign(
            SECRET,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(
            sig.as_deref(),
            Ok("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn headers_carry_id_timestamp_signature() {
        let h = signature_headers(
            SECRET,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(
            h[0],
            ("webhook-id".into(), "msg_p5jXN8AQM9LWM0D4loKWxJek".into())
        );
        assert_eq!(h[1], ("webhook-timestamp".into(), "1614265330".into()));
        assert_eq!(h[2].1, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secret_validation() {
        assert_eq!(parse_secret(SECRET).map(|k| k.len()), Ok(24));
        assert_eq!(
            parse_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            Err(SigningError::MissingPrefix)
        );
        assert_eq!(
            parse_secret("whsec_not base64!"),
            Err(SigningError::NotBase64)
        );
        assert_eq!(parse_secret("whsec_c2hvcnQ="), Err(SigningError::BadLength));
        let long = format!("whsec_{}", B64.encode([7u8; 65]));
        assert_eq!(parse_secret(&long), Err(SigningError::BadLength));
        let err = sign("whsec_c2hvcnQ=", "id", 1, b"")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("c2hvcnQ"), "{err}");
    }
}
