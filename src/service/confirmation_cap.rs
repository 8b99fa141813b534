//! At most N confirmation emails per recipient address per hour, across
//! every project (`TIDINGS_CONFIRMATIONS_PER_ADDRESS_HOUR`), so nobody can
//! use tidings to flood an inbox with subscription requests. Counted in
//! the database, inside the subscribing transaction, so the cap holds on
//! every node, across restarts, and for re-posted, re-created and changed
//! subscriptions alike: whatever queues a confirmation email counts.
use sea_orm::{ConnectionTrait, DbErr};

use crate::domain::email_address::EmailAddress;
use crate::domain::tokens;
use crate::store::confirmation_sends;

pub const WINDOW_MS: i64 = 3_600_000;

/// Records one confirmation email to each of `addresses`, or, when any of
/// them already had `cap` in the last hour, records nothing and returns
/// the seconds until one more may go.
pub async fn record(
    db: &impl ConnectionTrait,
    addresses: &[&EmailAddress],
    cap: u32,
    now: i64,
) -> Result<Result<(), u64>, DbErr> {
    confirmation_sends::forget_before(db, now - WINDOW_MS).await?;
    let hashes: Vec<String> = addresses.iter().map(|a| address_hash(a)).collect();
    let cap = cap as usize;
    for hash in &hashes {
        let sent = confirmation_sends::since(db, hash, now - WINDOW_MS).await?;
        if sent.len() >= cap {
            // The send that has to leave the window before one more fits.
            let frees_at = sent[sent.len() - cap.max(1)] + WINDOW_MS;
            let secs = (frees_at - now).max(0) as u64;
            return Ok(Err(secs.div_ceil(1000).max(1)));
        }
    }
    for hash in &hashes {
        confirmation_sends::insert(db, hash, now).await?;
    }
    Ok(Ok(()))
}

/// Addresses are compared in lower case: `A@X` and `a@x` are one inbox
/// as far as flooding goes.
fn address_hash(address: &EmailAddress) -> String {
    tokens::hash(&address.as_str().to_lowercase())
}
