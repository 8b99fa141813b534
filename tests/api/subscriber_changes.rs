//! Posts see the queue's subscribers as they are at that moment: a post
//! before anyone subscribed fans out to nobody, the next one after a
//! subscription (or a confirmation) reaches it, and one after an
//! unsubscribe does not. The post path remembers whether a queue has
//! subscribers between posts, so this is what keeps that memory honest.
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::{env, spawn_with, Backend};
use crate::sink::HttpSink;

const WAIT: Duration = Duration::from_secs(10);

async fn posts_follow_subscription_changes(backend: Backend) {
    let sink = HttpSink::start().await;
    let app = spawn_with(backend, env(&[])).await.unwrap();
    let queue = "changes";
    let post = |seq: u32| {
        let app = &app;
        async move {
            app.post_messages(queue, json!([{"body": {"seq": seq}}]))
                .await;
        }
    };

    post(1).await;
    assert_eq!(app.drain().await, 0, "nobody subscribed yet");

    let resp = app
        .send_json(
            Method::POST,
            &format!("/v2/queues/{queue}/subscriptions"),
            &json!({"subscriber": sink.url("/hook"), "ttl": 3600}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let id = resp.json::<Value>().await.unwrap()["subscription_id"]
        .as_str()
        .unwrap()
        .to_string();
    post(2).await;
    assert_eq!(
        app.drain().await,
        1,
        "the new subscriber gets the next post"
    );

    let confirm = |confirmed: bool| {
        let (app, id) = (&app, id.clone());
        async move {
            let resp = app
                .send_json(
                    Method::PUT,
                    &format!("/v2/queues/{queue}/subscriptions/{id}/confirm"),
                    &json!({ "confirmed": confirmed }),
                )
                .await;
            assert_eq!(resp.status().as_u16(), 204);
        }
    };
    confirm(false).await;
    app.drain().await; // the unsubscribe notice, if any
    post(3).await;
    assert_eq!(app.drain().await, 0, "unsubscribed: nothing for post 3");

    confirm(true).await;
    post(4).await;
    assert_eq!(app.drain().await, 1, "confirmed again: post 4 arrives");

    let seqs: Vec<u64> = sink
        .wait_for(2, WAIT)
        .await
        .iter()
        .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .filter(|doc| doc["Message_Type"] == "Notification")
        .filter_map(|doc| doc["body"]["seq"].as_u64())
        .collect();
    assert_eq!(seqs, [2, 4]);
}
backend_test!(posts_follow_subscription_changes);
