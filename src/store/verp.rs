//! Per-delivery VERP envelope senders (the token and the row that remembers
//! it; the delivery worker asks for one, the bounce intake looks one up). The token is
//! `HMAC-SHA256(secret_key, "verp:" + delivery id)`, 128 bits in lower-case
//! hex: unguessable without the server's key, the same for every attempt
//! of a delivery (so a late bounce of an early attempt still matches), and
//! safe in a local part that some MTAs fold to lower case. Only its
//! SHA-256 is stored, next to the delivery id it stands for.
use hmac::{Hmac, Mac};
use sea_orm::{ConnectionTrait, DbErr};
use sha2::Sha256;

use super::bounces;
use super::entities::bounce_token;
use crate::domain::secret_key::SecretKey;
use crate::domain::tokens;
use crate::domain::verp;

/// 16 bytes of the HMAC: 128 bits, 32 hex characters.
const TOKEN_BYTES: usize = 16;

pub fn token(key: &SecretKey, delivery_id: i64) -> String {
    // HMAC accepts keys of any length; this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key.bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(b"verp:");
    mac.update(delivery_id.to_string().as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..TOKEN_BYTES])
}

/// The envelope sender for a delivery under `template`
/// (`TIDINGS_BOUNCE_ADDRESS`), its token remembered so a bounce finds the
/// delivery again.
pub async fn envelope_sender(
    db: &impl ConnectionTrait,
    key: &SecretKey,
    template: &str,
    delivery_id: i64,
    project: &str,
    now: i64,
) -> Result<String, DbErr> {
    let token = token(key, delivery_id);
    bounces::remember_token(db, &tokens::hash(&token), delivery_id, project, now).await?;
    Ok(verp::fill(template, &token))
}

/// The delivery a bounce to one of `addresses` is about, if any of them is
/// the bounce address with a token tidings issued.
pub async fn delivery_for(
    db: &impl ConnectionTrait,
    template: &str,
    addresses: &[String],
) -> Result<Option<bounce_token::Model>, DbErr> {
    for address in addresses {
        if let Some(token) = verp::token_in(template, address) {
            if let Some(row) = bounces::token(db, &tokens::hash(&token)).await? {
                return Ok(Some(row));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stable_per_delivery_and_keyed() {
        let key = SecretKey::from_bytes(vec![7; 32]);
        let other = SecretKey::from_bytes(vec![8; 32]);
        let t = token(&key, 42);
        assert_eq!(t.len(), 32);
        assert!(t
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(t, token(&key, 42));
        assert_ne!(t, token(&key, 43));
        assert_ne!(t, token(&other, 42));
    }
}
