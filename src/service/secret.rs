//! The server secret that keys Zaqar pre-signed URLs and unsubscribe links.
//! `TIDINGS_SECRET_KEY` wins; otherwise a random key is generated on first
//! start and kept in `server_secrets`, so links survive restarts and every
//! node of a PostgreSQL deployment agrees on it.
use anyhow::Context;
use base64::Engine;
use rand::RngCore;
use sea_orm::DatabaseConnection;

use crate::config::Settings;
pub use crate::domain::secret_key::SecretKey;
use crate::store;

const SECRET_NAME: &str = "secret_key";

pub async fn resolve(
    db: &DatabaseConnection,
    settings: &Settings,
    now: i64,
) -> anyhow::Result<SecretKey> {
    if let Some(key) = &settings.secret_key {
        return Ok(SecretKey::from_bytes(key.expose().as_bytes().to_vec()));
    }
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let fresh = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let value = store::secrets::get_or_insert(db, SECRET_NAME, fresh, now)
        .await
        .context("loading the persisted secret key")?;
    Ok(SecretKey::from_bytes(value.into_bytes()))
}
