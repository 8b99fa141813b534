//! Message bodies at rest: XChaCha20-Poly1305 (RustCrypto) under a key
//! derived with HKDF-SHA256 from a server message key. Each sealed row
//! stores the id of the key that sealed it, so keys can rotate: the current
//! key seals, every key in the ring opens. The message id is the associated
//! data, so a sealed body cannot be moved to another message's row.
use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;

const NONCE_LEN: usize = 24;
const KEY_INFO: &[u8] = b"tidings message encryption v1";
const ID_INFO: &[u8] = b"tidings message key id v1";

/// One derived key and its id (a public fingerprint of the derived key,
/// never the key).
#[derive(Clone)]
struct DerivedKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl DerivedKey {
    fn derive(server_key: &[u8]) -> DerivedKey {
        let hk = Hkdf::<Sha256>::new(None, server_key);
        let mut key = [0u8; 32];
        let mut id = [0u8; 8];
        // 32 and 8 bytes are far below HKDF-SHA256's limit: cannot fail.
        hk.expand(KEY_INFO, &mut key)
            .unwrap_or_else(|_| unreachable!());
        hk.expand(ID_INFO, &mut id)
            .unwrap_or_else(|_| unreachable!());
        DerivedKey {
            id: hex::encode(id),
            cipher: XChaCha20Poly1305::new(&Key::from(key)),
        }
    }
}

/// Why a sealed body could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("no message key with id {0} is configured")]
    UnknownKey(String),
    #[error("the sealed body is damaged or was sealed for another message")]
    Damaged,
}

/// A body as stored: the text for the row's body column, and the key id
/// (None: stored in the clear).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub text: String,
    pub key_id: Option<String>,
}

/// The key ring: the current key seals, every key opens.
#[derive(Clone)]
pub struct MessageKeys(Arc<Ring>);

struct Ring {
    current: DerivedKey,
    all: HashMap<String, DerivedKey>,
}

impl std::fmt::Debug for MessageKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageKeys")
            .field("current", &self.0.current.id)
            .field("ids", &self.0.all.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl MessageKeys {
    /// The ring of `current` (which seals) and `old` (which only open).
    pub fn new(current: &[u8], old: &[&[u8]]) -> MessageKeys {
        let current = DerivedKey::derive(current);
        let mut all = HashMap::new();
        for key in old {
            let key = DerivedKey::derive(key);
            all.insert(key.id.clone(), key);
        }
        all.insert(current.id.clone(), current.clone());
        MessageKeys(Arc::new(Ring { current, all }))
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> &str {
        &self.0.current.id
    }

    /// Whether a row sealed under `key_id` can be opened.
    pub fn knows(&self, key_id: &str) -> bool {
        self.0.all.contains_key(key_id)
    }

    /// Seals `plaintext` for the message `message_id` under the current key.
    pub fn seal(&self, message_id: &str, plaintext: &str) -> Stored {
        let key = &self.0.current;
        let nonce = XNonce::generate();
        let sealed = key
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: message_id.as_bytes(),
                },
            )
            // Encryption fails only past ~256 GiB per message.
            .unwrap_or_else(|_| unreachable!());
        let mut raw = Vec::with_capacity(NONCE_LEN + sealed.len());
        raw.extend_from_slice(&nonce);
        raw.extend_from_slice(&sealed);
        Stored {
            text: base64::engine::general_purpose::STANDARD.encode(raw),
            key_id: Some(key.id.clone()),
        }
    }

    /// The plaintext of a stored body: as is when `key_id` is None.
    pub fn open(
        &self,
        message_id: &str,
        text: &str,
        key_id: Option<&str>,
    ) -> Result<String, OpenError> {
        let Some(key_id) = key_id else {
            return Ok(text.to_string());
        };
        let key = self
            .0
            .all
            .get(key_id)
            .ok_or_else(|| OpenError::UnknownKey(key_id.to_string()))?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| OpenError::Damaged)?;
        if raw.len() < NONCE_LEN {
            return Err(OpenError::Damaged);
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| OpenError::Damaged)?;
        let plain = key
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: message_id.as_bytes(),
                },
            )
            .map_err(|_| OpenError::Damaged)?;
        String::from_utf8(plain).map_err(|_| OpenError::Damaged)
    }

    /// The JSON of a stored body; Null when it cannot be opened or parsed
    /// (logged without the body: startup refuses unknown key ids, so this
    /// means a damaged row).
    pub fn open_json(
        &self,
        message_id: &str,
        text: &str,
        key_id: Option<&str>,
    ) -> serde_json::Value {
        match self.open(message_id, text, key_id) {
            Ok(plain) => serde_json::from_str(&plain).unwrap_or(serde_json::Value::Null),
            Err(err) => {
                tracing::error!(message_id, error = %err, "a stored message body could not be opened");
                serde_json::Value::Null
            }
        }
    }

    /// A body sealed by the current key, or in the clear, as asked.
    pub fn store(&self, message_id: &str, plaintext: &str, encrypt: bool) -> Stored {
        if encrypt {
            self.seal(message_id, plaintext)
        } else {
            Stored {
                text: plaintext.to_string(),
                key_id: None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_binds_to_the_message() {
        let keys = MessageKeys::new(b"a server key of thirty-two bytes!", &[]);
        let stored = keys.seal("m1", r#"{"secret":"plans"}"#);
        assert!(!stored.text.contains("plans"));
        assert_eq!(stored.key_id.as_deref(), Some(keys.current_id()));
        let opened = keys.open("m1", &stored.text, stored.key_id.as_deref());
        assert_eq!(opened.unwrap(), r#"{"secret":"plans"}"#);
        // Another message's row: refused, not garbage.
        assert_eq!(
            keys.open("m2", &stored.text, stored.key_id.as_deref()),
            Err(OpenError::Damaged)
        );
        // Two seals of the same text differ (random nonces).
        assert_ne!(keys.seal("m1", "x").text, keys.seal("m1", "x").text);
        assert_eq!(keys.open("m1", "plain", None).unwrap(), "plain");
    }

    #[test]
    fn rotation_keeps_old_rows_readable() {
        let old = MessageKeys::new(b"old key", &[]);
        let sealed = old.seal("m1", "hello");
        let new = MessageKeys::new(b"new key", &[b"old key"]);
        assert_ne!(new.current_id(), old.current_id());
        assert!(new.knows(old.current_id()));
        assert_eq!(
            new.open("m1", &sealed.text, sealed.key_id.as_deref())
                .unwrap(),
            "hello"
        );
        let without_old = MessageKeys::new(b"new key", &[]);
        assert_eq!(
            without_old.open("m1", &sealed.text, sealed.key_id.as_deref()),
            Err(OpenError::UnknownKey(old.current_id().to_string()))
        );
        // The id is stable for a key, and not the key.
        assert_eq!(
            MessageKeys::new(b"old key", &[]).current_id(),
            old.current_id()
        );
        assert_eq!(old.current_id().len(), 16);
    }
}
