//! `tidings listener email|http|amqp create`: the subscriptions of a new
//! listener, all with the same `options.listener_id` and
//! `options.event_types`. Nothing is created when one of them would collide
//! with an existing subscription; a failure half-way removes what this
//! command created.
use clap::Args;
use reqwest::Method;
use serde_json::{json, Map, Value};
use url::Url;

use super::view::{self, Listener};
use super::LISTENER_ID;
use crate::cli::error::{CliError, CliResult};
use crate::cli::mask;
use crate::cli::Ctx;

/// Listeners do not expire in practice: ten years, the longest ttl
/// tidings accepts.
const LISTENER_TTL: u64 = 10 * 365 * 86_400;

#[derive(Args)]
pub struct Common {
    /// The queue whose messages the listener hears
    #[arg(long)]
    queue: String,
    /// An event type to hear, e.g. repo.sync.start; may be repeated; '*' matches all
    #[arg(long = "event-type", value_name = "TYPE", required = true)]
    event_types: Vec<String>,
    /// Seconds the listener lives [default: ten years]
    #[arg(long, value_name = "SECONDS", default_value_t = LISTENER_TTL, hide_default_value = true)]
    ttl: u64,
}

#[derive(Args)]
pub struct EmailCreate {
    #[command(flatten)]
    common: Common,
    /// The email's subject
    #[arg(long)]
    subject: String,
    /// Comma-separated addresses that receive the notifications (no spaces)
    #[arg(long, value_delimiter = ',', required = true, value_name = "ADDRESSES")]
    addresses: Vec<String>,
    /// The From header (default: the server's TIDINGS_MAIL_FROM)
    #[arg(long, value_name = "MAILBOX")]
    from: Option<String>,
}

#[derive(Args)]
pub struct HttpCreate {
    #[command(flatten)]
    common: Common,
    /// The URL that receives each event report by POST
    #[arg(long)]
    url: String,
    /// Basic auth user name
    #[arg(long, requires = "password")]
    username: Option<String>,
    /// Basic auth password (kept in the subscriber URI, never printed)
    #[arg(long, requires = "username")]
    password: Option<String>,
}

#[derive(Args)]
pub struct AmqpCreate {
    #[command(flatten)]
    common: Common,
    /// The topic exchange to publish to [default: the server's TIDINGS_AMQP_EXCHANGE, amq.topic]
    #[arg(long)]
    exchange: Option<String>,
    /// The broker, amqp://[user:pass@]host[:port][/vhost] or amqps://...
    #[arg(long, default_value = "amqp://localhost:5672")]
    url: String,
}

pub async fn email(ctx: &Ctx, args: EmailCreate) -> CliResult<()> {
    let mut subscribers = Vec::new();
    for raw in &args.addresses {
        let address = raw.trim();
        let well_formed = address.matches('@').count() == 1
            && !address.starts_with('@')
            && !address.ends_with('@')
            && !address
                .chars()
                .any(|c| c.is_whitespace() || "?&<>\"';:,".contains(c));
        if !well_formed {
            return Err(CliError::usage(format!(
                "--addresses: {address:?} is not an email address (comma-separated, no spaces)"
            )));
        }
        let subscriber = format!("mailto:{address}");
        if subscribers.contains(&subscriber) {
            return Err(CliError::usage(format!(
                "--addresses: {address} is listed twice"
            )));
        }
        subscribers.push(subscriber);
    }
    let mut options = Map::new();
    options.insert("subject".into(), json!(args.subject));
    if let Some(from) = args.from {
        options.insert("from".into(), json!(from));
    }
    let listener = create(ctx, &args.common, subscribers, options).await?;
    let note = "Each address gets a confirmation email, and receives notifications once its owner confirms.\n";
    finish(ctx, &listener, note)
}

pub async fn http(ctx: &Ctx, args: HttpCreate) -> CliResult<()> {
    let mut url = Url::parse(&args.url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| {
            CliError::usage(format!(
                "--url must be an http(s) URL, not {:?}",
                mask::uri(&args.url)
            ))
        })?;
    if let (Some(user), Some(password)) = (&args.username, &args.password) {
        url.set_username(user)
            .and_then(|()| url.set_password(Some(password)))
            .map_err(|()| CliError::usage("--url cannot carry a user name"))?;
    }
    let listener = create(ctx, &args.common, vec![url.to_string()], Map::new()).await?;
    finish(ctx, &listener, "")
}

