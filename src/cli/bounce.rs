//! `tidings bounce < message`: bounce intake for an MTA pipe transport.
//! Like `tidings token` it opens the database directly (the server's own
//! configuration), so it works while the server is down too.
//!
//! Exit status as MTAs read it: 0 once the report is recorded (acted on,
//! or kept as unmatched: bouncing a bounce helps nobody), 75 (EX_TEMPFAIL)
//! when the database could not take it, so the MTA keeps the message and
//! tries again, and 64 for usage errors.
use std::io::Read;
use std::process::ExitCode;

use clap::Args;
use tidings::clock::{Clock, SystemClock};
use tidings::config::Settings;
use tidings::service::bounces;

#[derive(Args)]
#[command(
    after_help = "Reads one message (a DSN or an ARF report) on stdin. Opens the database named by TIDINGS_DATABASE_URL (or TIDINGS_CONFIG), as `tidings serve` does; TIDINGS_BOUNCE_ADDRESS must be the server's."
)]
pub struct BounceArgs {
    /// The address the MTA received the report for (exim:
    /// $local_part$local_part_suffix@$domain), when the message itself
    /// does not say
    #[arg(long, value_name = "ADDRESS")]
    recipient: Option<String>,
}

/// The largest report read; anything longer is cut (see
/// `bounces::MAX_RAW_KEPT`).
const MAX_READ: u64 = 10 * 1024 * 1024;

const EX_TEMPFAIL: u8 = 75;

pub fn run(args: BounceArgs, settings: Settings) -> ExitCode {
    let mut raw = Vec::new();
    if let Err(e) = std::io::stdin().take(MAX_READ).read_to_end(&mut raw) {
        eprintln!("tidings bounce: cannot read the message on stdin: {e}");
        return ExitCode::from(EX_TEMPFAIL);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("tidings bounce: cannot start the async runtime: {e}");
            return ExitCode::from(EX_TEMPFAIL);
        }
    };
    match runtime.block_on(intake(&settings, &raw, args.recipient.as_deref())) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tidings bounce: {e:#}");
            ExitCode::from(EX_TEMPFAIL)
        }
    }
}

async fn intake(
    settings: &Settings,
    raw: &[u8],
    recipient: Option<&str>,
) -> anyhow::Result<String> {
    if settings.bounce_address.is_none() {
        // Recorded all the same, for audit; but nothing can match.
        eprintln!(
            "tidings bounce: TIDINGS_BOUNCE_ADDRESS is not set, so no delivery can be matched: set it as the server has it"
        );
    }
    let db = tidings::store::db::connect(&settings.database_url).await?;
    tidings::store::db::migrate(&db).await?;
    let processed = bounces::intake(
        &db,
        &bounces::Settings {
            bounce_address: settings.bounce_address.as_deref(),
            soft_bounce_limit: settings.soft_bounce_limit,
        },
        raw,
        recipient,
        SystemClock.now_ms(),
    )
    .await?;
    Ok(bounces::summary(&processed.row))
}
