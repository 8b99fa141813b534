//! An alert subscription on a real RabbitMQ (`TIDINGS_TEST_AMQP_URL`):
//! the Zaqar notification with the report as body and the `alert` object,
//! routed by `alert.<kind>.<state>` so a consumer binds to what it wants.
use reqwest::Method;
use serde_json::{json, Value};

use crate::amqp_broker::{amqp_url, fresh_name, subscriber, Broker};
use crate::helpers::{env, spawn_with, Backend};

async fn alerts_over_amqp(backend: Backend) {
    let Some(url) = amqp_url() else { return };
    let broker = Broker::connect(&url).await;
    let exchange = fresh_name("alerts");
    let errors = broker.bind(&exchange, "alert.*.error").await;
    let resolved = broker.bind(&exchange, "alert.resolved.*").await;
    let Some(app) = spawn_with(backend, env(&[])).await else {
        return;
    };
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/shop/subscriptions",
            &json!({"subscriber": subscriber(&url, Some(&exchange)), "ttl": 3600,
                    "options": {"alert": {"states": ["warning", "error"], "interval": 30}}}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let report =
        |state: &str| json!({"body": {"element": "shop/api", "level": "service", "state": state}});
    app.post_messages("shop", json!([report("error")])).await;
    app.drain().await;
    app.clock.advance_secs(31);
    app.drain().await;
    app.post_messages("shop", json!([report("ok")])).await;
    app.drain().await;

    let got = errors.drain().await;
    let keys: Vec<&str> = got.iter().map(|m| m.routing_key.as_str()).collect();
    assert_eq!(keys, ["alert.occurred.error", "alert.resolved.error"]);
    let occurred: Value = serde_json::from_slice(&got[0].data).unwrap();
    assert_eq!(occurred["body"], report("error")["body"]);
    assert_eq!(occurred["queue_name"], "shop");
    assert_eq!(occurred["alert"]["kind"], "occurred");
    assert_eq!(occurred["alert"]["state"], "error");
    assert_eq!(occurred["alert"]["element"], "shop/api");
    assert_eq!(occurred["alert"]["level"], "service");
    let got = resolved.drain().await;
    assert_eq!(got.len(), 1);
    let body: Value = serde_json::from_slice(&got[0].data).unwrap();
    assert_eq!(body["alert"]["kind"], "resolved");
    assert_eq!(body["body"]["state"], "ok");
}
crate::backend_test!(alerts_over_amqp);
