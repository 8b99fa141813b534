//! Claim-count dead-letter queues (`_max_claim_count` +
//! `_dead_letter_queue`): the tempest scenario step by step on the test
//! clock, the DLQ's own subscribers, and claimers racing on messages at
//! their limit.
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{env, spawn_with, Backend, TestApp};
use crate::sink::HttpSink;
use crate::{backend_test, db_test};

const PATCH: &str = "application/openstack-messaging-v2.0-json-patch";

async fn patch_queue(app: &TestApp, queue: &str, ops: Value) -> (u16, Value) {
    let resp = app
        .req(Method::PATCH, &format!("/v2/queues/{queue}"))
        .header("Content-Type", PATCH)
        .body(ops.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The three PATCH operations of zaqar-tempest-plugin's
/// `test_dead_letter_queue`.
async fn dead_letter_into(app: &TestApp, queue: &str, dlq: &str, max: i64, ttl: i64) {
    app.create_queue(queue).await;
    let (status, meta) = patch_queue(
        app,
        queue,
        json!([
            {"op": "add", "path": "/metadata/_max_claim_count", "value": max},
            {"op": "add", "path": "/metadata/_dead_letter_queue", "value": dlq},
            {"op": "add", "path": "/metadata/_dead_letter_queue_messages_ttl", "value": ttl},
        ]),
    )
    .await;
    assert_eq!(status, 200, "{meta}");
    assert_eq!(meta["_max_claim_count"], max);
    assert_eq!(meta["_dead_letter_queue"], dlq);
}

/// (status, claim href, message ids).
async fn claim(app: &TestApp, queue: &str, limit: u32) -> (u16, Option<String>, Vec<String>) {
    let resp = app
        .send_json(
            Method::POST,
            &format!("/v2/queues/{queue}/claims?limit={limit}"),
            &json!({"ttl": 60, "grace": 60}),
        )
        .await;
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    let ids = body["messages"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .map(|m| m["id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    (status, location, ids)
}

async fn release(app: &TestApp, href: &str) {
    let resp = app.req(Method::DELETE, href).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 204);
}

async fn stats(app: &TestApp, queue: &str) -> Value {
    let (status, body) = app.get_json(&format!("/v2/queues/{queue}/stats")).await;
    assert_eq!(status, 200, "{body}");
    body["messages"].clone()
}

async fn listed(app: &TestApp, queue: &str) -> Vec<Value> {
    let (status, body) = app
        .get_json(&format!("/v2/queues/{queue}/messages?echo=true&limit=20"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["messages"].as_array().cloned().unwrap_or_default()
}

async fn tempest_scenario_step_by_step(app: TestApp) {
    app.create_queue("DLQ").await;
    dead_letter_into(&app, "QueueWithDLQ", "DLQ", 2, 7799).await;
    let ids = app
        .post_messages("QueueWithDLQ", json!([{"body": {"job": 1}, "ttl": 300}]))
        .await;

    // Claim 1, released: claimed once.
    let (status, href, claimed) = claim(&app, "QueueWithDLQ", 1).await;
    assert_eq!((status, claimed.clone()), (201, ids.clone()));
    release(&app, &href.unwrap()).await;
    // Claim 2, left to expire on the test clock: claimed twice.
    let (status, _, claimed) = claim(&app, "QueueWithDLQ", 1).await;
    assert_eq!((status, claimed), (201, ids.clone()));
    let (status, _, _) = claim(&app, "QueueWithDLQ", 1).await;
    assert_eq!(status, 204, "still under the second claim");
    assert_eq!(stats(&app, "DLQ").await["total"], 0, "not moved yet");
    app.clock.advance_secs(61);

    // Claim 3 finds it at its limit: moved, and nothing to claim.
    let (status, href, _) = claim(&app, "QueueWithDLQ", 1).await;
    assert_eq!((status, href), (204, None));

    let source = stats(&app, "QueueWithDLQ").await;
    assert_eq!((&source["total"], &source["free"]), (&json!(0), &json!(0)));
    let dlq = stats(&app, "DLQ").await;
    assert_eq!(
        (&dlq["total"], &dlq["free"], &dlq["claimed"]),
        (&json!(1), &json!(1), &json!(0))
    );
    assert_eq!(
        dlq["oldest"]["href"],
        format!("/v2/queues/DLQ/messages/{}", ids[0])
    );
    let moved = listed(&app, "DLQ").await;
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0]["id"], ids[0].as_str());
    assert_eq!(moved[0]["body"], json!({"job": 1}));
    assert_eq!(moved[0]["ttl"], 7799, "_dead_letter_queue_messages_ttl");
    let (status, _) = app
        .get_json(&format!("/v2/queues/QueueWithDLQ/messages/{}", ids[0]))
        .await;
    assert_eq!(status, 404, "gone from the source queue");

    // In the DLQ it is an ordinary message: claimable, with its new TTL.
    let (status, _, claimed) = claim(&app, "DLQ", 1).await;
    assert_eq!((status, claimed), (201, ids.clone()));
    app.clock.advance_secs(7799 + 200);
    assert_eq!(stats(&app, "DLQ").await["total"], 0, "expired after 7799 s");
}
db_test!(tempest_scenario_step_by_step);

async fn one_key_alone_moves_nothing_and_missing_dlq_is_created(app: TestApp) {
    app.create_queue("only-count").await;
    let (status, _) = patch_queue(
        &app,
        "only-count",
        json!([{"op": "add", "path": "/metadata/_max_claim_count", "value": 1}]),
    )
    .await;
    assert_eq!(status, 200);
    app.post_messages("only-count", json!([{"body": 1}])).await;
    for _ in 0..3 {
        let (status, href, _) = claim(&app, "only-count", 1).await;
        assert_eq!(status, 201, "no DLQ named: Zaqar keeps claiming");
        release(&app, &href.unwrap()).await;
    }

    // A DLQ that does not exist yet is created by the first move, as a
    // post would create it.
    dead_letter_into(&app, "src", "not-yet", 1, 600).await;
    app.post_messages("src", json!([{"body": 2}])).await;
    let (_, href, _) = claim(&app, "src", 1).await;
    release(&app, &href.unwrap()).await;
    assert_eq!(claim(&app, "src", 1).await.0, 204);
    let (status, _) = app.get_json("/v2/queues/not-yet").await;
    assert_eq!(status, 200);
    assert_eq!(listed(&app, "not-yet").await.len(), 1);
}
db_test!(one_key_alone_moves_nothing_and_missing_dlq_is_created);

async fn a_claim_moves_what_is_over_and_claims_the_rest(app: TestApp) {
    app.create_queue("dlq").await;
    dead_letter_into(&app, "work", "dlq", 1, 600).await;
    let first = app.post_messages("work", json!([{"body": "a"}])).await;
    let (_, href, _) = claim(&app, "work", 5).await;
    release(&app, &href.unwrap()).await;
    let second = app.post_messages("work", json!([{"body": "b"}])).await;

    let (status, _, claimed) = claim(&app, "work", 5).await;
    assert_eq!((status, claimed), (201, second));
    let moved: Vec<Value> = listed(&app, "dlq").await;
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0]["id"], first[0].as_str());
}
db_test!(a_claim_moves_what_is_over_and_claims_the_rest);

/// The DLQ is an ordinary queue: its subscribers hear of each message that
/// arrives in it ("alert me when processing keeps failing").
async fn dlq_subscribers_are_notified(backend: Backend) {
    let sink = HttpSink::start().await;
    let app = spawn_with(backend, env(&[])).await.unwrap();
    app.create_queue("failures").await;
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/failures/subscriptions",
            &json!({"subscriber": sink.url("/alert"), "ttl": 3600}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    dead_letter_into(&app, "jobs", "failures", 1, 900).await;
    app.post_messages("jobs", json!([{"body": {"job": 7}}]))
        .await;
    app.drain().await;
    assert!(sink.received().is_empty(), "nothing has failed yet");

    let (_, href, _) = claim(&app, "jobs", 1).await;
    release(&app, &href.unwrap()).await;
    assert_eq!(claim(&app, "jobs", 1).await.0, 204);
    assert_eq!(app.drain().await, 1);
    let got = sink.received();
    assert_eq!(got.len(), 1);
    let note = got[0].json();
    assert_eq!(note["queue_name"], "failures");
    assert_eq!(note["body"], json!({"job": 7}));
    assert_eq!(note["ttl"], 900);
    assert_eq!(note["Message_Type"], "Notification");
}
backend_test!(dlq_subscribers_are_notified);

/// Eight claimers race on twenty messages at their limit and ten fresh
/// ones: every message ends up claimed once or moved once, none is in both
/// queues or in neither, and no request fails.
async fn concurrent_claimers_move_each_message_once(app: TestApp) {
    app.create_queue("dead").await;
    dead_letter_into(&app, "hot", "dead", 1, 600).await;
    let at_limit: Vec<Value> = (0..20).map(|i| json!({"body": i})).collect();
    let mut over = app.post_messages("hot", Value::Array(at_limit)).await;
    let (_, href, claimed) = claim(&app, "hot", 20).await;
    assert_eq!(claimed.len(), 20);
    release(&app, &href.unwrap()).await;
    let fresh: Vec<Value> = (20..30).map(|i| json!({"body": i})).collect();
    let mut fresh = app.post_messages("hot", Value::Array(fresh)).await;

    let app = std::sync::Arc::new(app);
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                loop {
                    let (status, _, ids) = claim(&app, "hot", 3).await;
                    assert!(matches!(status, 201 | 204), "claim answered {status}");
                    if status == 204 && stats(&app, "hot").await["free"] == 0 {
                        return got;
                    }
                    got.extend(ids);
                }
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for racer in racers {
        claimed.extend(racer.await.unwrap());
    }
    claimed.sort();
    fresh.sort();
    assert_eq!(claimed, fresh, "each fresh message claimed exactly once");

    let mut moved: Vec<String> = listed(&app, "dead")
        .await
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    moved.sort();
    over.sort();
    assert_eq!(moved, over, "each message at its limit moved exactly once");
    let source = stats(&app, "hot").await;
    assert_eq!(source["total"], 10, "only the claimed fresh ones remain");
    assert_eq!(source["claimed"], 10);
    assert_eq!(stats(&app, "dead").await["total"], 20);
}
db_test!(concurrent_claimers_move_each_message_once);
