//! `tidings routes QUEUE BODY_JSON`: which subscriptions a message with
//! this body would reach, and the reason each other one would not
//! (`POST /v2/queues/{queue}/routes`; nothing is posted).
use clap::Args;
use reqwest::Method;
use serde_json::{json, Value};

use super::error::CliResult;
use super::json_arg;
use super::mask;
use super::output::{status_tone, text_of, write_stdout, yes_no, Column, Format};
use super::Ctx;

const PAGE: usize = 20;

#[derive(Args)]
pub struct RoutesArgs {
    queue: String,
    /// The message body to explain, e.g. '{"event_type": "repo.sync.finish"}'
    #[arg(value_parser = json_arg::any, value_name = "BODY_JSON")]
    body: Value,
}

pub async fn run(ctx: &Ctx, args: RoutesArgs) -> CliResult<()> {
    let mut url = ctx.client.url(&["v2", "queues", &args.queue, "routes"]);
    url.query_pairs_mut()
        .append_pair("limit", &PAGE.to_string());
    let pages = ctx
        .client
        .pages(
            Method::POST,
            url,
            Some(&json!({"body": args.body})),
            "subscriptions",
            PAGE,
            None,
        )
        .await?;
    let event_type = pages
        .first
        .get("event_type")
        .cloned()
        .unwrap_or(Value::Null);
    if ctx.out.format == Format::Table {
        let shown = match &event_type {
            Value::Null => "(none)".to_string(),
            other => text_of(Some(other)),
        };
        write_stdout(&format!("Event type: {shown}\n"))?;
    }
    let json = json!({"event_type": event_type, "subscriptions": pages.items});
    ctx.out.list(&json, &pages.items, &COLUMNS)
}

const COLUMNS: [Column; 5] = [
    Column::new("id", "Id", |s| text_of(s.get("id"))).whole(),
    Column::new("subscriber", "Subscriber", |s| {
        mask::uri(&text_of(s.get("subscriber")))
    }),
    Column::new("notification-type", "Type", |s| {
        text_of(s.get("notification_type"))
    }),
    Column::new("deliver", "Deliver", |s| yes_no(s.get("deliver"))).toned(status_tone),
    Column::new("reason", "Reason", |s| text_of(s.get("reason"))),
];
