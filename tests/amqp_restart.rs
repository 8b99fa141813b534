//! tidings keeps delivering across a real RabbitMQ restart, without being
//! restarted itself. The broker here is a private node this test starts on
//! free loopback ports with its own data directory (the shared broker is
//! never touched), stops and starts again, and removes at the end.
//!
//! Runs only when `TIDINGS_TEST_AMQP_RESTART=1` (CI sets it in a step of its
//! own, after the other suites) and `rabbitmq-server` can be run (as root or
//! as the rabbitmq user); otherwise it says `skipped`.
#[path = "support/rabbitmq_node.rs"]
mod rabbitmq_node;

#[path = "api/helpers.rs"]
mod helpers;

#[path = "api/amqp_broker.rs"]
mod amqp_broker;

use std::collections::HashMap;

use lapin::options::{BasicGetOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use reqwest::Method;
use serde_json::{json, Value};

use amqp_broker::Broker;
use helpers::{spawn_with, Backend, TestApp};
use rabbitmq_node::PrivateNode;

const EXCHANGE: &str = "restart-probe";
const QUEUE: &str = "restart-probe";

/// Messages in the probe queue now, read through a fresh connection (the
/// consumer's own connection does not survive the restart either).
async fn arrived(url: &str) -> Vec<Value> {
    let broker = Broker::connect(url).await;
    let mut out = Vec::new();
    while let Some(message) = broker
        .channel
        .basic_get(QUEUE.into(), BasicGetOptions { no_ack: true })
        .await
        .expect("basic.get")
    {
        out.push(
            serde_json::from_slice::<Value>(&message.data).expect("json body")["body"].clone(),
        );
    }
    let _ = broker.connection.close(200, "read".into()).await;
    out
}

/// A durable queue bound to the exchange, so what was confirmed before a
/// restart is still there after it.
async fn bind_durable_probe(url: &str) {
    let broker = Broker::connect(url).await;
    broker
        .channel
        .exchange_declare(
            EXCHANGE.into(),
            lapin::ExchangeKind::Topic,
            lapin::options::ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("declare exchange");
    broker
        .channel
        .queue_declare(
            QUEUE.into(),
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("declare queue");
    broker
        .channel
        .queue_bind(
            QUEUE.into(),
            EXCHANGE.into(),
            "#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("bind");
    let _ = broker.connection.close(200, "bound".into()).await;
}

async fn post(app: &TestApp, n: i64) {
    app.post_messages("builds", json!([{"ttl": 600, "body": n}]))
        .await;
}

async fn attempts(app: &TestApp, sub: &str) -> Vec<Value> {
    let (_, body) = app
        .get_json(&format!("/v2/queues/builds/subscriptions/{sub}/deliveries"))
        .await;
    body["deliveries"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_survive_a_broker_restart() {
    if std::env::var("TIDINGS_TEST_AMQP_RESTART").as_deref() != Ok("1") {
        eprintln!(
            "skipped: AMQP restart test (set TIDINGS_TEST_AMQP_RESTART=1; CI runs it on its own)"
        );
        return;
    }
    let node = match PrivateNode::start() {
        Ok(node) => node,
        Err(why) => {
            eprintln!("skipped: AMQP restart test: cannot start a private RabbitMQ node: {why}");
            return;
        }
    };
    let url = node.url();
    bind_durable_probe(&url).await;

    let app = spawn_with(Backend::Sqlite, HashMap::new()).await.unwrap();
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/builds/subscriptions",
            &json!({
                "subscriber": format!("{url}?exchange={EXCHANGE}"),
                "ttl": 3600,
                "options": {"require_route": true}
            }),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let sub = resp.json::<Value>().await.unwrap()["subscription_id"]
        .as_str()
        .unwrap()
        .to_string();

    post(&app, 1).await;
    app.drain().await;
    assert_eq!(arrived(&url).await, [json!(1)]);

    // 1. The broker restarts while tidings holds an idle connection to it:
    // the next message goes out at its first attempt, on a new connection.
    node.restart().expect("restart the private node");
    post(&app, 2).await;
    app.drain().await;
    assert_eq!(arrived(&url).await, [json!(2)]);
    let log = attempts(&app, &sub).await;
    let second = log
        .iter()
        .find(|d| d["attempts"].as_array().unwrap().len() == 1 && d["status"] == "delivered");
    assert!(second.is_some(), "{log:?}");

    // 2. A message posted while the broker is down fails its attempt and
    // is retried on schedule once the broker is back; nothing is lost.
    node.stop().expect("stop the private node");
    post(&app, 3).await;
    app.drain().await;
    let log = attempts(&app, &sub).await;
    let pending: Vec<&Value> = log.iter().filter(|d| d["status"] == "pending").collect();
    assert_eq!(pending.len(), 1, "{log:?}");
    let detail = pending[0]["attempts"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("connection refused") || detail.contains("trying again"),
        "{detail}"
    );
    node.start_again().expect("start the private node again");
    app.clock.advance_secs(60);
    app.drain().await;
    post(&app, 4).await;
    app.drain().await;
    let mut got = arrived(&url).await;
    got.sort_by_key(|v| v.as_i64());
    assert_eq!(got, [json!(3), json!(4)]);
    let log = attempts(&app, &sub).await;
    assert!(log.iter().all(|d| d["status"] == "delivered"), "{log:?}");
    assert_eq!(app.dispatcher.channels().amqp.connections(), 1);
}
