//! Confirmation tokens: 32 bytes from the OS CSPRNG, URL-safe base64
//! without padding. Only the SHA-256 hex digest is stored.
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub fn generate() -> String {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The row was found by its hash through an index; compare again in
/// constant time so the check itself never depends on timing.
pub fn hash_matches(stored: &str, token: &str) -> bool {
    stored.as_bytes().ct_eq(hash(token).as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_url_safe_and_unique() {
        let a = generate();
        assert_eq!(a.len(), 43);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(a, generate());
        assert_eq!(hash(&a).len(), 64);
        assert!(hash_matches(&hash(&a), &a));
        assert!(!hash_matches(&hash(&a), "other"));
    }
}
