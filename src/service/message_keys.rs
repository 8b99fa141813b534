//! The message keys: which key seals new bodies, which keys still open old
//! ones, the startup check that every sealed row can be opened, and key
//! rotation (`tidings rotate-key`).
//!
//! `TIDINGS_MESSAGE_KEY` is the current key; without it a random key is
//! generated on first start and kept in `server_secrets` (as
//! `TIDINGS_SECRET_KEY` is). `TIDINGS_MESSAGE_OLD_KEYS` (and a kept
//! generated key, once a key is configured) only open.
use anyhow::{bail, Context};
use base64::Engine;
use rand::RngCore;
use sea_orm::{DatabaseConnection, TransactionTrait};

use crate::config::Settings;
pub use crate::domain::message_keys::MessageKeys;
use crate::store;
use crate::store::sealed::{self, Table};

const SECRET_NAME: &str = "message_key";

/// The key ring the settings (and the kept generated key) describe.
pub async fn resolve(
    db: &DatabaseConnection,
    settings: &Settings,
    now: i64,
) -> anyhow::Result<MessageKeys> {
    let old: Vec<&str> = settings.old_message_keys();
    if let Some(key) = &settings.message_key {
        let kept = store::secrets::get(db, SECRET_NAME)
            .await
            .context("loading the kept message key")?;
        let mut old: Vec<&[u8]> = old.iter().map(|k| k.as_bytes()).collect();
        if let Some(kept) = &kept {
            old.push(kept.as_bytes());
        }
        return Ok(MessageKeys::new(key.expose().as_bytes(), &old));
    }
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let fresh = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let kept = store::secrets::get_or_insert(db, SECRET_NAME, fresh, now)
        .await
        .context("loading the kept message key")?;
    let old: Vec<&[u8]> = old.iter().map(|k| k.as_bytes()).collect();
    Ok(MessageKeys::new(kept.as_bytes(), &old))
}

/// Refuses to start when some stored row is sealed by a key the ring does
/// not hold: reads would fail for those messages, and new ones would be
/// sealed by a key their readers may not expect. Names key ids only.
pub async fn check(db: &DatabaseConnection, keys: &MessageKeys) -> anyhow::Result<()> {
    let in_use = sealed::key_ids_in_use(db)
        .await
        .context("reading which message keys sealed the stored messages")?;
    let unknown: Vec<&str> = in_use
        .iter()
        .map(String::as_str)
        .filter(|id| !keys.knows(id))
        .collect();
    if !unknown.is_empty() {
        bail!(
            "stored messages are encrypted with message key id {} but no configured key has that id (the current key's id is {}): set TIDINGS_MESSAGE_KEY to the key they were encrypted with, or list it in TIDINGS_MESSAGE_OLD_KEYS",
            unknown.join(", "),
            keys.current_id()
        );
    }
    Ok(())
}

/// What a rotation did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rotated {
    pub messages: u64,
    pub fanouts: u64,
    pub batches: u64,
}

/// Re-seals every row sealed by an old key with the current key, `batch`
/// rows per transaction, until none is left. Safe to run beside a serving
/// node (each row is replaced only while it still holds what was read) and
/// to run again after an interruption.
pub async fn rotate(
    db: &DatabaseConnection,
    keys: &MessageKeys,
    batch: u64,
) -> anyhow::Result<Rotated> {
    check(db, keys).await?;
    let mut done = Rotated::default();
    for table in [Table::Messages, Table::Fanouts] {
        loop {
            let txn = db.begin().await?;
            let rows = sealed::sealed_by_others(&txn, table, keys.current_id(), batch).await?;
            if rows.is_empty() {
                txn.commit().await?;
                break;
            }
            let mut changed = 0;
            for row in &rows {
                let plain = keys
                    .open(&row.message_id, &row.text, Some(&row.key_id))
                    .with_context(|| format!("opening message {}", row.message_id))?;
                let sealed = keys.seal(&row.message_id, &plain);
                if sealed::reseal(&txn, table, row, sealed.text, keys.current_id()).await? {
                    changed += 1;
                }
            }
            txn.commit().await?;
            done.batches += 1;
            match table {
                Table::Messages => done.messages += changed,
                Table::Fanouts => done.fanouts += changed,
            }
        }
    }
    Ok(done)
}
