//! W8: routed fan-out. One queue with 10,000 webhook subscriptions, each
//! with event-type patterns and an attribute filter of its own, and 1% of
//! them matching each posted message. Measures what routing costs the
//! server (CPU per message to decide for every subscription), and how soon
//! the matching deliveries arrive.
//!
//! Subscription `i` wants `w8.g{i % 2}.*` (minus `w8.g{i % 2}.ignored`) and
//! filters on `shard == (i / 2) % 50`, a level that is not debug, a size
//! range whose bound is its own and a tenant prefix. A message of sequence
//! number `k` has event type `w8.g{k % 2}.created` and shard `(k / 2) % 50`,
//! so it passes the patterns of half the subscriptions, the filter of a
//! fiftieth of those: exactly the subscriptions with `i % 100 == k % 100`.
//!
//! Three phases on the same subscriptions:
//! 1. **routing, one at a time**: messages for a single subscription (the
//!    last one: the size bound of every other subscription of its group is
//!    too low), so every pattern and filter is evaluated and one delivery
//!    made; each posted once the previous one has arrived, so no expansion
//!    pass shares its subscription pages with another message: the worst
//!    case.
//! 2. **routing, batched**: the same kind of messages posted together, as a
//!    busy producer would.
//! 3. **delivery**: matching messages; time until every matching delivery
//!    has arrived, and the server's CPU per message including the
//!    deliveries.
//!
//! The server's CPU is `utime + stime` of its process tree over a phase
//! divided by the messages posted in it. Every phase waits on the sink,
//! never on the server, so waiting costs the server nothing.
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use clap::Args;
use serde_json::{json, Value};

use crate::api::{self, run_requests, ApiClient, ApiConfig, RequestMaker};
use crate::clock::now_us;
use crate::cpu::tree_cpu_s;
use crate::rss::{parse_pids, PeakSampler};
use crate::sink::Sink;
use crate::stats::{latency, round1, round3};
use crate::workloads::fanout::teardown;
use crate::workloads::wait::{self, Bounds};

/// One subscription in this many gets each message.
const GROUPS: usize = 100;
/// Sequence numbers of the routing phases start here, so a delivery of one
/// of them is told apart from a delivery of a matching message.
const PROBE_SEQ: usize = 1_000_000;

#[derive(Debug, Args)]
pub struct RoutedFanoutArgs {
    #[arg(long)]
    pub url: String,
    #[arg(long, default_value_t = 10_000)]
    pub subs: usize,
    /// Matching messages (phase 3).
    #[arg(long, default_value_t = 50)]
    pub msgs: usize,
    /// Messages routed one at a time (phase 1).
    #[arg(long, default_value_t = 50)]
    pub probe_msgs: usize,
    /// Messages routed together (phase 2).
    #[arg(long, default_value_t = 200)]
    pub batch_msgs: usize,
    #[arg(long, default_value_t = 8)]
    pub post_concurrency: usize,
    #[arg(long, default_value_t = 16)]
    pub setup_concurrency: usize,
    #[arg(long, default_value_t = 300.0)]
    pub setup_timeout: f64,
    #[arg(long, default_value_t = 19900)]
    pub sink_port: u16,
    #[arg(long, default_value_t = 2)]
    pub sink_workers: usize,
    /// Give up waiting for a phase after this many seconds.
    #[arg(long, default_value_t = 120.0)]
    pub timeout: f64,
    /// ... or after this many seconds without progress.
    #[arg(long, default_value_t = 20.0)]
    pub idle: f64,
    #[arg(long, default_value_t = 1.0)]
    pub settle: f64,
    /// The server's PID (its process tree's CPU time is measured).
    #[arg(long)]
    pub pids: String,
    #[arg(long, default_value = "bench")]
    pub project: String,
}

/// Subscription `i`'s options: its own patterns and filter.
pub fn options_of(i: usize) -> Value {
    let half = i % 2;
    json!({
        "event_types": [format!("w8.g{half}.*"), format!("!w8.g{half}.ignored")],
        "filter": {
            "shard": [(i / 2) % (GROUPS / 2)],
            "level": [{"anything-but": ["debug", "trace"]}],
            "size": [{"numeric": [">=", 0, "<", 1_000_000 + i]}],
            "tenant": [{"prefix": "t"}],
        },
    })
}

