//! The server secret that keys Zaqar pre-signed URLs and unsubscribe links.
//! Loading it is a use case (`service::secret`); the value itself is
//! vocabulary that the API, the services and the delivery workers share.
use std::sync::Arc;

#[derive(Clone)]
pub struct SecretKey(Arc<Vec<u8>>);

impl SecretKey {
    pub fn from_bytes(bytes: Vec<u8>) -> SecretKey {
        SecretKey(Arc::new(bytes))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}
