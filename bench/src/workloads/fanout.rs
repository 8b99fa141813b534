//! W2 (100 subscribers x 200 messages) and W3 (10,000 subscribers x 1
//! message): webhook fan-out into the in-process sink. Measures how fast a
//! posted message becomes deliveries, whether any is lost or doubled, and
//! the server's peak memory while it works.
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use clap::Args;
use serde_json::{json, Value};

use crate::api::{self, run_requests, ApiClient, ApiConfig, RequestMaker};
use crate::clock::now_us;
use crate::rss::{parse_pids, PeakSampler};
use crate::sink::Sink;
use crate::stats::{latency, round1, round3};
use crate::workloads::wait::{self, Bounds};

#[derive(Debug, Args)]
pub struct FanoutArgs {
    #[arg(long)]
    pub url: String,
    #[arg(long, default_value_t = 100)]
    pub subs: usize,
    #[arg(long, default_value_t = 200)]
    pub msgs: usize,
    /// POSTs in flight while posting the messages.
    #[arg(long, default_value_t = 8)]
    pub post_concurrency: usize,
    /// Requests in flight while creating and deleting subscriptions.
    #[arg(long, default_value_t = 16)]
    pub setup_concurrency: usize,
    /// Give up when creating the subscriptions takes longer than this many
    /// seconds (Zaqar's Redis store slows down quadratically with them).
    #[arg(long, default_value_t = 300.0)]
    pub setup_timeout: f64,
    #[arg(long, default_value_t = 19900)]
    pub sink_port: u16,
    #[arg(long, default_value_t = 2)]
    pub sink_workers: usize,
    /// Give up waiting for deliveries after this many seconds.
    #[arg(long, default_value_t = 120.0)]
    pub timeout: f64,
    /// ... or after this many seconds without any request reaching the sink.
    #[arg(long, default_value_t = 20.0)]
    pub idle: f64,
    /// Seconds to keep listening after completion, to catch late duplicates.
    #[arg(long, default_value_t = 1.0)]
    pub settle: f64,
    /// Server PIDs whose process trees' RSS is sampled (comma-separated).
    #[arg(long, default_value = "")]
    pub pids: String,
    #[arg(long, default_value = "bench")]
    pub project: String,
}

/// Creates `n` webhook subscriptions `url_of(i)` on `queue`; returns the IDs.
pub async fn subscribe_all(
    cfg: &ApiConfig,
    queue: &str,
    n: usize,
    concurrency: usize,
    url_of: Arc<dyn Fn(usize) -> String + Send + Sync>,
) -> Result<Vec<String>> {
    let q = queue.to_string();
    let make: RequestMaker = Arc::new(move |i| api::subscribe(&q, &url_of(i), 3600));
    let results = run_requests(cfg, n, concurrency, make).await;
    if let Some(e) = api::first_failure(&results, &[201]) {
        bail!("creating subscriptions failed: {e}");
    }
    results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(api::subscription_id)
        .collect()
}

/// Deletes the subscriptions (by ID, then whatever a listing still shows)
/// and the queue, so the next run starts clean. Best effort: a failure here
/// is reported, not fatal to the result already measured.
pub async fn teardown(cfg: &ApiConfig, queue: &str, ids: Vec<String>, concurrency: usize) {
    let q = queue.to_string();
    let ids = Arc::new(ids);
    let n = ids.len();
    let idv = ids.clone();
    let make: RequestMaker = Arc::new(move |i| api::delete_subscription(&q, &idv[i]));
    let results = run_requests(cfg, n, concurrency, make).await;
    if let Some(e) = api::first_failure(&results, &[204, 404]) {
        crate::note!("deleting subscriptions of {queue}: {e}");
    }
    let mut client = ApiClient::new(cfg.clone());
    match client.list_subscription_ids(queue).await {
        Ok(left) => {
            for id in left {
                if let Err(e) = client
                    .send_ok(&api::delete_subscription(queue, &id), &[204, 404])
                    .await
                {
                    crate::note!("{e:#}");
                }
            }
        }
        Err(e) => crate::note!("listing subscriptions of {queue}: {e:#}"),
    }
    if let Err(e) = client.delete_queue(queue).await {
        crate::note!("deleting queue {queue}: {e:#}");
    }
}

/// The body of message `seq`: Zaqar hands `body` to subscribers as is.
pub fn message_body(seq: usize) -> Vec<u8> {
    format!(
        r#"{{"messages":[{{"ttl":3600,"body":{{"seq":{seq},"t_us":{}}}}}]}}"#,
        now_us()
    )
    .into_bytes()
}