/// Message `k` of a phase: for the subscriptions with `i % 100 == k % 100`
/// when `probe` is None; for the last subscription alone when it is
/// `Some(subs)` (its group, and a size only its bound admits).
fn message_body(k: usize, probe: Option<usize>) -> Vec<u8> {
    let (group, size, seq) = match probe {
        None => (k % GROUPS, 512, k),
        Some(subs) => ((subs - 1) % GROUPS, 1_000_000 + subs - 2, PROBE_SEQ + k),
    };
    let body = json!({
        "event_type": format!("w8.g{}.created", group % 2),
        "shard": group / 2,
        "level": "info",
        "size": size,
        "tenant": "t1",
        "seq": seq,
        "t_us": now_us(),
    });
    json!({"messages": [{"ttl": 3600, "body": body}]})
        .to_string()
        .into_bytes()
}

/// Whether subscription `index` of `subs` should have got message `seq`.
fn is_for(subs: usize, index: u32, seq: u32) -> bool {
    if seq as usize >= PROBE_SEQ {
        return index as usize == subs - 1;
    }
    index as usize % GROUPS == seq as usize % GROUPS
}

/// How many of `subs` subscriptions message `k` is for.
fn audience(subs: usize, k: usize) -> u64 {
    (subs / GROUPS + usize::from(k % GROUPS < subs % GROUPS)) as u64
}

pub async fn run(a: RoutedFanoutArgs) -> Result<Value> {
    let cfg = ApiConfig::new(&a.url, &a.project)?;
    let pids = parse_pids(&a.pids)?;
    if pids.is_empty() {
        bail!("--pids: the server's PID is needed to measure its CPU time");
    }
    let queue = format!("routed-{}", crate::ids::run_token());
    let sink = Sink::start(a.sink_port, Some(queue.clone()), a.sink_workers)?;
    let result = measure(&a, &cfg, &queue, &sink, pids).await;
    sink.stop().await;
    result
}

struct Phase {
    cpu_s: f64,
    wall_s: f64,
}

impl Phase {
    fn per_msg_ms(&self, msgs: usize) -> f64 {
        round3(self.cpu_s * 1000.0 / msgs.max(1) as f64)
    }
}

/// Waits until the sink holds `target` unique notifications.
async fn arrived(sink: &Sink, target: u64, a: &RoutedFanoutArgs, since: Instant) -> Result<()> {
    let bounds = Bounds {
        timeout: Duration::from_secs_f64(a.timeout),
        idle: Duration::from_secs_f64(a.idle),
    };
    let state = sink.state.clone();
    let outcome = wait::until_every(target, since, bounds, Duration::from_micros(200), || {
        let s = state.snapshot();
        (s.unique, s.requests)
    })
    .await;
    match outcome {
        wait::Outcome::Complete => Ok(()),
        other => bail!(
            "routing phase ended {} with {} of {target} notifications",
            other.label(),
            sink.state.snapshot().unique
        ),
    }
}

/// Phase 1: `msgs` messages (from number `first`), each posted once the
/// previous one has arrived.
async fn route_one_at_a_time(
    a: &RoutedFanoutArgs,
    cfg: &ApiConfig,
    queue: &str,
    sink: &Sink,
    pids: &[u32],
    (first, msgs): (usize, usize),
) -> Result<Phase> {
    let mut client = ApiClient::new(cfg.clone());
    let mut target = sink.state.snapshot().unique;
    let cpu0 = tree_cpu_s(pids);
    let t0 = Instant::now();
    for k in first..first + msgs {
        client
            .send_ok(
                &api::post_messages(queue, message_body(k, Some(a.subs))),
                &[201],
            )
            .await?;
        target += 1;
        arrived(sink, target, a, t0).await?;
    }
    Ok(Phase {
        cpu_s: tree_cpu_s(pids) - cpu0,
        wall_s: t0.elapsed().as_secs_f64(),
    })
}

/// Phase 2: `msgs` messages (from number `first`) posted at once.
async fn route_batched(
    a: &RoutedFanoutArgs,
    cfg: &ApiConfig,
    queue: &str,
    sink: &Sink,
    pids: &[u32],
    (first, msgs): (usize, usize),
) -> Result<Phase> {
    let target = sink.state.snapshot().unique + msgs as u64;
    let cpu0 = tree_cpu_s(pids);
    let t0 = Instant::now();
    let q = queue.to_string();
    let subs = a.subs;
    let make: RequestMaker =
        Arc::new(move |k| api::post_messages(&q, message_body(first + k, Some(subs))));
    let posts = run_requests(cfg, msgs, a.post_concurrency, make).await;
    if let Some(e) = api::first_failure(&posts, &[201]) {
        bail!("posting the batched routing messages: {e}");
    }
    arrived(sink, target, a, t0).await?;
    Ok(Phase {
        cpu_s: tree_cpu_s(pids) - cpu0,
        wall_s: t0.elapsed().as_secs_f64(),
    })
}

