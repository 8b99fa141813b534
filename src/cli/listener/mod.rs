//! `tidings listener ...`: Pulp's event listeners as a convenience over
//! subscriptions. A listener is the set of subscriptions of one queue whose
//! `options.listener_id` is its id; its event types are their
//! `options.event_types` (the routing filter). Email listeners have one
//! mailto subscription per address, each confirmed by its owner.
mod create;
mod view;

use clap::Subcommand;
use reqwest::Method;
use serde_json::Value;

use super::error::{CliError, CliResult};
use super::output::notice;
use super::Ctx;

pub use create::{AmqpCreate, EmailCreate, HttpCreate};

/// The option that ties a listener's subscriptions together.
pub const LISTENER_ID: &str = "listener_id";
const PAGE: usize = 20;

#[derive(Subcommand)]
pub enum Verb {
    /// Email listeners: one mailto: subscription per address
    Email {
        #[command(subcommand)]
        verb: EmailVerb,
    },
    /// HTTP listeners: a webhook, with optional basic auth
    Http {
        #[command(subcommand)]
        verb: HttpVerb,
    },
    /// AMQP listeners: publish to a topic exchange of a broker
    Amqp {
        #[command(subcommand)]
        verb: AmqpVerb,
    },
    /// List the event listeners (of every queue, or of one)
    List {
        /// Only this queue's listeners
        #[arg(long)]
        queue: Option<String>,
    },
    /// Delete an event listener: every subscription it is made of
    Delete {
        id: String,
        /// Look only in this queue (faster with many queues)
        #[arg(long)]
        queue: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum EmailVerb {
    /// Create an email listener
    Create(EmailCreate),
}

#[derive(Subcommand)]
pub enum HttpVerb {
    /// Create an HTTP listener
    Create(HttpCreate),
}

#[derive(Subcommand)]
pub enum AmqpVerb {
    /// Create an AMQP listener
    Create(AmqpCreate),
}

pub async fn run(ctx: &Ctx, verb: Verb) -> CliResult<()> {
    match verb {
        Verb::Email {
            verb: EmailVerb::Create(args),
        } => create::email(ctx, args).await,
        Verb::Http {
            verb: HttpVerb::Create(args),
        } => create::http(ctx, args).await,
        Verb::Amqp {
            verb: AmqpVerb::Create(args),
        } => create::amqp(ctx, args).await,
        Verb::List { queue } => {
            let listeners = view::group(&subscriptions(ctx, queue.as_deref()).await?);
            view::print_list(ctx, &listeners)
        }
        Verb::Delete { id, queue } => delete(ctx, &id, queue.as_deref()).await,
    }
}

/// The subscriptions of one queue, or of every queue (queue list, then
/// each queue's subscriptions, all pages), as (queue, subscription).
async fn subscriptions(ctx: &Ctx, queue: Option<&str>) -> CliResult<Vec<(String, Value)>> {
    let queues = match queue {
        Some(q) => vec![q.to_string()],
        None => {
            let mut url = ctx.client.url(&["v2", "queues"]);
            url.query_pairs_mut()
                .append_pair("limit", &PAGE.to_string());
            ctx.client
                .pages(Method::GET, url, None, "queues", PAGE, None)
                .await?
                .items
                .iter()
                .filter_map(|q| q.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        }
    };
    let mut out = Vec::new();
    for q in queues {
        for sub in super::subscription::list_all(ctx, &q, None).await? {
            out.push((q.clone(), sub));
        }
    }
    Ok(out)
}

async fn delete(ctx: &Ctx, id: &str, queue: Option<&str>) -> CliResult<()> {
    let mine: Vec<(String, String)> = subscriptions(ctx, queue)
        .await?
        .into_iter()
        .filter(|(_, s)| view::listener_id(s) == Some(id))
        .filter_map(|(q, s)| Some((q, s.get("id")?.as_str()?.to_string())))
        .collect();
    if mine.is_empty() {
        return Err(CliError::not_found(format!(
            "Event listener {id} does not exist"
        )));
    }
    for (q, sid) in &mine {
        let url = ctx.client.url(&["v2", "queues", q, "subscriptions", sid]);
        ctx.client
            .call(Method::DELETE, url, None)
            .await
            .map_err(|e| e.after(format!("deleting subscription {sid} of listener {id}")))?;
    }
    if !ctx.out.json() && mine.len() > 1 {
        notice(&format!("(removed its {} subscriptions)", mine.len()));
    }
    ctx.out.done(
        &serde_json::json!({
            "id": id,
            "deleted": true,
            "subscriptions": mine.iter().map(|(_, s)| s).collect::<Vec<_>>(),
        }),
        id,
        "Event listener successfully deleted",
    )
}
