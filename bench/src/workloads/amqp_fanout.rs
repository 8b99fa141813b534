//! W9: AMQP fan-out (by default 100 subscriptions × 200 messages) into a
//! real RabbitMQ. Each subscription publishes to an exchange of its own
//! (subscriptions are unique by URI); one consumer queue is bound to all of
//! them with `#` and counts each (subscription, seq) once, so a loss or a
//! duplicate shows. tidings counts a delivery only when the broker confirmed
//! it, so what the consumer counts are confirmed publishes.
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use futures_util::StreamExt;
use lapin::options::{
    BasicConsumeOptions, BasicQosOptions, ExchangeDeclareOptions, ExchangeDeleteOptions,
    QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties, ExchangeKind};
use serde_json::{json, Value};

use crate::api::{self, run_requests, ApiClient, ApiConfig, RequestMaker};
use crate::clock::now_us;
use crate::rss::{parse_pids, PeakSampler};
use crate::sink::SinkState;
use crate::stats::{latency, round1, round3};
use crate::workloads::fanout::{message_body, subscribe_all, teardown};
use crate::workloads::wait::{self, Bounds};

#[derive(Debug, Args)]
pub struct AmqpFanoutArgs {
    #[arg(long)]
    pub url: String,
    /// The broker tidings publishes to and the counting consumer reads from.
    #[arg(long, default_value = "amqp://guest:guest@127.0.0.1:5672/%2f")]
    pub amqp_url: String,
    #[arg(long, default_value_t = 100)]
    pub subs: usize,
    #[arg(long, default_value_t = 200)]
    pub msgs: usize,
    #[arg(long, default_value_t = 8)]
    pub post_concurrency: usize,
    #[arg(long, default_value_t = 16)]
    pub setup_concurrency: usize,
    #[arg(long, default_value_t = 300.0)]
    pub setup_timeout: f64,
    #[arg(long, default_value_t = 120.0)]
    pub timeout: f64,
    #[arg(long, default_value_t = 20.0)]
    pub idle: f64,
    #[arg(long, default_value_t = 1.0)]
    pub settle: f64,
    #[arg(long, default_value = "")]
    pub pids: String,
    #[arg(long, default_value = "bench")]
    pub project: String,
}

/// The consumer side: one exclusive queue bound to every exchange.
struct Counter {
    connection: Connection,
    exchanges: Vec<String>,
}

fn exchange_name(prefix: &str, i: usize) -> String {
    format!("{prefix}-{i}")
}

/// `tidings-bench-<token>-17` -> 17.
fn index_of(exchange: &str) -> u32 {
    exchange
        .rsplit('-')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(u32::MAX)
}

