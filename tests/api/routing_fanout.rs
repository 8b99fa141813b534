//! Routing end to end: messages posted, the worker drained, real sinks
//! counting what each subscriber got. The seeds' scenarios (Pulp's
//! listeners, the OpenShift notification proposal, CPS's object-type
//! filter), and the compiled-routing cache following every change.
use std::collections::HashMap;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::{env, spawn_on, spawn_with, spawn_with_toml, Backend, TestApp};
use crate::routing_bad_input::OPENSHIFT_TOML;
use crate::sink::HttpSink;
use crate::smtp_sink::SmtpSink;

const WAIT: Duration = Duration::from_secs(10);

pub async fn subscribe(app: &TestApp, queue: &str, body: Value) -> String {
    let resp = app
        .send_json(
            Method::POST,
            &format!("/v2/queues/{queue}/subscriptions"),
            &body,
        )
        .await;
    let status = resp.status().as_u16();
    let answer: Value = resp.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 201, "subscribe {body}: {answer}");
    answer["subscription_id"].as_str().unwrap().to_string()
}

/// Which sink paths got which event types (from each notification's body).
fn arrivals(sink: &HttpSink) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for r in sink.received() {
        let body = r.json();
        let event = body["body"]["event_type"]
            .as_str()
            .or_else(|| body["body"]["reason"].as_str())
            .unwrap_or("")
            .to_string();
        out.entry(r.path).or_default().push(event);
    }
    for events in out.values_mut() {
        events.sort();
    }
    out
}

async fn delivery_count(app: &TestApp, queue: &str, subscription: &str) -> usize {
    let (status, log) = app
        .get_json(&format!(
            "/v2/queues/{queue}/subscriptions/{subscription}/deliveries"
        ))
        .await;
    assert_eq!(status, 200, "{log}");
    log["deliveries"].as_array().unwrap().len()
}

pub const PULP_EVENTS: [&str; 4] = [
    "repo.sync.start",
    "repo.sync.finish",
    "repo.publish.start",
    "repo.publish.finish",
];

/// A Pulp event report as the seed shows it.
pub fn pulp_report(event_type: &str) -> Value {
    json!({
        "event_type": event_type,
        "payload": {"repo_id": "pulp2"},
        "call_report": {"state": "running", "principal_login": "admin", "tags": ["pulp:repository:pulp2", "pulp:action:sync"]},
    })
}