async fn measure(
    a: &RoutedFanoutArgs,
    cfg: &ApiConfig,
    queue: &str,
    sink: &Sink,
    pids: Vec<u32>,
) -> Result<Value> {
    let mut client = ApiClient::new(cfg.clone());
    client.create_queue(queue).await?;
    let port = a.sink_port;
    let t_sub = Instant::now();
    let q = queue.to_string();
    let make: RequestMaker =
        Arc::new(move |i| api::subscribe_with(&q, &Sink::url(port, i), 3600, options_of(i)));
    let created = tokio::time::timeout(
        Duration::from_secs_f64(a.setup_timeout),
        run_requests(cfg, a.subs, a.setup_concurrency, make),
    )
    .await;
    let ids: Vec<String> = match created {
        Ok(results) => {
            if let Some(e) = api::first_failure(&results, &[201]) {
                teardown(cfg, queue, Vec::new(), a.setup_concurrency).await;
                bail!("creating subscriptions failed: {e}");
            }
            results
                .iter()
                .filter_map(|r| r.as_ref().ok())
                .map(api::subscription_id)
                .collect::<Result<_>>()?
        }
        Err(_) => {
            teardown(cfg, queue, Vec::new(), a.setup_concurrency).await;
            bail!(
                "creating {} subscriptions took longer than {} s",
                a.subs,
                a.setup_timeout
            );
        }
    };
    let subscribe_s = t_sub.elapsed().as_secs_f64();
    crate::note!(
        "{queue}: {} routed subscriptions created in {subscribe_s:.1} s",
        a.subs
    );
    let result = phases(a, cfg, queue, sink, &pids, subscribe_s).await;
    let t_clean = Instant::now();
    teardown(cfg, queue, ids, a.setup_concurrency).await;
    crate::note!(
        "{queue}: cleaned up in {:.1} s",
        t_clean.elapsed().as_secs_f64()
    );
    result
}

