//! `tidings queue list|create|delete|stats|get-metadata|set-metadata`.
use clap::Subcommand;
use reqwest::Method;
use serde_json::{json, Map, Value};

use super::error::{CliError, CliResult};
use super::json_arg;
use super::output::{text_of, Column};
use super::Ctx;

/// Zaqar's page maximum for queue lists.
const PAGE: usize = 20;
const JSON_PATCH: &str = "application/openstack-messaging-v2.0-json-patch";

#[derive(Subcommand)]
pub enum Verb {
    /// List the project's queues (every page, sorted by name)
    List {
        /// Include each queue's metadata
        #[arg(long)]
        detailed: bool,
        /// Only queues whose name contains this text
        #[arg(long, value_name = "TEXT")]
        name: Option<String>,
        /// At most this many queues
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Create a queue; an existing queue is left as it is
    Create {
        queue: String,
        /// Metadata for the new queue, a JSON object, e.g. '{"_default_message_ttl": 300}'
        #[arg(long, value_parser = json_arg::object, value_name = "JSON")]
        metadata: Option<Map<String, Value>>,
    },
    /// Delete a queue and its messages (its subscriptions stay, as in Zaqar)
    Delete { queue: String },
    /// Message counts of a queue, with its oldest and newest message
    Stats { queue: String },
    /// A queue's metadata, reserved keys filled with their defaults
    GetMetadata { queue: String },
    /// Set metadata keys (a JSON object), remove some (--unset), or replace it all
    SetMetadata {
        queue: String,
        /// Keys to set, a JSON object, e.g. '{"team": "ops", "_default_message_ttl": 600}'
        #[arg(value_parser = json_arg::object, value_name = "JSON")]
        metadata: Option<Map<String, Value>>,
        /// Remove this key (may be repeated)
        #[arg(long, value_name = "KEY")]
        unset: Vec<String>,
        /// Remove every key not in JSON (reserved keys go back to their defaults)
        #[arg(long)]
        replace: bool,
    },
}

pub async fn run(ctx: &Ctx, verb: Verb) -> CliResult<()> {
    match verb {
        Verb::List {
            detailed,
            name,
            limit,
        } => list(ctx, detailed, name, limit).await,
        Verb::Create { queue, metadata } => create(ctx, &queue, metadata).await,
        Verb::Delete { queue } => delete(ctx, &queue).await,
        Verb::Stats { queue } => stats(ctx, &queue).await,
        Verb::GetMetadata { queue } => {
            let meta = ctx
                .client
                .get(ctx.client.url(&["v2", "queues", &queue]))
                .await?;
            print_metadata(ctx, &meta)
        }
        Verb::SetMetadata {
            queue,
            metadata,
            unset,
            replace,
        } => set_metadata(ctx, &queue, metadata.unwrap_or_default(), unset, replace).await,
    }
}

async fn list(
    ctx: &Ctx,
    detailed: bool,
    name: Option<String>,
    limit: Option<usize>,
) -> CliResult<()> {
    let mut url = ctx.client.url(&["v2", "queues"]);
    url.query_pairs_mut()
        .append_pair("limit", &PAGE.to_string())
        .append_pair("detailed", if detailed { "true" } else { "false" });
    if let Some(n) = &name {
        url.query_pairs_mut().append_pair("name", n);
    }
    let pages = ctx
        .client
        .pages(Method::GET, url, None, "queues", PAGE, limit)
        .await?;
    let name_col = Column::new("name", "Name", |q| text_of(q.get("name"))).whole();
    let meta_col = Column::new("metadata", "Metadata", |q| text_of(q.get("metadata")));
    let columns = if detailed {
        vec![name_col, meta_col]
    } else {
        vec![name_col]
    };
    ctx.out
        .list(&Value::Array(pages.items.clone()), &pages.items, &columns)
}

async fn create(ctx: &Ctx, queue: &str, metadata: Option<Map<String, Value>>) -> CliResult<()> {
    let body = metadata.clone().map(Value::Object);
    let reply = ctx
        .client
        .call(
            Method::PUT,
            ctx.client.url(&["v2", "queues", queue]),
            body.as_ref(),
        )
        .await?;
    let created = reply.status == 201;
    let sentence = match (created, metadata.is_some()) {
        (true, _) => format!("Created queue {queue}."),
        (false, false) => format!("Queue {queue} already exists."),
        (false, true) => format!(
            "Queue {queue} already exists; its metadata is unchanged (use `tidings queue set-metadata`)."
        ),
    };
    ctx.out.done(
        &json!({"name": queue, "created": created}),
        queue,
        &sentence,
    )
}

async fn delete(ctx: &Ctx, queue: &str) -> CliResult<()> {
    ctx.client
        .call(
            Method::DELETE,
            ctx.client.url(&["v2", "queues", queue]),
            None,
        )
        .await?;
    ctx.out.done(
        &json!({"name": queue, "deleted": true}),
        queue,
        &format!("Deleted queue {queue} and its messages."),
    )
}

async fn stats(ctx: &Ctx, queue: &str) -> CliResult<()> {
    let stats = ctx
        .client
        .get(ctx.client.url(&["v2", "queues", queue, "stats"]))
        .await?;
    const FIELDS: [Column; 7] = [
        Column::new("total", "Total", |s| text_of(s.pointer("/messages/total"))),
        Column::new("free", "Free", |s| text_of(s.pointer("/messages/free"))),
        Column::new("claimed", "Claimed", |s| {
            text_of(s.pointer("/messages/claimed"))
        }),
        Column::new("oldest-age", "Oldest age (s)", |s| {
            text_of(s.pointer("/messages/oldest/age"))
        }),
        Column::new("oldest-created", "Oldest created", |s| {
            text_of(s.pointer("/messages/oldest/created"))
        }),
        Column::new("newest-age", "Newest age (s)", |s| {
            text_of(s.pointer("/messages/newest/age"))
        }),
        Column::new("newest-created", "Newest created", |s| {
            text_of(s.pointer("/messages/newest/created"))
        }),
    ];
    ctx.out.object(&stats, &FIELDS)
}

fn print_metadata(ctx: &Ctx, meta: &Value) -> CliResult<()> {
    let rows: Vec<Value> = meta
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| json!({"key": k, "value": v}))
                .collect()
        })
        .unwrap_or_default();
    const COLUMNS: [Column; 2] = [
        Column::new("key", "Key", |r| text_of(r.get("key"))),
        Column::new("value", "Value", |r| text_of(r.get("value"))),
    ];
    ctx.out.list(meta, &rows, &COLUMNS)
}