pub async fn run(a: FanoutArgs) -> Result<Value> {
    let cfg = ApiConfig::new(&a.url, &a.project)?;
    let pids = parse_pids(&a.pids)?;
    let queue = format!("fan-{}", crate::ids::run_token());
    let sink = Sink::start(a.sink_port, Some(queue.clone()), a.sink_workers)?;
    let result = measure(&a, &cfg, &queue, &sink, pids).await;
    sink.stop().await;
    result
}

async fn measure(
    a: &FanoutArgs,
    cfg: &ApiConfig,
    queue: &str,
    sink: &Sink,
    pids: Vec<u32>,
) -> Result<Value> {
    let mut client = ApiClient::new(cfg.clone());
    client.create_queue(queue).await?;
    let port = a.sink_port;
    let t_sub = Instant::now();
    let ids = tokio::time::timeout(
        Duration::from_secs_f64(a.setup_timeout),
        subscribe_all(
            cfg,
            queue,
            a.subs,
            a.setup_concurrency,
            Arc::new(move |i| Sink::url(port, i)),
        ),
    )
    .await
    .unwrap_or_else(|_| {
        Err(anyhow::anyhow!(
            "creating {} subscriptions took longer than {} s",
            a.subs,
            a.setup_timeout
        ))
    });
    let ids = match ids {
        Ok(ids) => ids,
        Err(e) => {
            // The IDs are unknown here; teardown lists and deletes them.
            teardown(cfg, queue, Vec::new(), a.setup_concurrency).await;
            return Err(e);
        }
    };
    let subscribe_s = t_sub.elapsed().as_secs_f64();
    crate::note!(
        "{queue}: {} subscriptions created in {subscribe_s:.1} s",
        a.subs
    );

    let sampler = PeakSampler::start(pids);
    let t0 = Instant::now();
    let t0_us = now_us();
    let q = queue.to_string();
    let make: RequestMaker = Arc::new(move |k| api::post_messages(&q, message_body(k)));
    let posts = run_requests(cfg, a.msgs, a.post_concurrency, make).await;
    let post_phase_s = t0.elapsed().as_secs_f64();
    crate::note!("{queue}: {} messages posted in {post_phase_s:.2} s", a.msgs);
    let post_failures = posts
        .iter()
        .filter(|r| !matches!(r, Ok(resp) if resp.status == 201))
        .count();
    let first_post_failure = api::first_failure(&posts, &[201]);

    let expected = (a.subs * a.msgs) as u64;
    let bounds = Bounds {
        timeout: Duration::from_secs_f64(a.timeout),
        idle: Duration::from_secs_f64(a.idle),
    };
    let state = sink.state.clone();
    let outcome = wait::until(expected, t0, bounds, || {
        let s = state.snapshot();
        (s.unique, s.requests)
    })
    .await;
    let peak_rss_mb = sampler.finish().await;
    crate::note!(
        "{queue}: waiting ended ({}) after {:.1} s",
        outcome.label(),
        t0.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs_f64(a.settle.max(0.0))).await;
    let snap = sink.state.snapshot();
    let mut lat = sink.state.take_latencies();
    let lat = latency(&mut lat);

    let since_t0 = |us: u64| us.saturating_sub(t0_us) as f64 / 1e6;
    let time_to_first_s = if snap.first_us > 0 {
        since_t0(snap.first_us)
    } else {
        0.0
    };
    let time_to_last_s = if snap.last_us > t0_us {
        (snap.last_us - t0_us) as f64 / 1e6
    } else {
        0.0
    };
    let t_clean = Instant::now();
    teardown(cfg, queue, ids, a.setup_concurrency).await;
    crate::note!(
        "{queue}: cleaned up in {:.1} s",
        t_clean.elapsed().as_secs_f64()
    );
    Ok(json!({
        "workload": "fanout",
        "url": a.url,
        "queue": queue,
        "subs": a.subs,
        "msgs": a.msgs,
        "expected": expected,
        "delivered_unique": snap.unique,
        "lost": expected.saturating_sub(snap.unique),
        "duplicates": snap.duplicates,
        "requests_received": snap.requests,
        "unparsed": snap.unparsed,
        "strays": snap.strays,
        "post_failures": post_failures,
        "first_post_failure": first_post_failure,
        "subscribe_s": round3(subscribe_s),
        "post_phase_s": round3(post_phase_s),
        "time_to_first_s": round3(time_to_first_s),
        "time_to_last_s": round3(time_to_last_s),
        "deliveries_per_s": if time_to_last_s > 0.0 { round1(snap.unique as f64 / time_to_last_s) } else { 0.0 },
        "complete": snap.unique >= expected,
        "outcome": outcome.label(),
        "peak_rss_mb": round1(peak_rss_mb),
        "latency_p50_ms": lat.p50_ms,
        "latency_p99_ms": lat.p99_ms,
        "latency_max_ms": lat.max_ms,
        "cleanup_s": round3(t_clean.elapsed().as_secs_f64()),
    }))
}
