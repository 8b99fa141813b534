//! W1: single-message POSTs, keep-alive or `Connection: close`, closed loop
//! (or open loop at `--rate`). The request rate the API sustains is the
//! number every other workload leans on.
use std::time::Duration;

use anyhow::Result;
use clap::Args;
use serde_json::{json, Value};

use crate::api::{ApiClient, ApiConfig};
use crate::loadgen::{self, LoadSpec};
use crate::stats::{latency, round1};

#[derive(Debug, Args)]
pub struct PostArgs {
    /// Base URL of the server under test (loopback only).
    #[arg(long)]
    pub url: String,
    #[arg(long, default_value = "bench")]
    pub queue: String,
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Measured seconds (after the warmup).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of unmeasured load first (connections, caches, JIT-less but
    /// allocator-warm).
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Send `Connection: close`: one TCP connection per request.
    #[arg(long)]
    pub close: bool,
    #[arg(long, default_value_t = 1024)]
    pub body_bytes: usize,
    /// Open loop at this many requests per second in total.
    #[arg(long)]
    pub rate: Option<f64>,
    #[arg(long, default_value = "bench")]
    pub project: String,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub request_timeout: f64,
}

pub async fn run(a: PostArgs) -> Result<Value> {
    let cfg = ApiConfig::new(&a.url, &a.project)?;
    // The ceiling answers 201 to anything, a real server creates the queue;
    // either way a failure here must not stop the load (the numbers will say).
    if let Err(e) = ApiClient::new(cfg.clone()).create_queue(&a.queue).await {
        crate::note!("creating queue {} failed (ignored): {e:#}", a.queue);
    }
    let spec = LoadSpec {
        path: cfg.target.path(&format!("/v2/queues/{}/messages", a.queue)),
        target: cfg.target.clone(),
        client_id: cfg.client_id.clone(),
        project: a.project.clone(),
        concurrency: a.concurrency,
        duration: Duration::from_secs_f64(a.duration.max(0.1)),
        warmup: Duration::from_secs_f64(a.warmup.max(0.0)),
        close: a.close,
        body_bytes: a.body_bytes,
        rate: a.rate.filter(|r| *r > 0.0),
        timeout: Duration::from_secs_f64(a.request_timeout.max(0.1)),
    };
    let mut r = loadgen::run(spec).await;
    let lat = latency(&mut r.latencies_us);
    let lag = latency(&mut r.send_lag_us);
    Ok(json!({
        "workload": "post",
        "url": a.url,
        "mode": if a.close { "close" } else { "keep-alive" },
        "concurrency": a.concurrency,
        "body_bytes": a.body_bytes,
        "rate_target": a.rate,
        "requests": r.requests,
        "ok_2xx": r.ok_2xx,
        "non_2xx": r.non_2xx,
        "errors": r.errors.total(),
        "errors_connect": r.errors.connect,
        "errors_read": r.errors.read,
        "errors_write": r.errors.write,
        "errors_timeout": r.errors.timeout,
        "rps": round1(r.ok_2xx as f64 / r.measured_s),
        "p50_ms": lat.p50_ms,
        "p99_ms": lat.p99_ms,
        "max_ms": lat.max_ms,
        "send_lag_p99_ms": lag.p99_ms,
        "duration_s": r.measured_s,
        "first_non_2xx": r.first_non_2xx,
    }))
}
