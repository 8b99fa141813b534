mod cli;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use tidings::config::{variables, AuthMode, Settings};
use tidings::domain::masking::mask_password;
use tidings::drivers::email::MailUrl;
use tidings::startup::{Application, BuildOptions};

#[derive(Parser)]
#[command(
    name = "tidings",
    version,
    about = "Queue subscriptions and notifications (email, webhooks) with a Zaqar v2 compatible API",
    after_help = env_help()
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the HTTP API and run the workers
    /// until SIGINT or SIGTERM.
    #[command(after_help = env_help())]
    Serve,
    /// Apply pending database migrations and exit.
    #[command(after_help = env_help())]
    Migrate,
    /// API tokens for TIDINGS_AUTH=token: create (shown once), list, revoke.
    /// Works on the database directly, with the server's configuration.
    #[command(after_help = env_help())]
    Token(cli::token::TokenArgs),
    /// Bounce intake for an MTA pipe transport: reads one DSN or ARF
    /// report on stdin and records it (suppressing the address when it
    /// says so). Works on the database directly, with the server's
    /// configuration.
    #[command(after_help = env_help())]
    Bounce(cli::bounce::BounceArgs),
    /// Re-encrypt the message bodies sealed by an old message key
    /// (TIDINGS_MESSAGE_OLD_KEYS) with TIDINGS_MESSAGE_KEY, in batches.
    /// Works on the database directly, with the server's configuration.
    #[command(name = "rotate-key", after_help = env_help())]
    RotateKey(cli::rotate_key::RotateKeyArgs),
    /// The client commands: an HTTP client of a running server.
    #[command(flatten)]
    Client(Box<cli::Command>),
}

fn env_help() -> String {
    let mut out = String::from(
        "Configuration: environment variables, or the same keys in lower case without \
         TIDINGS_ in the TOML file named by TIDINGS_CONFIG (a sample: tidings.example.toml); \
         a variable that is set wins over the file.\n",
    );
    let variables = variables();
    let width = variables
        .iter()
        .map(|(name, _, _)| name.len())
        .max()
        .unwrap_or(0);
    for (name, meaning, default) in &variables {
        out.push_str(&format!(
            "  {name:<width$}  {meaning}\n  {:<width$}  default: {default}\n",
            ""
        ));
    }
    out
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Client(command) = cli.command {
        // A client needs none of the server's settings.
        return cli::run(*command, Cli::command());
    }
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(err) => {
            eprintln!("tidings: configuration error: {err:#}");
            return ExitCode::from(2);
        }
    };
    if let Command::Token(args) = cli.command {
        // No log lines here: stdout carries the token and nothing else.
        return cli::token::run(args, settings);
    }
    if let Command::Bounce(args) = cli.command {
        return cli::bounce::run(args, settings);
    }
    tidings::telemetry::init(settings.log_format, &settings.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("tidings: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve => serve(settings).await,
            Command::Migrate => migrate(settings).await,
            Command::RotateKey(args) => cli::rotate_key::run(args, settings).await,
            Command::Client(_) | Command::Token(_) | Command::Bounce(_) => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %format!("{err:#}"), "tidings stopped with an error");
            eprintln!("tidings: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let bind = settings.bind.clone();
    let public = settings.public_url();
    let mail = MailUrl::parse(&settings.mail_url)?;
    let confirmation = format!("{:?}", settings.require_confirmation).to_lowercase();
    let allow_nets = settings.webhook_allow_nets.join(",");
    let auth = format!("{:?}", settings.auth_mode()).to_lowercase();
    if settings.auth.is_some()
        && settings.auth_mode() == AuthMode::None
        && !settings.bind_is_loopback()
    {
        tracing::warn!(
            bind = %bind,
            "TIDINGS_AUTH=none on an address other machines can reach: anyone who reaches it can read and write every project"
        );
    }
    let database = mask_password(&settings.database_url).into_owned();
    let app = Application::build(settings, BuildOptions::default()).await?;
    tracing::info!(
        bind = %bind,
        port = app.port(),
        public_url = %public,
        database = %database,
        mail = %mail.describe(),
        require_confirmation = %confirmation,
        auth = %auth,
        webhook_allow_nets = %allow_nets,
        "tidings is serving"
    );
    if let MailUrl::File { dir } = &mail {
        // The zero-setup default: say where the mail is and that the
        // confirmation links are in this log, so nobody hunts for them.
        tracing::info!(
            dir = %dir.display(),
            "emails are written to files, not sent; each confirmation link is also logged here"
        );
    }
    app.run_until_stopped().await?;
    tracing::info!("tidings stopped");
    Ok(())
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let db = tidings::store::db::connect(&settings.database_url).await?;
    tidings::store::db::migrate(&db).await?;
    let database = mask_password(&settings.database_url).into_owned();
    tracing::info!(database = %database, "migrations applied");
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_tree_is_consistent() {
        // clap's own checks: no two arguments with one name or id, etc.
        super::Cli::command().debug_assert();
    }
}