pub async fn amqp(ctx: &Ctx, args: AmqpCreate) -> CliResult<()> {
    let mut url = Url::parse(&args.url)
        .ok()
        .filter(|u| matches!(u.scheme(), "amqp" | "amqps"))
        .ok_or_else(|| {
            CliError::usage(format!(
                "--url must be an amqp:// or amqps:// URL, not {:?}",
                mask::uri(&args.url)
            ))
        })?;
    if let Some(exchange) = &args.exchange {
        let others: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "exchange")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.set_query(None);
        url.query_pairs_mut()
            .extend_pairs(others)
            .append_pair("exchange", exchange);
    }
    let listener = create(ctx, &args.common, vec![url.to_string()], Map::new()).await?;
    finish(ctx, &listener, "")
}

fn finish(ctx: &Ctx, listener: &Listener, note: &str) -> CliResult<()> {
    let text = format!(
        "Event listener successfully created\nId: {}\n{note}",
        listener.id
    );
    ctx.out.text(
        &listener.to_json(),
        std::slice::from_ref(&listener.id),
        &text,
    )
}

async fn create(
    ctx: &Ctx,
    common: &Common,
    subscribers: Vec<String>,
    mut options: Map<String, Value>,
) -> CliResult<Listener> {
    if let Some(bad) = common.event_types.iter().find(|t| t.trim().is_empty()) {
        return Err(CliError::usage(format!("--event-type {bad:?} is empty")));
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    options.insert(LISTENER_ID.into(), json!(id));
    options.insert("event_types".into(), json!(common.event_types));
    let queue = &common.queue;

    // A subscriber already on the queue would come back as the existing
    // subscription, unchanged: refuse before creating anything.
    let existing = crate::cli::subscription::list_all(ctx, queue, None).await?;
    for s in &subscribers {
        if let Some(other) = existing
            .iter()
            .find(|e| same_subscriber(e["subscriber"].as_str().unwrap_or_default(), s))
        {
            return Err(
                taken(s, other, queue).after(format!("{}: nothing was created", mask::uri(s)))
            );
        }
    }

    let mut made: Vec<Value> = Vec::new();
    let body = |subscriber: &str| json!({"subscriber": subscriber, "ttl": common.ttl, "options": Value::Object(options.clone())});
    let url = ctx.client.url(&["v2", "queues", queue, "subscriptions"]);
    for s in &subscribers {
        let result = async {
            let reply = ctx
                .client
                .call(Method::POST, url.clone(), Some(&body(s)))
                .await?;
            let sid = reply.body["subscription_id"]
                .as_str()
                .ok_or_else(|| CliError::other("the server's answer has no subscription_id"))?
                .to_string();
            let sub = crate::cli::subscription::get(ctx, queue, &sid).await?;
            if view::listener_id(&sub) != Some(id.as_str()) {
                // Created by someone else since we looked.
                return Err(taken(s, &sub, queue));
            }
            Ok(sub)
        }
        .await;
        match result {
            Ok(sub) => made.push(sub),
            Err(e) => {
                undo(ctx, queue, &made).await;
                let context = if made.is_empty() {
                    format!("{}: nothing was created", mask::uri(s))
                } else {
                    format!("{}: the listener was not created", mask::uri(s))
                };
                return Err(e.after(context));
            }
        }
    }
    Ok(Listener {
        id,
        queue: queue.clone(),
        subscriptions: made,
    })
}

fn same_subscriber(a: &str, b: &str) -> bool {
    a == b || mask::without_credentials(a) == mask::without_credentials(b)
}

fn taken(subscriber: &str, other: &Value, queue: &str) -> CliError {
    let id = other["id"].as_str().unwrap_or("?");
    let whose = match view::listener_id(other) {
        Some(l) => format!("of listener {l}"),
        None => "not part of a listener".into(),
    };
    CliError::Api {
        status: 409,
        title: "Resource conflict".into(),
        description: Some(format!(
            "{} already has subscription {id} on queue {queue} ({whose}); delete it or use another queue",
            mask::uri(subscriber)
        )),
    }
}

/// Best effort: the command failed, so remove what it made.
async fn undo(ctx: &Ctx, queue: &str, made: &[Value]) {
    for sub in made {
        if let Some(sid) = sub["id"].as_str() {
            let url = ctx
                .client
                .url(&["v2", "queues", queue, "subscriptions", sid]);
            let _ = ctx.client.call(Method::DELETE, url, None).await;
        }
    }
}
