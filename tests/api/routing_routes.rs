//! "Why was X (not) notified": the routes of a message not posted and of a
//! stored one, every reason, paging, masked credentials, and refusals.
use std::collections::HashMap;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::{env, spawn_with, Backend, TestApp};
use crate::routing_fanout::subscribe;
use crate::sink::HttpSink;

/// One subscription per reason (and one that gets the message), on queue
/// `q`; returns the ids by name.
async fn one_per_reason(app: &TestApp, sink: &HttpSink) -> HashMap<&'static str, String> {
    let mut ids = HashMap::new();
    let hook = |path: &str| sink.url(path);
    ids.insert(
        "deliver",
        subscribe(
            app,
            "q",
            json!({"subscriber": hook("/yes").replace("http://", "http://ops:s3cret@"),
                   "options": {"event_types": ["repo.*"], "filter": {"payload.repo_id": [{"prefix": "pulp"}]}}}),
        )
        .await,
    );
    ids.insert(
        "pending",
        subscribe(app, "q", json!({"subscriber": "mailto:new@example.com"})).await,
    );
    let gone = subscribe(app, "q", json!({"subscriber": hook("/gone")})).await;
    let resp = app
        .send_json(
            Method::PUT,
            &format!("/v2/queues/q/subscriptions/{gone}/confirm"),
            &json!({"confirmed": false}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 204);
    ids.insert("unsubscribed", gone);
    ids.insert(
        "expired",
        subscribe(app, "q", json!({"subscriber": hook("/short"), "ttl": 60})).await,
    );
    ids.insert(
        "event_type",
        subscribe(
            app,
            "q",
            json!({"subscriber": hook("/publish"), "options": {"event_types": ["repo.publish.*"]}}),
        )
        .await,
    );
    ids.insert(
        "filter",
        subscribe(
            app,
            "q",
            json!({"subscriber": hook("/other-repo"), "options": {"filter": {"payload.repo_id": ["zoo"]}}}),
        )
        .await,
    );
    ids.insert(
        "policy",
        subscribe(
            app,
            "q",
            json!({"subscriber": "mailto:boss@example.com", "options": {"notification_type": "email"}}),
        )
        .await,
    );
    let resp = app
        .send_json(
            Method::PUT,
            &format!("/v2/queues/q/subscriptions/{}/confirm", ids["policy"]),
            &json!({"confirmed": true}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 204);
    // Webhooks may get repo events, email nothing.
    let resp = app
        .req(Method::PATCH, "/v2/queues/q")
        .header(
            "Content-Type",
            "application/openstack-messaging-v2.0-json-patch",
        )
        .body(
            json!([{"op": "add", "path": "/metadata/_supported_notifications",
                    "value": {"*": ["webhook"]}}])
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    app.clock.advance_secs(61);
    // The confirmation emails go out now, so later drains count only
    // notifications.
    app.drain().await;
    ids
}

fn by_id(page: &Value) -> HashMap<String, Value> {
    page["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap().to_string(), s.clone()))
        .collect()
}

/// Every page of a routes answer, following the `next` links.
async fn all_pages(app: &TestApp, method: Method, path: &str, body: Option<&Value>) -> Value {
    let mut items = Vec::new();
    let mut next = format!("{path}?limit=3");
    for _ in 0..10 {
        let mut req = app.req(method.clone(), &next);
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        let page: Value = resp.json().await.unwrap();
        let event_type = page["event_type"].clone();
        let got = page["subscriptions"].as_array().unwrap().clone();
        assert!(got.len() <= 3);
        if got.is_empty() {
            assert_eq!(page["links"], json!([]));
            return json!({"event_type": event_type, "subscriptions": items});
        }
        items.extend(got);
        next = page["links"][0]["href"].as_str().unwrap().to_string();
    }
    panic!("routes paging did not end");
}

async fn routes_say_who_gets_a_message_and_why_not(backend: Backend) {
    let sink = HttpSink::start().await;
    let Some(app) = spawn_with(backend, env(&[])).await else {
        return;
    };
    let ids = one_per_reason(&app, &sink).await;
    let message =
        json!({"body": {"event_type": "repo.sync.start", "payload": {"repo_id": "pulp2"}}});
    let answer = all_pages(&app, Method::POST, "/v2/queues/q/routes", Some(&message)).await;
    assert_eq!(answer["event_type"], "repo.sync.start");
    let got = by_id(&answer);
    assert_eq!(got.len(), ids.len(), "every subscription, paged");
    for (reason, id) in &ids {
        let item = &got[id];
        if *reason == "deliver" {
            assert_eq!(item["deliver"], true, "{item}");
            assert_eq!(item["reason"], Value::Null);
        } else {
            assert_eq!(item["deliver"], false, "{item}");
            assert_eq!(item["reason"], *reason, "{item}");
        }
        assert!(
            item.get("delivery").is_none(),
            "only stored messages have deliveries"
        );
    }
    // Credentials are masked; notification types are named.
    let yes = &got[&ids["deliver"]];
    assert_eq!(
        yes["subscriber"],
        sink.url("/yes").replace("http://", "http://ops:***@")
    );
    assert!(!answer.to_string().contains("s3cret"));
    assert_eq!(yes["notification_type"], "webhook");
    assert_eq!(got[&ids["policy"]]["notification_type"], "email");
    // A message without an event type fails on event types where the
    // subscription names some.
    let (status, page) = post_routes(&app, &json!({"body": "plain text"})).await;
    assert_eq!(status, 200);
    assert_eq!(page["event_type"], Value::Null);
    assert_eq!(by_id(&page)[&ids["deliver"]]["reason"], "event_type");
}
backend_test!(routes_say_who_gets_a_message_and_why_not);

async fn post_routes(app: &TestApp, body: &Value) -> (u16, Value) {
    let resp = app
        .req(Method::POST, "/v2/queues/q/routes")
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn a_stored_message_shows_its_deliveries(backend: Backend) {
    let sink = HttpSink::start().await;
    let Some(app) = spawn_with(backend, env(&[])).await else {
        return;
    };
    let ids = one_per_reason(&app, &sink).await;
    let posted = app
        .post_messages(
            "q",
            json!([{"body": {"event_type": "repo.sync.start", "payload": {"repo_id": "pulp2"}}}]),
        )
        .await;
    let path = format!("/v2/queues/q/messages/{}/routes", posted[0]);
    // Before fan-out: routing's answer, no delivery yet.
    let before = by_id(&all_pages(&app, Method::GET, &path, None).await);
    assert_eq!(before[&ids["deliver"]]["deliver"], true);
    assert_eq!(before[&ids["deliver"]]["delivery"], Value::Null);
    assert_eq!(app.drain().await, 1);
    sink.wait_for(1, Duration::from_secs(10)).await;
    let answer = all_pages(&app, Method::GET, &path, None).await;
    assert_eq!(answer["event_type"], "repo.sync.start");
    let got = by_id(&answer);
    let delivered = &got[&ids["deliver"]];
    assert_eq!(delivered["deliver"], true);
    assert_eq!(delivered["delivery"]["status"], "delivered");
    // The delivery id is the one in the subscription's delivery log.
    let (_, log) = app
        .get_json(&format!(
            "/v2/queues/q/subscriptions/{}/deliveries",
            ids["deliver"]
        ))
        .await;
    assert_eq!(delivered["delivery"]["id"], log["deliveries"][0]["id"]);
    for (reason, id) in &ids {
        if *reason != "deliver" {
            assert_eq!(got[id]["reason"], *reason, "{}", got[id]);
            assert_eq!(got[id]["delivery"], Value::Null);
        }
    }
    // An unknown message is a Zaqar 404.
    let (status, err) = app
        .get_json("/v2/queues/q/messages/0190a0a0-0000-7000-8000-000000000000/routes")
        .await;
    assert_eq!(status, 404);
    assert_eq!(err["title"], "Not found");
}
backend_test!(a_stored_message_shows_its_deliveries);

async fn bad_routes_requests_are_refused(backend: Backend) {
    let Some(app) = spawn_with(backend, env(&[])).await else {
        return;
    };
    for (body, expect) in [
        ("[1]", "Expected {\"body\""),
        ("\"x\"", ""),
        ("{\"message\": 1}", "Missing \"body\" field."),
        ("{not json", ""),
    ] {
        let resp = app
            .req(Method::POST, "/v2/queues/q/routes")
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{body}");
        let err: Value = resp.json().await.unwrap();
        assert!(err["title"].is_string(), "{err}");
        assert!(
            err["description"].as_str().unwrap_or("").contains(expect),
            "{body}: {err}"
        );
    }
    let resp = app
        .req(Method::POST, "/v2/queues/q/routes?limit=21")
        .header("Content-Type", "application/json")
        .body("{\"body\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let resp = app
        .req(Method::GET, "/v2/queues/q/routes")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    // Nothing was created on the way.
    let (_, queues) = app.get_json("/v2/queues").await;
    assert_eq!(queues["queues"], json!([]));
}
backend_test!(bad_routes_requests_are_refused);