async fn phases(
    a: &RoutedFanoutArgs,
    cfg: &ApiConfig,
    queue: &str,
    sink: &Sink,
    pids: &[u32],
    subscribe_s: f64,
) -> Result<Value> {
    // A first message compiles every subscription's routing into the
    // server's cache; the phases then measure routing as it runs.
    route_one_at_a_time(a, cfg, queue, sink, pids, (0, 1)).await?;
    let one = route_one_at_a_time(a, cfg, queue, sink, pids, (1, a.probe_msgs)).await?;
    crate::note!(
        "{queue}: {} messages routed one at a time: {:.2} ms CPU each",
        a.probe_msgs,
        one.per_msg_ms(a.probe_msgs)
    );
    let batched =
        route_batched(a, cfg, queue, sink, pids, (1 + a.probe_msgs, a.batch_msgs)).await?;
    crate::note!(
        "{queue}: {} messages routed together: {:.2} ms CPU each",
        a.batch_msgs,
        batched.per_msg_ms(a.batch_msgs)
    );
    let routing_notifications = sink.state.snapshot().unique;

    let sampler = PeakSampler::start(pids.to_vec());
    let cpu0 = tree_cpu_s(pids);
    let t0 = Instant::now();
    let t0_us = now_us();
    let q = queue.to_string();
    let make: RequestMaker = Arc::new(move |k| api::post_messages(&q, message_body(k, None)));
    let posts = run_requests(cfg, a.msgs, a.post_concurrency, make).await;
    let post_phase_s = t0.elapsed().as_secs_f64();
    let post_failures = posts
        .iter()
        .filter(|r| !matches!(r, Ok(resp) if resp.status == 201))
        .count();
    let first_post_failure = api::first_failure(&posts, &[201]);
    let expected: u64 =
        routing_notifications + (0..a.msgs).map(|k| audience(a.subs, k)).sum::<u64>();
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
    let delivery_cpu_s = tree_cpu_s(pids) - cpu0;
    let peak_rss_mb = sampler.finish().await;
    tokio::time::sleep(Duration::from_secs_f64(a.settle.max(0.0))).await;
    let snap = sink.state.snapshot();
    let subs = a.subs;
    let misrouted = sink
        .state
        .count_keys(|index, seq| !is_for(subs, index, seq));
    let delivered = snap.unique - misrouted;
    let delivery_expected = expected - routing_notifications;
    let mut lat = sink.state.take_latencies();
    let lat = latency(&mut lat);
    let time_to_last_s = if snap.last_us > t0_us {
        (snap.last_us - t0_us) as f64 / 1e6
    } else {
        0.0
    };
    let delivery = Phase {
        cpu_s: delivery_cpu_s,
        wall_s: time_to_last_s,
    };
    Ok(json!({
        "workload": "routed-fanout",
        "url": a.url,
        "queue": queue,
        "subs": a.subs,
        "msgs": a.msgs,
        "matching_per_msg": round1(delivery_expected as f64 / a.msgs.max(1) as f64),
        "probe_msgs": a.probe_msgs,
        "batch_msgs": a.batch_msgs,
        "routing_cpu_ms_per_msg": one.per_msg_ms(a.probe_msgs),
        "routing_ms_per_msg": round3(one.wall_s * 1000.0 / a.probe_msgs.max(1) as f64),
        "routing_batched_cpu_ms_per_msg": batched.per_msg_ms(a.batch_msgs),
        "routing_batched_msgs_per_s": round1(a.batch_msgs as f64 / batched.wall_s.max(1e-9)),
        "cpu_ms_per_msg": delivery.per_msg_ms(a.msgs),
        "cpu_us_per_delivery": round1(delivery.cpu_s * 1e6 / delivery_expected.max(1) as f64),
        "expected": expected,
        "delivered_unique": delivered,
        "lost": expected.saturating_sub(delivered),
        "duplicates": snap.duplicates,
        "misrouted": misrouted,
        "strays": snap.strays,
        "unparsed": snap.unparsed,
        "post_failures": post_failures,
        "first_post_failure": first_post_failure,
        "subscribe_s": round3(subscribe_s),
        "post_phase_s": round3(post_phase_s),
        "time_to_last_s": round3(delivery.wall_s),
        "deliveries_per_s": if delivery.wall_s > 0.0 { round1(delivered.saturating_sub(routing_notifications) as f64 / delivery.wall_s) } else { 0.0 },
        "complete": delivered >= expected && misrouted == 0,
        "outcome": outcome.label(),
        "peak_rss_mb": round1(peak_rss_mb),
        "latency_p50_ms": lat.p50_ms,
        "latency_p99_ms": lat.p99_ms,
        "latency_max_ms": lat.max_ms,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_percent_of_the_subscriptions_match_each_message() {
        let subs = 10_000;
        for k in [0, 1, 2, 57, 99, 100, 12_345] {
            let matching: Vec<usize> = (0..subs)
                .filter(|&i| is_for(subs, i as u32, k as u32))
                .collect();
            assert_eq!(matching.len() as u64, audience(subs, k));
            assert_eq!(matching.len(), 100);
            assert!(matching.iter().all(|i| i % 100 == k % 100));
        }
        assert_eq!(audience(150, 30), 2);
        assert_eq!(audience(150, 70), 1);
        assert!(!is_for(subs, 0, PROBE_SEQ as u32));
        assert!(is_for(subs, 9_999, PROBE_SEQ as u32 + 3));
    }

    #[test]
    fn the_options_are_what_routing_decides_by() {
        // The shard each subscription filters on and the event-type group
        // it wants together pick i % 100.
        for i in [0usize, 1, 2, 99, 100, 9_999] {
            let o = options_of(i);
            assert_eq!(o["filter"]["shard"][0], (i / 2) % 50);
            assert_eq!(o["event_types"][0], format!("w8.g{}.*", i % 2));
        }
        let body: Value = serde_json::from_slice(&message_body(7, None)).unwrap();
        let m = &body["messages"][0]["body"];
        assert_eq!(m["event_type"], "w8.g1.created");
        assert_eq!(m["shard"], 3);
        // A probe is for the last subscription alone: its group (99: odd,
        // shard 49), and a size only its own bound admits.
        let probe: Value = serde_json::from_slice(&message_body(7, Some(10_000))).unwrap();
        let p = &probe["messages"][0]["body"];
        assert_eq!(p["event_type"], "w8.g1.created");
        assert_eq!(p["shard"], 49);
        assert_eq!(p["seq"], PROBE_SEQ + 7);
        let last = options_of(9_999);
        assert_eq!(last["filter"]["shard"][0], 49);
        let bound = |o: &Value| o["filter"]["size"][0]["numeric"][3].as_u64().unwrap();
        let size = p["size"].as_u64().unwrap();
        assert!(size < bound(&last));
        assert!(size >= bound(&options_of(9_899)));
    }
}
