//! The `tidings` command-line client: `openstack messaging`-shaped verbs
//! and Pulp-shaped event listeners, all over the HTTP API (never the
//! store). One file per verb group; `client` speaks HTTP, `output` prints.
pub mod bounce;
mod client;
mod completions;
mod delivery;
mod error;
mod json_arg;
mod listener;
mod mask;
mod message;
mod output;
mod queue;
pub mod rotate_key;
mod routes;
mod subscription;
pub mod token;

use std::process::ExitCode;

use clap::{Args, Subcommand};

use client::{Client, Connection};
use error::{CliError, CliResult};
use output::{Out, OutputArgs};

#[derive(Subcommand)]
pub enum Command {
    /// Create, list, inspect and delete queues
    Queue(Group<queue::Verb>),
    /// Post messages to a queue and list them
    Message(Group<message::Verb>),
    /// Manage a queue's subscriptions (mailto:, http(s): and amqp: subscribers)
    Subscription(Group<subscription::Verb>),
    /// A subscription's delivery log, and redelivery of failed deliveries
    Delivery(Group<delivery::Verb>),
    /// Which subscriptions a message would reach, and why the others would not
    Routes(Single<routes::RoutesArgs>),
    /// Pulp-style event listeners (email, http, amqp) made of subscriptions
    Listener(Group<listener::Verb>),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(completions::CompletionArgs),
    /// Print the man page, or write one page per command into a directory
    Man(completions::ManArgs),
}

/// A verb group: the connection and output options, then the verb.
#[derive(Args)]
#[command(after_help = ENV_HELP)]
pub struct Group<V: Subcommand> {
    #[command(flatten)]
    conn: Connection,
    #[command(flatten)]
    out: OutputArgs,
    #[command(subcommand)]
    verb: V,
}

/// A verb that stands alone (`tidings routes`): the same options, then
/// its arguments.
#[derive(Args)]
#[command(after_help = ENV_HELP)]
pub struct Single<A: Args> {
    #[command(flatten)]
    conn: Connection,
    #[command(flatten)]
    out: OutputArgs,
    #[command(flatten)]
    args: A,
}

const ENV_HELP: &str = "Environment: TIDINGS_URL (default http://127.0.0.1:8888), TIDINGS_PROJECT, TIDINGS_TOKEN; flags win.
Exit status: 0 done, 1 the API refused or could not be reached, 2 the command line (or its input) is wrong.";

/// What a verb needs: the API client and the printer.
pub struct Ctx {
    pub client: Client,
    pub out: Out,
}

/// Runs a client command; `app` is the whole command tree (for
/// completions and the man page).
pub fn run(command: Command, app: clap::Command) -> ExitCode {
    let result = match command {
        Command::Completions(args) => completions::completions(&args, app),
        Command::Man(args) => completions::man(&args, app),
        other => match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime.block_on(dispatch(other)),
            Err(e) => Err(CliError::other(format!(
                "cannot start the async runtime: {e}"
            ))),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::StdoutClosed) => ExitCode::SUCCESS,
        Err(err) => {
            let style = anstyle::Style::new()
                .bold()
                .fg_color(Some(anstyle::AnsiColor::Red.into()));
            let mut stderr = anstream::stderr().lock();
            let _ = std::io::Write::write_fmt(
                &mut stderr,
                format_args!("{style}error:{style:#} {err}\n"),
            );
            err.exit_code()
        }
    }
}

fn ctx(conn: &Connection, out: &OutputArgs) -> CliResult<Ctx> {
    Ok(Ctx {
        client: Client::new(conn)?,
        out: Out::new(out),
    })
}

async fn dispatch(command: Command) -> CliResult<()> {
    match command {
        Command::Queue(g) => queue::run(&ctx(&g.conn, &g.out)?, g.verb).await,
        Command::Message(g) => message::run(&ctx(&g.conn, &g.out)?, g.verb).await,
        Command::Subscription(g) => subscription::run(&ctx(&g.conn, &g.out)?, g.verb).await,
        Command::Delivery(g) => delivery::run(&ctx(&g.conn, &g.out)?, g.verb).await,
        Command::Routes(s) => routes::run(&ctx(&s.conn, &s.out)?, s.args).await,
        Command::Listener(g) => listener::run(&ctx(&g.conn, &g.out)?, g.verb).await,
        Command::Completions(_) | Command::Man(_) => Ok(()),
    }
}
