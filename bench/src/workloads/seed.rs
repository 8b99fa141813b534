//! W7 prefill: a large database, filled through the API, that triggers no
//! deliveries. Messages go to queues without subscriptions, subscriptions to
//! queues that get no messages; W1 and W2 then run again beside this data.
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Result};
use clap::Args;
use serde_json::{json, Value};

use crate::api::{self, run_requests, ApiConfig, RequestMaker};
use crate::stats::round3;

#[derive(Debug, Args)]
pub struct SeedArgs {
    #[arg(long)]
    pub url: String,
    #[arg(long, default_value_t = 1_000_000)]
    pub messages: usize,
    #[arg(long, default_value_t = 100_000)]
    pub subscriptions: usize,
    /// Messages per POST.
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    #[arg(long, default_value_t = 100)]
    pub message_queues: usize,
    #[arg(long, default_value_t = 1000)]
    pub subscription_queues: usize,
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    #[arg(long, default_value = "bench")]
    pub project: String,
}

/// Fourteen days: the longest TTL Zaqar allows, so nothing expires mid-run.
const TTL: u64 = 1_209_600;

fn batch_body(first: usize, count: usize) -> Vec<u8> {
    let items: Vec<String> = (first..first + count)
        .map(|i| format!(r#"{{"ttl":{TTL},"body":{{"seed":{i},"note":"prefill"}}}}"#))
        .collect();
    format!(r#"{{"messages":[{}]}}"#, items.join(",")).into_bytes()
}

pub async fn run(a: SeedArgs) -> Result<Value> {
    let cfg = ApiConfig::new(&a.url, &a.project)?;
    let mq = a.message_queues.max(1);
    let sq = a.subscription_queues.max(1);
    let batch = a.batch.max(1);
    let t0 = Instant::now();

    let make: RequestMaker = Arc::new(move |k| {
        if k < mq {
            api::put_queue(&format!("seed-m-{k}"))
        } else {
            api::put_queue(&format!("seed-s-{}", k - mq))
        }
    });
    let queues = run_requests(&cfg, mq + sq, a.concurrency, make).await;
    if let Some(e) = api::first_failure(&queues, &[201, 204]) {
        bail!("creating seed queues failed: {e}");
    }

    let total = a.messages;
    let posts = total.div_ceil(batch);
    let make: RequestMaker = Arc::new(move |p| {
        let first = p * batch;
        let count = batch.min(total - first);
        api::post_messages(&format!("seed-m-{}", p % mq), batch_body(first, count))
    });
    let t_m = Instant::now();
    let results = run_requests(&cfg, posts, a.concurrency, make).await;
    let messages_s = t_m.elapsed().as_secs_f64();
    let message_failures = results
        .iter()
        .filter(|r| !matches!(r, Ok(resp) if resp.status == 201))
        .count();
    let first_message_failure = api::first_failure(&results, &[201]);
    drop(results);

    let make: RequestMaker = Arc::new(move |i| {
        // Port 9 (discard): never contacted, these queues get no messages.
        api::subscribe(
            &format!("seed-s-{}", i % sq),
            &format!("http://127.0.0.1:9/seed/{i}"),
            TTL,
        )
    });
    let t_s = Instant::now();
    let results = run_requests(&cfg, a.subscriptions, a.concurrency, make).await;
    let subscriptions_s = t_s.elapsed().as_secs_f64();
    let subscription_failures = results
        .iter()
        .filter(|r| !matches!(r, Ok(resp) if resp.status == 201))
        .count();
    let first_subscription_failure = api::first_failure(&results, &[201]);

    Ok(json!({
        "workload": "seed",
        "url": a.url,
        "messages": total,
        "message_posts": posts,
        "message_failures": message_failures,
        "first_message_failure": first_message_failure,
        "messages_s": round3(messages_s),
        "messages_per_s": if messages_s > 0.0 { (total as f64 / messages_s).round() } else { 0.0 },
        "subscriptions": a.subscriptions,
        "subscription_failures": subscription_failures,
        "first_subscription_failure": first_subscription_failure,
        "subscriptions_s": round3(subscriptions_s),
        "total_s": round3(t0.elapsed().as_secs_f64()),
        "complete": message_failures == 0 && subscription_failures == 0,
    }))
}
