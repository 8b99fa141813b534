//! W5: email fan-out. `subs` confirmed `mailto:` subscriptions (the server
//! must run with confirmation off and its mail URL on the in-process SMTP
//! sink), `msgs` messages, and the time until every email has been accepted.
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use clap::Args;
use serde_json::{json, Value};

use crate::api::{self, run_requests, ApiClient, ApiConfig, RequestMaker};
use crate::clock::now_us;
use crate::smtp_sink::SmtpSink;
use crate::stats::{round1, round3};
use crate::workloads::fanout::{message_body, teardown};
use crate::workloads::wait::{self, Bounds};

#[derive(Debug, Args)]
pub struct EmailArgs {
    #[arg(long)]
    pub url: String,
    #[arg(long, default_value_t = 12525)]
    pub smtp_port: u16,
    #[arg(long, default_value_t = 1000)]
    pub subs: usize,
    #[arg(long, default_value_t = 1)]
    pub msgs: usize,
    #[arg(long, default_value_t = 16)]
    pub setup_concurrency: usize,
    #[arg(long, default_value_t = 120.0)]
    pub timeout: f64,
    #[arg(long, default_value_t = 20.0)]
    pub idle: f64,
    #[arg(long, default_value = "bench")]
    pub project: String,
}

pub async fn run(a: EmailArgs) -> Result<Value> {
    let cfg = ApiConfig::new(&a.url, &a.project)?;
    let smtp = SmtpSink::start(a.smtp_port).await?;
    let queue = format!("mail-{}", crate::ids::run_token());
    let result = measure(&a, &cfg, &queue, &smtp).await;
    smtp.stop();
    result
}

async fn measure(a: &EmailArgs, cfg: &ApiConfig, queue: &str, smtp: &SmtpSink) -> Result<Value> {
    ApiClient::new(cfg.clone()).create_queue(queue).await?;
    let q = queue.to_string();
    let make: RequestMaker =
        Arc::new(move |i| api::subscribe(&q, &format!("mailto:bench{i}@example.com"), 3600));
    let subs = run_requests(cfg, a.subs, a.setup_concurrency, make).await;
    let ids: Vec<String> = subs
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .filter_map(|r| api::subscription_id(r).ok())
        .collect();
    if let Some(e) = api::first_failure(&subs, &[201]) {
        teardown(cfg, queue, ids, a.setup_concurrency).await;
        bail!("creating mailto subscriptions failed: {e}");
    }
    // Anything sent before the first POST (a confirmation email, should the
    // server be misconfigured) is not part of the measurement.
    let st = smtp.state.clone();
    let baseline = st.messages.load(Ordering::Relaxed);
    let t0 = Instant::now();
    let t0_us = now_us();
    let q = queue.to_string();
    let make: RequestMaker = Arc::new(move |k| api::post_messages(&q, message_body(k)));
    let posts = run_requests(cfg, a.msgs, 8, make).await;
    let post_failures = posts
        .iter()
        .filter(|r| !matches!(r, Ok(resp) if resp.status == 201))
        .count();
    let expected = (a.subs * a.msgs) as u64;
    let bounds = Bounds {
        timeout: Duration::from_secs_f64(a.timeout),
        idle: Duration::from_secs_f64(a.idle),
    };
    let outcome = wait::until(expected, t0, bounds, || {
        let m = st.messages.load(Ordering::Relaxed) - baseline;
        (m, m + st.connections.load(Ordering::Relaxed))
    })
    .await;
    let received = st.messages.load(Ordering::Relaxed) - baseline;
    let last_us = st.last_us.load(Ordering::Relaxed);
    let first_us = st.first_us.load(Ordering::Relaxed);
    let time_to_first_s = if first_us > t0_us {
        (first_us - t0_us) as f64 / 1e6
    } else {
        0.0
    };
    let time_to_last_s = if last_us > t0_us {
        (last_us - t0_us) as f64 / 1e6
    } else {
        0.0
    };
    teardown(cfg, queue, ids, a.setup_concurrency).await;
    Ok(json!({
        "workload": "email",
        "url": a.url,
        "subs": a.subs,
        "msgs": a.msgs,
        "expected": expected,
        "received": received,
        "lost": expected.saturating_sub(received),
        "extra": received.saturating_sub(expected),
        "recipients": st.recipients.load(Ordering::Relaxed),
        "smtp_port": smtp.port,
        "smtp_connections": st.connections.load(Ordering::Relaxed),
        "post_failures": post_failures,
        "time_to_first_s": round3(time_to_first_s),
        "time_to_last_s": round3(time_to_last_s),
        "emails_per_s": if time_to_last_s > 0.0 { round1(received as f64 / time_to_last_s) } else { 0.0 },
        "complete": received >= expected,
        "outcome": outcome.label(),
    }))
}