async fn pulp_listeners_get_exactly_their_event_types(backend: Backend) {
    let sink = HttpSink::start().await;
    let Some(app) = spawn_with(backend, env(&[])).await else {
        return;
    };
    let listeners = [
        ("/start", json!(["repo.sync.start"])),
        ("/sync", json!(["repo.sync.*"])),
        ("/all", json!(["*"])),
        ("/not-sync", json!(["*", "!repo.sync.*"])),
    ];
    let mut ids = HashMap::new();
    for (path, event_types) in &listeners {
        let id = subscribe(
            &app,
            "pulp",
            json!({"subscriber": sink.url(path), "options": {"event_types": event_types}}),
        )
        .await;
        ids.insert(*path, id);
    }
    let messages: Vec<Value> = PULP_EVENTS
        .iter()
        .map(|e| json!({"body": pulp_report(e)}))
        .collect();
    app.post_messages("pulp", json!(messages)).await;
    let expected = 1 + 2 + 4 + 2;
    assert_eq!(app.drain().await, expected);
    sink.wait_for(expected, WAIT).await;
    let got = arrivals(&sink);
    let want = |events: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = events.iter().map(|e| e.to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(got["/start"], want(&["repo.sync.start"]));
    assert_eq!(got["/sync"], want(&["repo.sync.start", "repo.sync.finish"]));
    assert_eq!(got["/all"], want(&PULP_EVENTS));
    assert_eq!(
        got["/not-sync"],
        want(&["repo.publish.start", "repo.publish.finish"])
    );
    // The delivery log has a row per delivery and none for what was
    // routed away.
    assert_eq!(delivery_count(&app, "pulp", &ids["/start"]).await, 1);
    assert_eq!(delivery_count(&app, "pulp", &ids["/all"]).await, 4);
    // `*` also matches a message without an event type (so does "all but
    // sync"); the others name event types it does not have.
    app.post_messages("pulp", json!([{"body": {"no": "event type"}}]))
        .await;
    assert_eq!(app.drain().await, 2);
    let got = sink.wait_for(expected + 2, WAIT).await;
    let mut paths: Vec<&str> = got[expected..].iter().map(|r| r.path.as_str()).collect();
    paths.sort();
    assert_eq!(paths, ["/all", "/not-sync"]);
    assert_eq!(sink.received().len(), expected + 2);
    let metrics = app
        .bare(Method::GET, "/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("tidings_fanout_routed_out_total 9"),
        "16 - 9 routed away for the four messages, 2 for the untyped one:\n{metrics}"
    );
}
backend_test!(pulp_listeners_get_exactly_their_event_types);

/// An OpenShift `Event` for an involved object kind and reason.
pub fn openshift_event(kind: &str, reason: &str, name: &str) -> Value {
    json!({
        "kind": "Event",
        "apiVersion": "v1",
        "metadata": {"name": format!("{name}.17a"), "namespace": "n"},
        "involvedObject": {"kind": kind, "namespace": "n", "name": name},
        "reason": reason,
        "message": format!("{kind} {name}: {reason}"),
        "type": "Warning",
    })
}

async fn confirm(app: &TestApp, queue: &str, id: &str) {
    let resp = app
        .send_json(
            Method::PUT,
            &format!("/v2/queues/{queue}/subscriptions/{id}/confirm"),
            &json!({"confirmed": true}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 204);
}

async fn openshift_users_get_their_share_by_email_and_text(backend: Backend) {
    let smtp = SmtpSink::start().await;
    let text_gateway = HttpSink::start().await;
    let Some(app) = spawn_with_toml(
        backend,
        OPENSHIFT_TOML,
        env(&[("TIDINGS_MAIL_URL", &smtp.url())]),
    )
    .await
    else {
        return;
    };
    // Namespace N is a queue whose event type is OpenShift's Kind:Reason.
    let resp = app
        .send_json(
            Method::PUT,
            "/v2/queues/n",
            &json!({"_event_type": "{involvedObject.kind}:{reason}"}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let mut mailto = Vec::new();
    for (user, event) in [
        ("alice", "Pod:PodFailed"),
        ("bob", "Pod:PodFailed"),
        ("jane", "DeploymentConfig:Failed"),
    ] {
        let id = subscribe(
            &app,
            "n",
            json!({"subscriber": format!("mailto:{user}@example.com"), "ttl": 86400,
                   "options": {"notification_type": "email", "event_types": [event]}}),
        )
        .await;
        confirm(&app, "n", &id).await;
        mailto.push(id);
    }
    subscribe(
        &app,
        "n",
        json!({"subscriber": text_gateway.url("/sms/jane"), "options": {"notification_type": "text", "event_types": ["DeploymentConfig:Failed"]}}),
    )
    .await;
    // Text for Pod:PodFailed is not offered, so it cannot be asked for.
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/n/subscriptions",
            &json!({"subscriber": text_gateway.url("/sms/alice"), "options": {"notification_type": "text", "event_types": ["Pod:PodFailed"]}}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 400);
    let err: Value = resp.json().await.unwrap();
    assert!(
        err["description"]
            .as_str()
            .unwrap()
            .contains("\"text\" notifications for \"Pod:PodFailed\""),
        "{err}"
    );
    app.drain().await; // the confirmation emails
    let confirmations = smtp.messages().len();
    assert_eq!(confirmations, 3);

    app.post_messages(
        "n",
        json!([
            {"body": openshift_event("Pod", "PodFailed", "web-1")},
            {"body": openshift_event("DeploymentConfig", "Failed", "web")},
            {"body": openshift_event("Node", "NotReady", "node-3")},
        ]),
    )
    .await;
    // alice + bob by email for the pod, jane by email and text for the
    // deployment, nobody for the node.
    assert_eq!(app.drain().await, 4);
    let mails: Vec<_> = smtp.wait_for(confirmations + 3, WAIT).await[confirmations..].to_vec();
    let mut got: Vec<(String, bool)> = mails
        .iter()
        .map(|m| {
            assert_eq!(
                m.header("Subject").as_deref(),
                Some("New message on queue n")
            );
            (m.rcpt_to.join(","), m.data.contains("PodFailed"))
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("alice@example.com".to_string(), true),
            ("bob@example.com".to_string(), true),
            ("jane@example.com".to_string(), false),
        ]
    );
    let texts = text_gateway.wait_for(1, WAIT).await;
    assert_eq!(texts.len(), 1);
    assert_eq!(texts[0].path, "/sms/jane");
    assert_eq!(texts[0].json()["body"]["reason"], "Failed");
    // Nothing else arrives later.
    assert_eq!(app.drain().await, 0);
    assert_eq!(smtp.messages().len(), confirmations + 3);
    assert_eq!(text_gateway.received().len(), 1);
}
backend_test!(openshift_users_get_their_share_by_email_and_text);

async fn the_policy_also_holds_at_fan_out(backend: Backend) {
    let sink = HttpSink::start().await;
    let Some(app) = spawn_with(backend, env(&[])).await else {
        return;
    };
    // Subscribed before the queue had a policy: allowed then, and
    // filtered by the policy once it has one.
    subscribe(&app, "q", json!({"subscriber": sink.url("/hook")})).await;
    let resp = app
        .req(Method::PATCH, "/v2/queues/q")
        .header(
            "Content-Type",
            "application/openstack-messaging-v2.0-json-patch",
        )
        .body(
            json!([{"op": "add", "path": "/metadata/_supported_notifications",
                    "value": {"build.failed": ["webhook"], "*": ["email"]}}])
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    app.post_messages(
        "q",
        json!([
            {"body": {"event_type": "build.failed", "n": 1}},
            {"body": {"event_type": "build.ok", "n": 2}},
            {"body": {"n": 3}},
        ]),
    )
    .await;
    assert_eq!(app.drain().await, 1);
    let got = sink.wait_for(1, WAIT).await;
    assert_eq!(got[0].json()["body"]["n"], 1);
    assert_eq!(sink.received().len(), 1);
}
backend_test!(the_policy_also_holds_at_fan_out);

async fn cps_object_type_filter(backend: Backend) {
    let sink = HttpSink::start().await;
    let Some(app) = spawn_with(backend, env(&[])).await else {
        return;
    };
    // CPS: filter_event_types + filter_object_types.
    subscribe(
        &app,
        "portal",
        json!({"subscriber": sink.url("/reviewers"), "options": {
            "event_types": ["workflow_in_publish", "workflow_submit"],
            "filter": {"object.portal_type": ["Document", "Post"]},
        }}),
    )
    .await;
    app.post_messages(
        "portal",
        json!([
            {"body": {"event_type": "workflow_submit", "object": {"portal_type": "Document", "id": "d1"}}},
            {"body": {"event_type": "workflow_submit", "object": {"portal_type": "Folder", "id": "f1"}}},
            {"body": {"event_type": "workflow_in_publish", "object": {"portal_type": "Post", "id": "p1"}}},
            {"body": {"event_type": "workflow_create", "object": {"portal_type": "Document", "id": "d2"}}},
            {"body": {"event_type": "workflow_submit", "object": {"id": "x"}}},
        ]),
    )
    .await;
    assert_eq!(app.drain().await, 2);
    sink.wait_for(2, WAIT).await;
    let mut ids: Vec<String> = sink
        .received()
        .iter()
        .map(|r| {
            r.json()["body"]["object"]["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    ids.sort();
    assert_eq!(ids, ["d1", "p1"]);
}
backend_test!(cps_object_type_filter);

async fn every_operator_through_fan_out(backend: Backend) {
    let sink = HttpSink::start().await;
    let Some(app) = spawn_with(backend, env(&[])).await else {
        return;
    };
    let filters = [
        ("/exact", json!({"severity": ["error", "critical"]})),
        ("/number", json!({"code": [500]})),
        ("/bool", json!({"retry": [true]})),
        ("/null", json!({"owner": [null]})),
        ("/prefix", json!({"repo_id": [{"prefix": "pulp"}]})),
        ("/suffix", json!({"file": [{"suffix": ".rpm"}]})),
        (
            "/case",
            json!({"state": [{"equals-ignore-case": "FAILED"}]}),
        ),
        (
            "/but",
            json!({"severity": [{"anything-but": ["debug", "info"]}]}),
        ),
        (
            "/but-prefix",
            json!({"repo_id": [{"anything-but": {"prefix": "test-"}}]}),
        ),
        (
            "/range",
            json!({"size": [{"numeric": [">=", 100, "<", 1000]}]}),
        ),
        ("/exists", json!({"user": [{"exists": true}]})),
        ("/missing", json!({"user": [{"exists": false}]})),
        ("/list", json!({"tags": ["prod"]})),
        ("/nested", json!({"object": {"type": ["Document"]}})),
    ];
    for (path, filter) in &filters {
        subscribe(
            &app,
            "ops",
            json!({"subscriber": sink.url(path), "options": {"filter": filter}}),
        )
        .await;
    }
    let bodies = [
        json!({"n": 1, "severity": "error", "code": 500, "retry": true, "owner": null,
               "repo_id": "pulp2", "file": "a.rpm", "state": "Failed", "size": 120,
               "user": "admin", "tags": ["x", "prod"], "object": {"type": "Document"}}),
        json!({"n": 2, "severity": "debug", "code": "500", "retry": "true", "owner": "me",
               "repo_id": "test-1", "file": "a.rpm.sig", "state": "fail", "size": 1000,
               "tags": ["x"], "object": {"type": "Folder"}}),
    ];
    let messages: Vec<Value> = bodies.iter().map(|b| json!({ "body": b })).collect();
    app.post_messages("ops", json!(messages)).await;
    app.drain().await;
    sink.wait_for(filters.len(), WAIT).await;
    let mut got: HashMap<String, Vec<i64>> = HashMap::new();
    for r in sink.received() {
        let n = r.json()["body"]["n"].as_i64().unwrap();
        got.entry(r.path).or_default().push(n);
    }
    for (path, _) in &filters {
        let want = if *path == "/missing" {
            vec![2]
        } else {
            vec![1]
        };
        assert_eq!(got.get(*path), Some(&want), "{path}");
    }
    assert_eq!(sink.received().len(), filters.len());
}
backend_test!(every_operator_through_fan_out);

async fn a_changed_subscription_routes_by_its_new_options_at_once(backend: Backend) {
    let sink = HttpSink::start().await;
    let Some(app) = spawn_with(backend, env(&[])).await else {
        return;
    };
    let id = subscribe(
        &app,
        "q",
        json!({"subscriber": sink.url("/h"), "options": {"event_types": ["a"]}}),
    )
    .await;
    app.post_messages(
        "q",
        json!([{"body": {"event_type": "a"}}, {"body": {"event_type": "b"}}]),
    )
    .await;
    assert_eq!(app.drain().await, 1);
    // Same millisecond (the manual clock stands still): the cache must see
    // the change by content, not by time.
    let resp = app
        .send_json(
            Method::PATCH,
            &format!("/v2/queues/q/subscriptions/{id}"),
            &json!({"options": {"event_types": ["b"]}}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 204);
    app.post_messages(
        "q",
        json!([{"body": {"event_type": "a"}}, {"body": {"event_type": "b"}}]),
    )
    .await;
    assert_eq!(app.drain().await, 1);
    let got = sink.wait_for(2, WAIT).await;
    let events: Vec<Value> = got
        .iter()
        .map(|r| r.json()["body"]["event_type"].clone())
        .collect();
    assert_eq!(events, [json!("a"), json!("b")]);
}
backend_test!(a_changed_subscription_routes_by_its_new_options_at_once);

async fn a_change_made_by_another_node_is_seen(backend: Backend) {
    let sink = HttpSink::start().await;
    let Some(a) = spawn_with(backend, env(&[])).await else {
        return;
    };
    let id = subscribe(
        &a,
        "q",
        json!({"subscriber": sink.url("/h"), "options": {"filter": {"k": ["old"]}}}),
    )
    .await;
    a.post_messages("q", json!([{"body": {"k": "old"}}])).await;
    assert_eq!(a.drain().await, 1);
    // Another process on the same database changes the filter; this one
    // has the old routing compiled and must not keep using it.
    let b = spawn_on(backend, &a.database_url, env(&[])).await;
    let resp = b
        .send_json(
            Method::PATCH,
            &format!("/v2/queues/q/subscriptions/{id}"),
            &json!({"options": {"filter": {"k": ["new"]}}}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 204);
    a.post_messages("q", json!([{"body": {"k": "old"}}, {"body": {"k": "new"}}]))
        .await;
    assert_eq!(a.drain().await, 1);
    let got = sink.wait_for(2, WAIT).await;
    assert_eq!(got[1].json()["body"]["k"], "new");
}
backend_test!(a_change_made_by_another_node_is_seen);