/// A JSON pointer segment (RFC 6901 escaping).
fn pointer(key: &str) -> String {
    format!("/metadata/{}", key.replace('~', "~0").replace('/', "~1"))
}

async fn set_metadata(
    ctx: &Ctx,
    queue: &str,
    set: Map<String, Value>,
    unset: Vec<String>,
    replace: bool,
) -> CliResult<()> {
    if let Some(both) = unset.iter().find(|k| set.contains_key(*k)) {
        return Err(CliError::usage(format!("{both:?} is both set and --unset")));
    }
    let mut removals = unset;
    if replace {
        let current = ctx
            .client
            .get(ctx.client.url(&["v2", "queues", queue]))
            .await?;
        for key in current.as_object().map(|m| m.keys()).into_iter().flatten() {
            if !set.contains_key(key) && !removals.contains(key) {
                removals.push(key.clone());
            }
        }
    }
    let mut ops: Vec<Value> = set
        .iter()
        .map(|(k, v)| json!({"op": "add", "path": pointer(k), "value": v}))
        .collect();
    ops.extend(
        removals
            .iter()
            .map(|k| json!({"op": "remove", "path": pointer(k)})),
    );
    if ops.is_empty() {
        return Err(CliError::usage(
            "nothing to change: give a JSON object of keys to set, --unset KEY, or --replace",
        ));
    }
    let reply = ctx
        .client
        .call_raw(
            Method::PATCH,
            ctx.client.url(&["v2", "queues", queue]),
            Some((JSON_PATCH, Value::Array(ops).to_string())),
        )
        .await?;
    print_metadata(ctx, &reply.body)
}

#[cfg(test)]
mod tests {
    #[test]
    fn pointers_escape_slash_and_tilde() {
        assert_eq!(super::pointer("a/b~c"), "/metadata/a~1b~0c");
    }
}
