//! `tidings delivery list|retry`: a subscription's delivery log (every
//! attempt, email and webhook alike) and redelivery of dead letters.
use clap::{Subcommand, ValueEnum};
use reqwest::Method;
use serde_json::Value;

use super::error::{CliError, CliResult};
use super::output::{notice, status_tone, text_of, Column};
use super::Ctx;

const PAGE: usize = 20;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Status {
    Pending,
    Delivered,
    Failed,
    Skipped,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Delivered => "delivered",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }
}

#[derive(Subcommand)]
pub enum Verb {
    /// A subscription's deliveries with their attempts, newest first
    List {
        queue: String,
        subscription: String,
        /// Only deliveries in this state (failed = dead letters)
        #[arg(long, value_enum)]
        status: Option<Status>,
        /// At most this many deliveries
        #[arg(long, value_name = "N", default_value_t = 100, conflicts_with = "all")]
        limit: usize,
        /// Every delivery, however many
        #[arg(long)]
        all: bool,
    },
    /// Send failed deliveries again (one more attempt each)
    Retry {
        queue: String,
        subscription: String,
        /// Delivery ids (from `tidings delivery list`)
        #[arg(value_name = "DELIVERY_ID", required_unless_present = "all_failed")]
        ids: Vec<String>,
        /// Every failed delivery of the subscription
        #[arg(long, conflicts_with = "ids")]
        all_failed: bool,
    },
}

pub async fn run(ctx: &Ctx, verb: Verb) -> CliResult<()> {
    match verb {
        Verb::List {
            queue,
            subscription,
            status,
            limit,
            all,
        } => {
            let pages = list(ctx, &queue, &subscription, status, (!all).then_some(limit)).await?;
            if pages.1 && !ctx.out.json() {
                notice(&format!(
                    "(the newest {} deliveries; --limit N or --all for more)",
                    pages.0.len()
                ));
            }
            ctx.out
                .list(&Value::Array(pages.0.clone()), &pages.0, &COLUMNS)
        }
        Verb::Retry {
            queue,
            subscription,
            ids,
            all_failed,
        } => {
            let ids = if all_failed {
                list(ctx, &queue, &subscription, Some(Status::Failed), None)
                    .await?
                    .0
                    .iter()
                    .map(|d| text_of(d.get("id")))
                    .collect()
            } else {
                ids
            };
            retry(ctx, &queue, &subscription, ids).await
        }
    }
}

async fn list(
    ctx: &Ctx,
    queue: &str,
    subscription: &str,
    status: Option<Status>,
    limit: Option<usize>,
) -> CliResult<(Vec<Value>, bool)> {
    let mut url = ctx.client.url(&[
        "v2",
        "queues",
        queue,
        "subscriptions",
        subscription,
        "deliveries",
    ]);
    url.query_pairs_mut()
        .append_pair("limit", &PAGE.to_string());
    if let Some(s) = status {
        url.query_pairs_mut().append_pair("status", s.as_str());
    }
    let pages = ctx
        .client
        .pages(Method::GET, url, None, "deliveries", PAGE, limit)
        .await?;
    Ok((pages.items, pages.truncated))
}

async fn retry(ctx: &Ctx, queue: &str, subscription: &str, ids: Vec<String>) -> CliResult<()> {
    if ids.is_empty() {
        return ctx.out.text(
            &Value::Array(vec![]),
            &[],
            "No failed deliveries to retry.\n",
        );
    }
    let mut done = Vec::new();
    let mut failures = Vec::new();
    for id in &ids {
        let url = ctx.client.url(&[
            "v2",
            "queues",
            queue,
            "subscriptions",
            subscription,
            "deliveries",
            id,
            "retry",
        ]);
        match ctx.client.call(Method::POST, url, None).await {
            Ok(reply) => done.push(reply.body),
            Err(e) => failures.push(e.after(format!("delivery {id}"))),
        }
    }
    if ids.len() == 1 {
        if let Some(e) = failures.pop() {
            return Err(e);
        }
    }
    ctx.out.list(&Value::Array(done.clone()), &done, &COLUMNS)?;
    if failures.is_empty() {
        return Ok(());
    }
    for e in &failures {
        notice(&format!("error: {e}"));
    }
    Err(CliError::other(format!(
        "{} of {} retries failed",
        failures.len(),
        ids.len()
    )))
}

fn last_attempt(d: &Value) -> String {
    let Some(a) = d["attempts"].as_array().and_then(|a| a.last()) else {
        return String::new();
    };
    let mut text = format!("{} {}", text_of(a.get("at")), text_of(a.get("outcome")));
    let detail = text_of(a.get("detail"));
    if !detail.is_empty() {
        text.push_str(": ");
        text.push_str(&detail);
    }
    text
}

const COLUMNS: [Column; 7] = [
    Column::new("id", "Id", |d| text_of(d.get("id"))).whole(),
    Column::new("kind", "Kind", |d| text_of(d.get("kind"))),
    Column::new("message", "Message", |d| text_of(d.get("message_id"))).whole(),
    Column::new("status", "Status", |d| text_of(d.get("status"))).toned(status_tone),
    Column::new("attempts", "Attempts", |d| {
        d["attempts"]
            .as_array()
            .map(|a| a.len().to_string())
            .unwrap_or_default()
    }),
    Column::new("last-attempt", "Last attempt", last_attempt),
    Column::new("next-attempt", "Next attempt", |d| {
        text_of(d.get("next_attempt_at"))
    }),
];
