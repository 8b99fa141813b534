//! W4: post-to-arrival latency at a steady rate. Open-loop POSTs at `--rate`
//! per second into a queue with one webhook subscriber (the sink); each body
//! carries its send time, the sink subtracts it from the arrival time.
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Args;
use serde_json::{json, Value};

use crate::api::{ApiClient, ApiConfig};
use crate::loadgen::{self, LoadSpec};
use crate::sink::Sink;
use crate::stats::{latency, round1};
use crate::workloads::fanout::{subscribe_all, teardown};
use crate::workloads::wait::{self, Bounds};

#[derive(Debug, Args)]
pub struct LatencyArgs {
    #[arg(long)]
    pub url: String,
    /// Messages per second, in total.
    #[arg(long)]
    pub rate: f64,
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    #[arg(long, default_value_t = 1)]
    pub subs: usize,
    /// Connections available to the open-loop sender; a send that finds
    /// none free waits, and that wait is reported as send lag.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    #[arg(long, default_value_t = 256)]
    pub body_bytes: usize,
    #[arg(long, default_value_t = 19901)]
    pub sink_port: u16,
    #[arg(long, default_value_t = 2)]
    pub sink_workers: usize,
    /// Seconds without any arrival after which waiting stops.
    #[arg(long, default_value_t = 10.0)]
    pub idle: f64,
    #[arg(long, default_value_t = 60.0)]
    pub timeout: f64,
    #[arg(long, default_value = "bench")]
    pub project: String,
}

pub async fn run(a: LatencyArgs) -> Result<Value> {
    let cfg = ApiConfig::new(&a.url, &a.project)?;
    let queue = format!("lat-{}", crate::ids::run_token());
    let sink = Sink::start(a.sink_port, Some(queue.clone()), a.sink_workers)?;
    let result = measure(&a, &cfg, &queue, &sink).await;
    sink.stop().await;
    result
}

async fn measure(a: &LatencyArgs, cfg: &ApiConfig, queue: &str, sink: &Sink) -> Result<Value> {
    ApiClient::new(cfg.clone()).create_queue(queue).await?;
    let port = a.sink_port;
    let ids = match subscribe_all(
        cfg,
        queue,
        a.subs,
        16,
        Arc::new(move |i| Sink::url(port, i)),
    )
    .await
    {
        Ok(ids) => ids,
        Err(e) => {
            teardown(cfg, queue, Vec::new(), 16).await;
            return Err(e);
        }
    };
    let spec = LoadSpec {
        path: cfg.target.path(&format!("/v2/queues/{queue}/messages")),
        target: cfg.target.clone(),
        client_id: cfg.client_id.clone(),
        project: cfg.project.clone(),
        concurrency: a.concurrency,
        duration: Duration::from_secs_f64(a.duration.max(0.1)),
        warmup: Duration::ZERO,
        close: false,
        body_bytes: a.body_bytes,
        rate: Some(a.rate.max(1.0)),
        timeout: Duration::from_secs(10),
    };
    let t0 = Instant::now();
    let mut load = loadgen::run(spec).await;
    let expected = load.ok_all * a.subs as u64;
    let state = sink.state.clone();
    let bounds = Bounds {
        timeout: Duration::from_secs_f64(a.timeout),
        idle: Duration::from_secs_f64(a.idle),
    };
    let outcome = wait::until(expected, t0, bounds, || {
        let s = state.snapshot();
        (s.unique, s.requests)
    })
    .await;
    let snap = sink.state.snapshot();
    let lat = latency(&mut sink.state.take_latencies());
    let lag = latency(&mut load.send_lag_us);
    teardown(cfg, queue, ids, 16).await;
    Ok(json!({
        "workload": "latency",
        "url": a.url,
        "rate_target": a.rate,
        // Every accepted post over the sending window, answers that came
        // after the window included: what the sender managed to offer.
        "rate_achieved": round1(load.ok_all as f64 / load.measured_s),
        "duration_s": load.measured_s,
        "subs": a.subs,
        "posted": load.ok_all,
        "post_non_2xx": load.non_2xx,
        "post_errors": load.errors.total(),
        "expected": expected,
        "delivered_unique": snap.unique,
        "lost": expected.saturating_sub(snap.unique),
        "duplicates": snap.duplicates,
        "complete": snap.unique >= expected,
        "outcome": outcome.label(),
        "p50_ms": lat.p50_ms,
        "p99_ms": lat.p99_ms,
        "max_ms": lat.max_ms,
        "send_lag_p99_ms": lag.p99_ms,
    }))
}
