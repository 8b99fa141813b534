//! tidings-bench: load generators, sinks and the report for benchmarking
//! tidings against the real Zaqar server and a loopback ceiling.
//! The runbook (`bench/run.sh`, `bench/README.md`) strings these together.
mod api;
mod ceiling;
mod clock;
mod cpu;
mod http_client;
mod http_response;
mod ids;
mod loadgen;
mod output;
mod pick;
mod report;
mod rss;
mod sink;
mod smtp_sink;
mod stats;
mod target;
mod workloads;

use anyhow::Result;
use clap::{Parser, Subcommand};

use workloads::{amqp_fanout, email, fanout, idle_rss, latency, post, routed_fanout, seed};

#[derive(Debug, Parser)]
#[command(name = "tidings-bench", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve `201 Created` to anything: the loopback ceiling.
    Ceiling {
        #[arg(long, default_value = "127.0.0.1:18890")]
        bind: String,
        #[arg(long, default_value_t = 2)]
        workers: usize,
    },
    /// The webhook sink alone (the workloads start their own in-process).
    Sink {
        #[arg(long, default_value_t = 19900)]
        port: u16,
        #[arg(long, default_value_t = 2)]
        workers: usize,
        /// Stop after this many seconds instead of at Ctrl-C.
        #[arg(long)]
        seconds: Option<f64>,
    },
    /// W1: single-message POSTs (keep-alive or --close; --rate for open loop).
    Post(post::PostArgs),
    /// W2/W3: webhook fan-out into the in-process sink.
    Fanout(fanout::FanoutArgs),
    /// W8: fan-out to 10,000 subscriptions with their own event types and
    /// filters, 1% matching each message: routing's CPU cost per message.
    RoutedFanout(routed_fanout::RoutedFanoutArgs),
    /// W9: AMQP fan-out into a real RabbitMQ, counted by a consumer on `#`.
    AmqpFanout(amqp_fanout::AmqpFanoutArgs),
    /// W4: post-to-arrival latency at a fixed rate.
    Latency(latency::LatencyArgs),
    /// W5: email fan-out into the in-process SMTP sink.
    Email(email::EmailArgs),
    /// W7: prefill messages and subscriptions through the API.
    Seed(seed::SeedArgs),
    /// W6: resident memory of process trees.
    Rss(idle_rss::RssArgs),
    /// Write the Markdown and JSON report of a run directory.
    Report(report::ReportArgs),
    /// Print one aggregated number from result files (for scripts).
    Pick(pick::PickArgs),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse().command).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The whole cause chain on one line, without a backtrace: the
            // runbook logs this next to the workload's name.
            eprintln!("tidings-bench: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<()> {
    let result = match command {
        Command::Ceiling { bind, workers } => return ceiling::serve(&bind, workers).await,
        Command::Pick(a) => {
            println!("{}", pick::run(a)?);
            return Ok(());
        }
        Command::Sink {
            port,
            workers,
            seconds,
        } => sink::standalone(port, workers, seconds).await?,
        Command::Post(a) => post::run(a).await?,
        Command::Fanout(a) => fanout::run(a).await?,
        Command::RoutedFanout(a) => routed_fanout::run(a).await?,
        Command::AmqpFanout(a) => amqp_fanout::run(a).await?,
        Command::Latency(a) => latency::run(a).await?,
        Command::Email(a) => email::run(a).await?,
        Command::Seed(a) => seed::run(a).await?,
        Command::Rss(a) => idle_rss::run(a)?,
        Command::Report(a) => report::run(a)?,
    };
    output::emit(&result);
    Ok(())
}
