//! `/v2/topics`: Zaqar's topic routes, a namespace of their own beside the
//! queues, fanning out to their subscriptions through the same outbox.
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{env, spawn_with, Backend, TestApp, CLIENT_ID, PROJECT};
use crate::sink::HttpSink;
use crate::{backend_test, db_test};

const PATCH: &str = "application/openstack-messaging-v2.0-json-patch";

async fn put(app: &TestApp, path: &str, body: Option<Value>) -> (u16, Option<String>, Value) {
    let mut req = app.req(Method::PUT, path);
    if let Some(body) = body {
        req = req
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (status, location, resp.json().await.unwrap_or(Value::Null))
}

async fn post_to(app: &TestApp, path: &str, body: Value) -> (u16, Option<String>, Value) {
    let resp = app.send_json(Method::POST, path, &body).await;
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (status, location, resp.json().await.unwrap_or(Value::Null))
}

async fn delete(app: &TestApp, path: &str) -> u16 {
    let resp = app.req(Method::DELETE, path).send().await.unwrap();
    resp.status().as_u16()
}

/// Topic create, get, list, PATCH, stats and delete; a queue of the same
/// name is another resource.
async fn topic_crud_beside_a_queue_of_the_same_name(app: TestApp) {
    let (status, location, _) = put(&app, "/v2/topics/t1", Some(json!({"color": "red"}))).await;
    assert_eq!(status, 201);
    assert_eq!(location.as_deref(), Some("/v2/topics/t1"));
    assert_eq!(put(&app, "/v2/topics/t1", None).await.0, 204);
    // The same name as a queue is new: the namespaces are separate.
    assert_eq!(put(&app, "/v2/queues/t1", None).await.0, 201);
    assert_eq!(put(&app, "/v2/topics/t2", None).await.0, 201);

    let (status, topic) = app.get_json("/v2/topics/t1").await;
    assert_eq!(status, 200);
    assert_eq!(topic["color"], "red");
    assert_eq!(topic["_default_message_ttl"], 3600);
    let (_, queue) = app.get_json("/v2/queues/t1").await;
    assert!(queue.get("color").is_none(), "{queue}");

    let (status, list) = app.get_json("/v2/topics?limit=1&detailed=true").await;
    assert_eq!(status, 200);
    assert_eq!(list["topics"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["topics"][0]["name"], "t1");
    assert_eq!(list["topics"][0]["href"], "/v2/topics/t1");
    assert_eq!(list["topics"][0]["metadata"]["color"], "red");
    let next = list["links"][0]["href"].as_str().unwrap().to_string();
    assert!(next.starts_with("/v2/topics?marker=t1"), "{next}");
    let (_, page2) = app.get_json(&next).await;
    assert_eq!(page2["topics"][0]["name"], "t2", "{page2}");
    let (_, named) = app.get_json("/v2/topics?name=2").await;
    assert_eq!(named["topics"].as_array().unwrap().len(), 1, "{named}");
    let (_, queues) = app.get_json("/v2/queues").await;
    let names: Vec<&str> = queues["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["t1"], "topics are not queues: {queues}");
    assert!(queues.get("topics").is_none());

    let resp = app
        .req(Method::PATCH, "/v2/topics/t1")
        .header("Content-Type", PATCH)
        .body(json!([{"op": "replace", "path": "/metadata/color", "value": "blue"}]).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let patched: Value = resp.json().await.unwrap();
    assert_eq!(patched["color"], "blue");
    let resp = app
        .req(Method::PATCH, "/v2/topics/nope")
        .header("Content-Type", PATCH)
        .body(json!([{"op": "add", "path": "/metadata/a", "value": 1}]).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["description"],
        format!("Topic nope does not exist for project {PROJECT}")
    );

    let (status, stats) = app.get_json("/v2/topics/t1/stats").await;
    assert_eq!(status, 200);
    assert_eq!(
        stats["messages"],
        json!({"claimed": 0, "free": 0, "total": 0})
    );

    assert_eq!(delete(&app, "/v2/topics/t1").await, 204);
    let (_, list) = app.get_json("/v2/topics").await;
    assert_eq!(list["topics"].as_array().unwrap().len(), 1, "{list}");
    let (_, queues) = app.get_json("/v2/queues").await;
    assert_eq!(queues["queues"][0]["name"], "t1", "the queue stays");
}
db_test!(topic_crud_beside_a_queue_of_the_same_name);

/// Messages on a topic: post, list, get, stats, delete, purge; hrefs under
/// `/v2/topics`, and the queue of the same name sees none of them.
async fn topic_messages(app: TestApp) {
    put(&app, "/v2/topics/news", None).await;
    put(&app, "/v2/queues/news", None).await;
    let (status, location, body) = post_to(
        &app,
        "/v2/topics/news/messages",
        json!({"messages": [{"body": {"n": 1}, "ttl": 300}, {"body": "two"}]}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let resources = body["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 2);
    let first = resources[0].as_str().unwrap().to_string();
    assert!(first.starts_with("/v2/topics/news/messages/"), "{first}");
    assert!(location
        .unwrap()
        .starts_with("/v2/topics/news/messages?ids="));

    let (status, listed) = app.get_json("/v2/topics/news/messages?echo=true").await;
    assert_eq!(status, 200);
    assert_eq!(listed["messages"].as_array().unwrap().len(), 2, "{listed}");
    assert_eq!(listed["messages"][0]["href"], first);
    assert_eq!(listed["messages"][0]["body"], json!({"n": 1}));
    let (status, one) = app.get_json(&first).await;
    assert_eq!(status, 200);
    assert_eq!(one["ttl"], 300);
    let (_, queue_list) = app.get_json("/v2/queues/news/messages?echo=true").await;
    assert!(
        queue_list.is_null() || queue_list["messages"].as_array().unwrap().is_empty(),
        "{queue_list}"
    );

    let (_, stats) = app.get_json("/v2/topics/news/stats").await;
    assert_eq!(stats["messages"]["total"], 2);
    assert!(stats["messages"]["oldest"]["href"]
        .as_str()
        .unwrap()
        .starts_with("/v2/topics/news/messages/"));
    let (_, queue_stats) = app.get_json("/v2/queues/news/stats").await;
    assert_eq!(queue_stats["messages"]["total"], 0);

    assert_eq!(delete(&app, &first).await, 204);
    assert_eq!(app.get_json(&first).await.0, 404);
    let (status, _, body) = post_to(
        &app,
        "/v2/topics/news/purge",
        json!({"resource_types": ["messages"]}),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let (_, stats) = app.get_json("/v2/topics/news/stats").await;
    assert_eq!(stats["messages"]["total"], 0);
    // Topics have no claims, as in Zaqar.
    let (status, _, _) = post_to(&app, "/v2/topics/news/claims", json!({"ttl": 60})).await;
    assert_eq!(status, 404);
}
db_test!(topic_messages);

/// A message on a topic fans out to the topic's subscriptions through the
/// same outbox, worker and delivery log as a queue's; a queue of the same
/// name and its subscribers are not involved.
async fn topic_fans_out_to_its_subscriptions(backend: Backend) {
    let sink = HttpSink::start().await;
    let app = spawn_with(backend, env(&[])).await.unwrap();
    put(&app, "/v2/topics/orders", None).await;
    put(&app, "/v2/queues/orders", None).await;
    let (status, location, body) = post_to(
        &app,
        "/v2/topics/orders/subscriptions",
        json!({"subscriber": sink.url("/topic"), "ttl": 3600}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert!(location
        .unwrap()
        .starts_with("/v2/topics/orders/subscriptions"));
    let topic_sub = body["subscription_id"].as_str().unwrap().to_string();
    let (status, _, _) = post_to(
        &app,
        "/v2/queues/orders/subscriptions",
        json!({"subscriber": sink.url("/queue"), "ttl": 3600}),
    )
    .await;
    assert_eq!(status, 201);

    let (_, subs) = app.get_json("/v2/topics/orders/subscriptions").await;
    assert_eq!(subs["subscriptions"].as_array().unwrap().len(), 1, "{subs}");
    assert_eq!(subs["subscriptions"][0]["source"], "orders");
    let (status, one) = app
        .get_json(&format!("/v2/topics/orders/subscriptions/{topic_sub}"))
        .await;
    assert_eq!(status, 200, "{one}");
    // The topic's subscription is not the queue's.
    let (status, _) = app
        .get_json(&format!("/v2/queues/orders/subscriptions/{topic_sub}"))
        .await;
    assert_eq!(status, 404);

    post_to(
        &app,
        "/v2/topics/orders/messages",
        json!({"messages": [{"body": {"order": 42}, "ttl": 600}]}),
    )
    .await;
    assert_eq!(app.drain().await, 1);
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, "/topic");
    let note = got[0].json();
    assert_eq!(note["queue_name"], "orders");
    assert_eq!(note["body"], json!({"order": 42}));
    assert_eq!(note["ttl"], 600);
    assert_eq!(note["Message_Type"], "Notification");

    let (status, log) = app
        .get_json(&format!(
            "/v2/topics/orders/subscriptions/{topic_sub}/deliveries"
        ))
        .await;
    assert_eq!(status, 200, "{log}");
    assert_eq!(log["deliveries"][0]["status"], "delivered", "{log}");

    // Deleting the topic's subscription leaves the queue's.
    assert_eq!(
        delete(
            &app,
            &format!("/v2/topics/orders/subscriptions/{topic_sub}")
        )
        .await,
        204
    );
    app.post_messages("orders", json!([{"body": 1}])).await;
    app.drain().await;
    let got = sink.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].path, "/queue");
}
backend_test!(topic_fans_out_to_its_subscriptions);

/// Bad input on topic routes: 4xx with Zaqar's topic wording, nothing
/// written.
async fn topic_bad_input(app: TestApp) {
    let before = app.row_counts().await;
    let resp = app
        .req(Method::PUT, "/v2/topics/bad%20name")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["title"], "Invalid topic identification");
    assert_eq!(
        body["description"],
        "The format of the submitted topic name or project id is not valid."
    );
    let long = "x".repeat(65);
    let (status, _, body) = post_to(
        &app,
        &format!("/v2/topics/{long}/messages"),
        json!({"messages": [{"body": 1}]}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["title"], "Invalid topic identification");

    let big = "x".repeat(262_144);
    let (status, _, body) = post_to(
        &app,
        "/v2/topics/t1/messages",
        json!({"messages": [{"body": big}]}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, _, body) = post_to(&app, "/v2/topics/t1/purge", json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["description"],
        "Post body must contain key \"resource_types\"."
    );
    assert_eq!(app.row_counts().await, before, "nothing was written");
}
db_test!(topic_bad_input);

/// The differential test: every request Zaqar 23.0.1 answered in
/// tests/fixtures/zaqar_topics_transcript.json is sent to tidings in the
/// same order; each step marked `replay` must get the same status, body and
/// `Location` (the others are where Zaqar has no working topic driver, and
/// say why).
async fn zaqar_topic_transcript(app: TestApp) {
    let text = include_str!("../fixtures/zaqar_topics_transcript.json");
    let transcript: Value = serde_json::from_str(text).unwrap();
    let project = transcript["project"].as_str().unwrap();
    let mut replayed = 0;
    for step in transcript["steps"].as_array().unwrap() {
        let method = Method::from_bytes(step["method"].as_str().unwrap().as_bytes()).unwrap();
        let path = step["path"].as_str().unwrap();
        let dropped: Vec<&str> = step["drop_headers"]
            .as_array()
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut req = app.bare(method.clone(), path);
        for (name, value) in [("Client-ID", CLIENT_ID), ("X-Project-ID", project)] {
            if !dropped.contains(&name) {
                req = req.header(name, value);
            }
        }
        if let Some(body) = step.get("request") {
            req = req
                .header("Content-Type", step["content_type"].as_str().unwrap())
                .body(body.to_string());
        }
        let resp = req.send().await.unwrap();
        if step["replay"] != true {
            assert!(step["why"].is_string(), "{step}");
            continue;
        }
        replayed += 1;
        let what = format!("{method} {path}");
        assert_eq!(resp.status().as_u16(), step["status"], "{what}");
        let location = resp
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        assert_eq!(location.as_deref(), step["location"].as_str(), "{what}");
        let text = resp.text().await.unwrap();
        let got: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert_eq!(
            got,
            step.get("body").cloned().unwrap_or(Value::Null),
            "{what}"
        );
    }
    assert_eq!(replayed, 10);
}
db_test!(zaqar_topic_transcript);
