//! `tidings message post|list`.
use std::io::BufRead;

use clap::Subcommand;
use reqwest::Method;
use serde_json::{json, Value};

use super::error::{CliError, CliResult};
use super::json_arg::{self, BodyArg};
use super::output::{notice, text_of, Column};
use super::Ctx;

/// Messages per POST (the batch; Zaqar sets no count limit).
const BATCH: usize = 10;
/// Zaqar's default `max_messages_post_size` is 262144 bytes for the whole
/// body; leave room for the envelope.
const BATCH_BYTES: usize = 256 * 1024 - 1024;
/// Above this many messages a terminal shows a progress bar.
const PROGRESS_FROM: usize = 100;
const PAGE: usize = 20;

#[derive(Subcommand)]
pub enum Verb {
    /// Post one message (BODY_JSON), or one message per line of stdin (`-` or no body)
    Post {
        queue: String,
        /// The message body as JSON, e.g. '{"event_type": "repo.sync.start"}'; `-` reads stdin
        #[arg(value_parser = json_arg::body, value_name = "BODY_JSON|-")]
        body: Option<BodyArg>,
        /// Seconds each message lives (60..1209600; default: the queue's, else 3600)
        #[arg(long, value_name = "SECONDS")]
        ttl: Option<u64>,
        /// Seconds before each message can be read (0..900; needs the queue's _default_message_delay)
        #[arg(long, value_name = "SECONDS")]
        delay: Option<u64>,
    },
    /// List a queue's messages, oldest first
    List {
        queue: String,
        /// At most this many messages
        #[arg(long, value_name = "N", default_value_t = 100, conflicts_with = "all")]
        limit: usize,
        /// Every message, however many
        #[arg(long)]
        all: bool,
        /// Include claimed messages
        #[arg(long)]
        include_claimed: bool,
        /// Include delayed messages
        #[arg(long)]
        include_delayed: bool,
    },
}

pub async fn run(ctx: &Ctx, verb: Verb) -> CliResult<()> {
    match verb {
        Verb::Post {
            queue,
            body,
            ttl,
            delay,
        } => {
            let bodies = match body {
                Some(BodyArg::Json(v)) => vec![v],
                Some(BodyArg::Stdin) | None => read_stdin()?,
            };
            post(ctx, &queue, bodies, ttl, delay).await
        }
        Verb::List {
            queue,
            limit,
            all,
            include_claimed,
            include_delayed,
        } => {
            list(
                ctx,
                &queue,
                (!all).then_some(limit),
                include_claimed,
                include_delayed,
            )
            .await
        }
    }
}

/// Every non-blank line of stdin as a JSON body; a bad line is a usage
/// error before anything is posted.
fn read_stdin() -> CliResult<Vec<Value>> {
    let stdin = std::io::stdin();
    let mut bodies = Vec::new();
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(|e| CliError::usage(format!("stdin line {}: {e}", n + 1)))?;
        if line.trim().is_empty() {
            continue;
        }
        let body = json_arg::any(&line).map_err(|e| {
            CliError::usage(format!("stdin line {}: {e}; nothing was posted", n + 1))
        })?;
        bodies.push(body);
    }
    if bodies.is_empty() {
        return Err(CliError::usage(
            "no messages on stdin (one JSON body per line); nothing was posted",
        ));
    }
    Ok(bodies)
}

/// Groups messages into POST bodies of at most `BATCH` messages and
/// `BATCH_BYTES` bytes, keeping their order.
fn batches(messages: Vec<Value>) -> Vec<Vec<Value>> {
    let mut out: Vec<Vec<Value>> = Vec::new();
    let mut size = 0;
    for m in messages {
        let len = m.to_string().len() + 1;
        match out.last_mut() {
            Some(batch) if batch.len() < BATCH && size + len <= BATCH_BYTES => {
                batch.push(m);
                size += len;
            }
            _ => {
                out.push(vec![m]);
                size = len;
            }
        }
    }
    out
}

