//! `tidings rotate-key`: re-encrypts every message body (and fan-out
//! payload) sealed by an old message key with the current one, in bounded
//! batches, working on the database directly with the server's settings.
//! Run it after setting the new `TIDINGS_MESSAGE_KEY` and listing the old
//! one in `TIDINGS_MESSAGE_OLD_KEYS`; when it ends, the old key may go.
use clap::Args;

use tidings::config::Settings;
use tidings::service::message_keys;

#[derive(Args, Debug)]
pub struct RotateKeyArgs {
    /// Rows re-encrypted per transaction.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub batch: u64,
}

pub async fn run(args: RotateKeyArgs, settings: Settings) -> anyhow::Result<()> {
    let db = tidings::store::db::connect(&settings.database_url).await?;
    tidings::store::db::migrate(&db).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let keys = message_keys::resolve(&db, &settings, now).await?;
    let done = message_keys::rotate(&db, &keys, args.batch).await?;
    println!(
        "re-encrypted {} messages and {} fan-out jobs in {} batches with message key {}; no row needs another key now, so TIDINGS_MESSAGE_OLD_KEYS may be emptied",
        done.messages,
        done.fanouts,
        done.batches,
        keys.current_id()
    );
    Ok(())
}
