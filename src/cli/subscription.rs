//! `tidings subscription list|show|create|update|delete|confirm`.
use clap::Subcommand;
use reqwest::Method;
use serde_json::{json, Map, Value};

use super::error::{CliError, CliResult};
use super::json_arg;
use super::mask;
use super::output::{notice, status_tone, text_of, yes_no, Column};
use super::Ctx;

const PAGE: usize = 20;

#[derive(Subcommand)]
pub enum Verb {
    /// List a queue's subscriptions (every page)
    List {
        queue: String,
        /// At most this many subscriptions
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Show one subscription
    Show { queue: String, id: String },
    /// Subscribe a mailto:, http(s): or amqp: URI to a queue
    Create {
        queue: String,
        /// e.g. mailto:ops@example.com, https://hooks.example.com/in, amqp://host/?exchange=pulp
        subscriber: String,
        /// Seconds the subscription lives (default 3600)
        #[arg(long, value_name = "SECONDS")]
        ttl: Option<u64>,
        /// Options, a JSON object, e.g. '{"event_types": ["repo.sync.*"], "subject": "pulp"}'
        #[arg(long, value_parser = json_arg::object, value_name = "JSON")]
        options: Option<Map<String, Value>>,
    },
    /// Change a subscription's subscriber, ttl or options
    Update {
        queue: String,
        id: String,
        /// A new subscriber URI
        #[arg(long, value_name = "URI")]
        subscriber: Option<String>,
        /// A new ttl; the subscription then lives this long from now
        #[arg(long, value_name = "SECONDS")]
        ttl: Option<u64>,
        /// New options, a JSON object; they replace all the current options
        #[arg(long, value_parser = json_arg::object, value_name = "JSON")]
        options: Option<Map<String, Value>>,
    },
    /// Delete a subscription
    Delete { queue: String, id: String },
    /// Confirm a subscription as its owner would (or --unsubscribe it)
    Confirm {
        queue: String,
        id: String,
        /// Unsubscribe instead: the subscription is kept but receives nothing
        #[arg(long)]
        unsubscribe: bool,
    },
}

pub async fn run(ctx: &Ctx, verb: Verb) -> CliResult<()> {
    match verb {
        Verb::List { queue, limit } => {
            let items = list_all(ctx, &queue, limit).await?;
            ctx.out.list(
                &Value::Array(items.clone()),
                &items,
                &with_status(LIST_COLUMNS, &items),
            )
        }
        Verb::Show { queue, id } => show(ctx, &get(ctx, &queue, &id).await?),
        Verb::Create {
            queue,
            subscriber,
            ttl,
            options,
        } => create(ctx, &queue, &subscriber, ttl, options).await,
        Verb::Update {
            queue,
            id,
            subscriber,
            ttl,
            options,
        } => {
            let mut patch = Map::new();
            if let Some(s) = subscriber {
                patch.insert("subscriber".into(), json!(s));
            }
            if let Some(t) = ttl {
                patch.insert("ttl".into(), json!(t));
            }
            if let Some(o) = options {
                patch.insert("options".into(), Value::Object(o));
            }
            if patch.is_empty() {
                return Err(CliError::usage(
                    "nothing to change: give --subscriber, --ttl or --options",
                ));
            }
            ctx.client
                .call(
                    Method::PATCH,
                    url(ctx, &queue, &id),
                    Some(&Value::Object(patch)),
                )
                .await?;
            show(ctx, &get(ctx, &queue, &id).await?)
        }
        Verb::Delete { queue, id } => {
            // Zaqar answers 204 for an unknown id too; say so instead.
            get(ctx, &queue, &id).await?;
            ctx.client
                .call(Method::DELETE, url(ctx, &queue, &id), None)
                .await?;
            ctx.out.done(
                &json!({"id": id, "deleted": true}),
                &id,
                &format!("Deleted subscription {id}."),
            )
        }
        Verb::Confirm {
            queue,
            id,
            unsubscribe,
        } => {
            let mut confirm = url(ctx, &queue, &id);
            if let Ok(mut p) = confirm.path_segments_mut() {
                p.push("confirm");
            }
            ctx.client
                .call(
                    Method::PUT,
                    confirm,
                    Some(&json!({"confirmed": !unsubscribe})),
                )
                .await?;
            let sub = get(ctx, &queue, &id).await?;
            let sentence = if unsubscribe {
                format!("Unsubscribed subscription {id}; it is kept and receives nothing.")
            } else {
                format!("Confirmed subscription {id}.")
            };
            ctx.out.done(&sub, &id, &sentence)
        }
    }
}

fn url(ctx: &Ctx, queue: &str, id: &str) -> url::Url {
    ctx.client
        .url(&["v2", "queues", queue, "subscriptions", id])
}

pub async fn get(ctx: &Ctx, queue: &str, id: &str) -> CliResult<Value> {
    ctx.client.get(url(ctx, queue, id)).await
}

/// Every subscription of a queue, over all pages.
pub async fn list_all(ctx: &Ctx, queue: &str, limit: Option<usize>) -> CliResult<Vec<Value>> {
    let mut url = ctx.client.url(&["v2", "queues", queue, "subscriptions"]);
    url.query_pairs_mut()
        .append_pair("limit", &PAGE.to_string());
    Ok(ctx
        .client
        .pages(Method::GET, url, None, "subscriptions", PAGE, limit)
        .await?
        .items)
}

async fn create(
    ctx: &Ctx,
    queue: &str,
    subscriber: &str,
    ttl: Option<u64>,
    options: Option<Map<String, Value>>,
) -> CliResult<()> {
    let mut body = json!({"subscriber": subscriber});
    if let Some(t) = ttl {
        body["ttl"] = json!(t);
    }
    if let Some(o) = &options {
        body["options"] = Value::Object(o.clone());
    }
    let reply = ctx
        .client
        .call(
            Method::POST,
            ctx.client.url(&["v2", "queues", queue, "subscriptions"]),
            Some(&body),
        )
        .await?;
    let id = reply.body["subscription_id"]
        .as_str()
        .ok_or_else(|| CliError::other("the server's answer has no subscription_id"))?
        .to_string();
    let sub = get(ctx, queue, &id).await?;
    if !matches_request(&sub, ttl, options.as_ref()) {
        notice(&format!(
            "note: {} already had subscription {id} on {queue}; its ttl and options are unchanged (use `tidings subscription update`)",
            mask::uri(subscriber)
        ));
    }
    show(ctx, &sub)
}

/// Whether the stored subscription has the ttl and options asked for
/// (Zaqar answers a repeated subscribe with the existing one, unchanged).
pub fn matches_request(
    sub: &Value,
    ttl: Option<u64>,
    options: Option<&Map<String, Value>>,
) -> bool {
    let ttl_ok = ttl.is_none_or(|t| sub["ttl"].as_u64() == Some(t));
    let options_ok = options.is_none_or(|o| {
        o.iter()
            .filter(|(k, _)| k.as_str() != "signing_secret")
            .all(|(k, v)| sub["options"].get(k) == Some(v))
    });
    ttl_ok && options_ok
}

/// Options as shown in a table: secrets masked.
fn options_text(sub: &Value) -> String {
    let mut options = sub.get("options").cloned().unwrap_or(Value::Null);
    if let Some(map) = options.as_object_mut() {
        if map.contains_key("signing_secret") {
            map.insert("signing_secret".into(), json!("***"));
        }
    }
    text_of(Some(&options))
}

fn status_text(sub: &Value) -> String {
    text_of(sub.get("status"))
}

const LIST_COLUMNS: [Column; 6] = [
    Column::new("id", "Id", |s| text_of(s.get("id"))).whole(),
    Column::new("subscriber", "Subscriber", |s| {
        mask::uri(&text_of(s.get("subscriber")))
    }),
    Column::new("ttl", "TTL (s)", |s| text_of(s.get("ttl"))),
    Column::new("confirmed", "Confirmed", |s| yes_no(s.get("confirmed"))).toned(status_tone),
    Column::new("status", "Status", status_text).toned(status_tone),
    Column::new("options", "Options", options_text),
];

const SHOW_FIELDS: [Column; 8] = [
    Column::new("id", "Id", |s| text_of(s.get("id"))).whole(),
    Column::new("queue", "Queue", |s| text_of(s.get("source"))),
    Column::new("subscriber", "Subscriber", |s| {
        mask::uri(&text_of(s.get("subscriber")))
    }),
    Column::new("ttl", "TTL (s)", |s| text_of(s.get("ttl"))),
    Column::new("age", "Age (s)", |s| text_of(s.get("age"))),
    Column::new("confirmed", "Confirmed", |s| yes_no(s.get("confirmed"))).toned(status_tone),
    Column::new("status", "Status", status_text).toned(status_tone),
    Column::new("options", "Options", options_text),
];

fn show(ctx: &Ctx, sub: &Value) -> CliResult<()> {
    let fields = with_status(SHOW_FIELDS, std::slice::from_ref(sub));
    ctx.out.object(sub, &fields)
}

/// The Status column only when the server reports a status (servers
/// before it only had Zaqar's `confirmed`).
fn with_status<const N: usize>(columns: [Column; N], subs: &[Value]) -> Vec<Column> {
    let has_status = subs.iter().any(|s| s.get("status").is_some());
    columns
        .into_iter()
        .filter(|c| has_status || c.name != "status")
        .collect()
}