async fn post(
    ctx: &Ctx,
    queue: &str,
    bodies: Vec<Value>,
    ttl: Option<u64>,
    delay: Option<u64>,
) -> CliResult<()> {
    let total = bodies.len();
    let messages: Vec<Value> = bodies
        .into_iter()
        .map(|body| {
            let mut m = json!({"body": body});
            if let Some(t) = ttl {
                m["ttl"] = json!(t);
            }
            if let Some(d) = delay {
                m["delay"] = json!(d);
            }
            m
        })
        .collect();
    let progress = if total > PROGRESS_FROM {
        // Drawn on stderr, and only when stderr is a terminal.
        let bar = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40.cyan/blue} {pos}/{len} messages {rate} eta {eta}",
        ) {
            // Whole messages per second ({per_sec} prints four decimals).
            bar.set_style(style.with_key(
                "rate",
                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}/s", state.per_sec());
                },
            ));
        }
        Some(bar)
    } else {
        None
    };
    let url = ctx.client.url(&["v2", "queues", queue, "messages"]);
    let mut ids: Vec<String> = Vec::with_capacity(total);
    for batch in batches(messages) {
        let n = batch.len();
        let reply = ctx
            .client
            .call(Method::POST, url.clone(), Some(&json!({"messages": batch})))
            .await
            .map_err(|e| {
                if let Some(p) = &progress {
                    p.abandon();
                }
                e.after(format!("posted {} of {total} messages, then", ids.len()))
            })?;
        ids.extend(
            reply.body["resources"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter_map(|r| r.rsplit('/').next())
                .map(str::to_string),
        );
        if let Some(p) = &progress {
            p.inc(n as u64);
        }
    }
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    let sentence = match ids.as_slice() {
        [one] => format!("Posted message {one} to queue {queue}."),
        _ => format!("Posted {} messages to queue {queue}.", ids.len()),
    };
    let json = json!({"queue": queue, "posted": ids.len(), "ids": ids});
    ctx.out.text(&json, &ids, &format!("{sentence}\n"))
}

async fn list(
    ctx: &Ctx,
    queue: &str,
    limit: Option<usize>,
    include_claimed: bool,
    include_delayed: bool,
) -> CliResult<()> {
    let mut url = ctx.client.url(&["v2", "queues", queue, "messages"]);
    url.query_pairs_mut()
        .append_pair("limit", &PAGE.to_string())
        // Every message, whoever posted it: this CLI's Client-ID is new
        // on each run anyway.
        .append_pair("echo", "true")
        .append_pair("include_claimed", bool_param(include_claimed))
        .append_pair("include_delayed", bool_param(include_delayed));
    let pages = ctx
        .client
        .pages(Method::GET, url, None, "messages", PAGE, limit)
        .await?;
    if pages.truncated && !ctx.out.json() {
        notice(&format!(
            "(the first {} messages; --limit N or --all for more)",
            pages.items.len()
        ));
    }
    const COLUMNS: [Column; 4] = [
        Column::new("id", "Id", |m| text_of(m.get("id"))).whole(),
        Column::new("age", "Age (s)", |m| text_of(m.get("age"))),
        Column::new("ttl", "TTL (s)", |m| text_of(m.get("ttl"))),
        // Always JSON, so a string body shows its quotes.
        Column::new("body", "Body", |m| {
            m.get("body").map(Value::to_string).unwrap_or_default()
        }),
    ];
    ctx.out
        .list(&Value::Array(pages.items.clone()), &pages.items, &COLUMNS)
}

fn bool_param(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_ten_and_keep_order() {
        let msgs: Vec<Value> = (0..25).map(|i| json!({"body": i})).collect();
        let b = batches(msgs);
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 5]);
        assert_eq!(b[2][4]["body"], 24);
    }

    #[test]
    fn big_messages_get_batches_of_their_own() {
        let big = "x".repeat(150 * 1024);
        let msgs = vec![
            json!({"body": big}),
            json!({"body": big}),
            json!({"body": 1}),
        ];
        let b = batches(msgs);
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), [1, 2]);
    }
}
