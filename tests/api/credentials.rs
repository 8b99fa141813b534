//! Passwords in subscriber URIs: stored and used, never shown. GET and list
//! answers mask them as `***`; writing back what GET showed changes nothing.
use std::time::Duration;

use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::{env, spawn_with, Backend, TestApp};
use crate::sink::HttpSink;

const QUEUE: &str = "creds";

async fn subscribe(app: &TestApp, subscriber: &str) -> String {
    let resp = app
        .send_json(
            Method::POST,
            &format!("/v2/queues/{QUEUE}/subscriptions"),
            &json!({"subscriber": subscriber, "ttl": 3600}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    resp.json::<Value>().await.unwrap()["subscription_id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn basic_auth_webhooks_are_masked_but_delivered_with_the_password(backend: Backend) {
    let sink = HttpSink::start().await;
    let app = spawn_with(backend, env(&[])).await.unwrap();
    let real = format!("http://pulp:s3cr%40t@127.0.0.1:{}/hook", sink.port);
    let shown = format!("http://pulp:***@127.0.0.1:{}/hook", sink.port);
    let id = subscribe(&app, &real).await;

    let item = format!("/v2/queues/{QUEUE}/subscriptions/{id}");
    let (status, one) = app.get_json(&item).await;
    assert_eq!(status, 200);
    assert_eq!(one["subscriber"], shown.as_str());
    let list = app
        .req(Method::GET, &format!("/v2/queues/{QUEUE}/subscriptions"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains(&shown), "{list}");
    assert!(!list.contains("s3cr"), "{list}");

    // A client that PATCHes back what it read keeps the real password.
    let resp = app
        .send_json(
            Method::PATCH,
            &item,
            &json!({"subscriber": shown, "ttl": 7200}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 204);
    let (_, one) = app.get_json(&item).await;
    assert_eq!(one["ttl"], 7200);
    assert_eq!(one["subscriber"], shown.as_str());

    app.post_messages(QUEUE, json!([{"ttl": 300, "body": {"event": "x"}}]))
        .await;
    app.drain().await;
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    let expected = base64::engine::general_purpose::STANDARD.encode("pulp:s3cr@t");
    assert_eq!(
        got[0].header("authorization"),
        Some(format!("Basic {expected}").as_str())
    );
}
backend_test!(basic_auth_webhooks_are_masked_but_delivered_with_the_password);

async fn a_new_password_is_a_change(backend: Backend) {
    let app = spawn_with(backend, env(&[])).await.unwrap();
    let id = subscribe(&app, "https://u:old@hooks.example.com/x").await;
    let item = format!("/v2/queues/{QUEUE}/subscriptions/{id}");
    let resp = app
        .send_json(
            Method::PATCH,
            &item,
            &json!({"subscriber": "https://u:new@hooks.example.com/x"}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 204);
    let stored = tidings::store::subscriptions::get_live(
        &app.state.db,
        &tidings::domain::ProjectId::parse(crate::helpers::PROJECT).unwrap(),
        &tidings::domain::QueueName::parse(QUEUE).unwrap(),
        &id,
        app.state.now(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(stored.subscriber, "https://u:new@hooks.example.com/x");
    let (_, one) = app.get_json(&item).await;
    assert_eq!(one["subscriber"], "https://u:***@hooks.example.com/x");
}
backend_test!(a_new_password_is_a_change);