impl Counter {
    async fn start(url: &str, prefix: &str, subs: usize, state: Arc<SinkState>) -> Result<Counter> {
        let connection = Connection::connect(url, ConnectionProperties::default())
            .await
            .context("connecting the counting consumer to the broker")?;
        let channel = connection.create_channel().await?;
        let queue = channel
            .queue_declare(
                "".into(),
                QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await?;
        let mut exchanges = Vec::with_capacity(subs);
        for i in 0..subs {
            let name = exchange_name(prefix, i);
            // As tidings declares it, so the two declarations agree.
            channel
                .exchange_declare(
                    name.as_str().into(),
                    ExchangeKind::Topic,
                    ExchangeDeclareOptions {
                        durable: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await?;
            channel
                .queue_bind(
                    queue.name().clone(),
                    name.as_str().into(),
                    "#".into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
            exchanges.push(name);
        }
        channel.basic_qos(1000, BasicQosOptions::default()).await?;
        let mut consumer = channel
            .basic_consume(
                queue.name().clone(),
                "w9-counter".into(),
                BasicConsumeOptions {
                    no_ack: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await?;
        tokio::spawn(async move {
            while let Some(Ok(delivery)) = consumer.next().await {
                state.record(index_of(delivery.exchange.as_str()), &delivery.data);
            }
        });
        Ok(Counter {
            connection,
            exchanges,
        })
    }

    async fn stop(self) {
        if let Ok(channel) = self.connection.create_channel().await {
            for name in &self.exchanges {
                let _ = channel
                    .exchange_delete(name.as_str().into(), ExchangeDeleteOptions::default())
                    .await;
            }
        }
        let _ = self.connection.close(200, "done".into()).await;
    }
}

pub async fn run(a: AmqpFanoutArgs) -> Result<Value> {
    let cfg = ApiConfig::new(&a.url, &a.project)?;
    let pids = parse_pids(&a.pids)?;
    let token = crate::ids::run_token();
    let queue = format!("amqp-{token}");
    let prefix = format!("tidings-bench-{token}");
    let state = Arc::new(SinkState::new(Some(queue.clone())));
    let counter = Counter::start(&a.amqp_url, &prefix, a.subs, state.clone()).await?;
    let result = measure(&a, &cfg, &queue, &prefix, &state, pids).await;
    counter.stop().await;
    result
}

async fn measure(
    a: &AmqpFanoutArgs,
    cfg: &ApiConfig,
    queue: &str,
    prefix: &str,
    state: &Arc<SinkState>,
    pids: Vec<u32>,
) -> Result<Value> {
    let mut client = ApiClient::new(cfg.clone());
    client.create_queue(queue).await?;
    let base = a
        .amqp_url
        .split('?')
        .next()
        .unwrap_or(&a.amqp_url)
        .to_string();
    let prefix_owned = prefix.to_string();
    let t_sub = Instant::now();
    let ids = tokio::time::timeout(
        Duration::from_secs_f64(a.setup_timeout),
        subscribe_all(
            cfg,
            queue,
            a.subs,
            a.setup_concurrency,
            Arc::new(move |i| format!("{base}?exchange={}", exchange_name(&prefix_owned, i))),
        ),
    )
    .await
    .unwrap_or_else(|_| Err(anyhow::anyhow!("creating the subscriptions timed out")));
    let ids = match ids {
        Ok(ids) => ids,
        Err(e) => {
            teardown(cfg, queue, Vec::new(), a.setup_concurrency).await;
            return Err(e);
        }
    };
    let subscribe_s = t_sub.elapsed().as_secs_f64();
    crate::note!(
        "{queue}: {} AMQP subscriptions in {subscribe_s:.1} s",
        a.subs
    );

    let sampler = PeakSampler::start(pids);
    let t0 = Instant::now();
    let t0_us = now_us();
    let q = queue.to_string();
    let make: RequestMaker = Arc::new(move |k| api::post_messages(&q, message_body(k)));
    let posts = run_requests(cfg, a.msgs, a.post_concurrency, make).await;
    let post_phase_s = t0.elapsed().as_secs_f64();
    let post_failures = posts
        .iter()
        .filter(|r| !matches!(r, Ok(resp) if resp.status == 201))
        .count();
    let expected = (a.subs * a.msgs) as u64;
    let bounds = Bounds {
        timeout: Duration::from_secs_f64(a.timeout),
        idle: Duration::from_secs_f64(a.idle),
    };
    let watched = state.clone();
    let outcome = wait::until(expected, t0, bounds, || {
        let s = watched.snapshot();
        (s.unique, s.requests)
    })
    .await;
    let peak_rss_mb = sampler.finish().await;
    tokio::time::sleep(Duration::from_secs_f64(a.settle.max(0.0))).await;
    let snap = state.snapshot();
    let mut lat = state.take_latencies();
    let lat = latency(&mut lat);
    let time_to_last_s = if snap.last_us > t0_us {
        (snap.last_us - t0_us) as f64 / 1e6
    } else {
        0.0
    };
    teardown(cfg, queue, ids, a.setup_concurrency).await;
    Ok(json!({
        "workload": "amqp_fanout",
        "url": a.url,
        "queue": queue,
        "subs": a.subs,
        "msgs": a.msgs,
        "expected": expected,
        "delivered_unique": snap.unique,
        "lost": expected.saturating_sub(snap.unique),
        "duplicates": snap.duplicates,
        "received": snap.requests,
        "unparsed": snap.unparsed,
        "strays": snap.strays,
        "post_failures": post_failures,
        "subscribe_s": round3(subscribe_s),
        "post_phase_s": round3(post_phase_s),
        "time_to_last_s": round3(time_to_last_s),
        "deliveries_per_s": if time_to_last_s > 0.0 { round1(snap.unique as f64 / time_to_last_s) } else { 0.0 },
        "complete": snap.unique >= expected,
        "outcome": outcome.label(),
        "peak_rss_mb": round1(peak_rss_mb),
        "latency_p50_ms": lat.p50_ms,
        "latency_p99_ms": lat.p99_ms,
        "latency_max_ms": lat.max_ms,
    }))
}
