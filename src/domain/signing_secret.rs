//! A subscription's `whsec_<base64>` webhook signing secret (Standard
//! Webhooks). The options check at subscribe time and the signer at delivery
//! both parse it here, so the two cannot disagree on what is valid.
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

pub const SECRET_PREFIX: &str = "whsec_";
/// 24..=64 key bytes, the range Standard Webhooks implementations generate
/// and accept: shorter keys are guessable, longer ones add nothing to SHA-256.
pub const MIN_KEY_BYTES: usize = 24;
pub const MAX_KEY_BYTES: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningError {
    #[error("signing_secret must start with \"whsec_\".")]
    MissingPrefix,
    #[error("signing_secret must be \"whsec_\" followed by base64.")]
    NotBase64,
    #[error("signing_secret key must be between 24 and 64 bytes.")]
    BadLength,
}

/// Checks a `whsec_` secret at subscribe time and returns the raw key. The
/// error texts never echo the secret, so they can go into a 400 as they are.
pub fn parse_secret(secret: &str) -> Result<Vec<u8>, SigningError> {
    let encoded = secret
        .strip_prefix(SECRET_PREFIX)
        .ok_or(SigningError::MissingPrefix)?;
    let key = B64.decode(encoded).map_err(|_| SigningError::NotBase64)?;
    if !(MIN_KEY_BYTES..=MAX_KEY_BYTES).contains(&key.len()) {
        return Err(SigningError::BadLength);
    }
    Ok(key)
}
