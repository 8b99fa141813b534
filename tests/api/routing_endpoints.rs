//! What the operator offers (`GET /v2/notification_types`, the effective
//! policy of a queue), the subscription `status`, and the event type
//! stored with each posted message.
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::db_test;
use crate::helpers::{env, spawn_with, spawn_with_toml, Backend, TestApp};
use crate::routing_bad_input::OPENSHIFT_TOML;

async fn builtin_notification_types_and_no_policy(app: TestApp) {
    let (status, body) = app.get_json("/v2/notification_types").await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"notification_types": [
            {"name": "email", "description": "Email notification.", "schemes": ["mailto"]},
            {"name": "webhook", "description": "HTTP POST to a URL (webhook).", "schemes": ["http", "https"]},
            {"name": "amqp", "description": "Message to an AMQP exchange.", "schemes": ["amqp", "amqps"]},
        ]})
    );
    let (status, body) = app.get_json("/v2/queues/q/notification_policy").await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"event_types": {}, "source": "none"}));
    // Zaqar's headers are required as on every other resource.
    let resp = app
        .bare(Method::GET, "/v2/notification_types")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let resp = app
        .req(Method::POST, "/v2/notification_types")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);
}
db_test!(builtin_notification_types_and_no_policy);

async fn declared_types_and_policies_queue_over_server(backend: Backend) {
    let Some(app) = spawn_with_toml(backend, OPENSHIFT_TOML, env(&[])).await else {
        return;
    };
    let (_, body) = app.get_json("/v2/notification_types").await;
    let names: Vec<&str> = body["notification_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["email", "webhook", "amqp", "text"]);
    assert_eq!(
        body["notification_types"][3],
        json!({"name": "text", "description": "Text message notification.", "schemes": ["http", "https"]})
    );
    let (_, policy) = app.get_json("/v2/queues/ns/notification_policy").await;
    assert_eq!(
        policy,
        json!({"event_types": {"Pod:PodFailed": ["email"], "DeploymentConfig:Failed": ["email", "text"]}, "source": "server"})
    );
    // A queue's own policy replaces the server's; removing it restores it.
    let patch = |op: &str, value: Option<Value>| {
        let mut change = json!({"op": op, "path": "/metadata/_supported_notifications"});
        if let Some(v) = value {
            change["value"] = v;
        }
        app.req(Method::PATCH, "/v2/queues/ns")
            .header(
                "Content-Type",
                "application/openstack-messaging-v2.0-json-patch",
            )
            .body(json!([change]).to_string())
            .send()
    };
    app.create_queue("ns").await;
    let resp = patch("add", Some(json!({"*": ["webhook"]}))).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let (_, policy) = app.get_json("/v2/queues/ns/notification_policy").await;
    assert_eq!(
        policy,
        json!({"event_types": {"*": ["webhook"]}, "source": "queue"})
    );
    // The metadata shows the key as stored.
    let (_, meta) = app.get_json("/v2/queues/ns").await;
    assert_eq!(meta["_supported_notifications"], json!({"*": ["webhook"]}));
    patch("remove", None).await.unwrap();
    let (_, policy) = app.get_json("/v2/queues/ns/notification_policy").await;
    assert_eq!(policy["source"], "server");
}
crate::backend_test!(declared_types_and_policies_queue_over_server);

async fn no_types_declared_means_an_empty_list_and_no_checks(backend: Backend) {
    let Some(app) =
        spawn_with_toml(backend, "builtin_notification_types = false\n", env(&[])).await
    else {
        return;
    };
    let (_, body) = app.get_json("/v2/notification_types").await;
    assert_eq!(body, json!({"notification_types": []}));
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/q/subscriptions",
            &json!({"subscriber": "http://127.0.0.1:9/x", "options": {"event_types": ["a.*"]}}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let (_, policy) = app.get_json("/v2/queues/q/notification_policy").await;
    assert_eq!(policy["source"], "none");
}
crate::backend_test!(no_types_declared_means_an_empty_list_and_no_checks);

async fn subscriptions_report_their_status(app: TestApp) {
    let app = &app;
    let create = |subscriber: &'static str| async move {
        app.send_json(
            Method::POST,
            "/v2/queues/q/subscriptions",
            &json!({ "subscriber": subscriber }),
        )
        .await
    };
    let id = |v: Value| v["subscription_id"].as_str().unwrap().to_string();
    let mail = id(create("mailto:a@example.com").await.json().await.unwrap());
    let hook = id(create("http://127.0.0.1:9/h").await.json().await.unwrap());
    let show = |id: String| async move {
        app.get_json(&format!("/v2/queues/q/subscriptions/{id}"))
            .await
            .1
    };
    let m = show(mail.clone()).await;
    assert_eq!(
        (m["status"].clone(), m["confirmed"].clone()),
        (json!("pending"), json!(false))
    );
    let h = show(hook.clone()).await;
    assert_eq!(
        (h["status"].clone(), h["confirmed"].clone()),
        (json!("active"), json!(false))
    );
    let confirm = |id: String, confirmed: bool| async move {
        app.send_json(
            Method::PUT,
            &format!("/v2/queues/q/subscriptions/{id}/confirm"),
            &json!({ "confirmed": confirmed }),
        )
        .await
    };
    assert_eq!(confirm(mail.clone(), true).await.status().as_u16(), 204);
    let m = show(mail.clone()).await;
    assert_eq!(
        (m["status"].clone(), m["confirmed"].clone()),
        (json!("active"), json!(true))
    );
    assert_eq!(confirm(mail.clone(), false).await.status().as_u16(), 204);
    assert_eq!(show(mail.clone()).await["status"], "unsubscribed");
    let (_, list) = app.get_json("/v2/queues/q/subscriptions").await;
    let statuses: Vec<&str> = list["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.len(), 2);
    assert!(statuses.contains(&"unsubscribed") && statuses.contains(&"active"));
}
db_test!(subscriptions_report_their_status);

async fn stored_event_types(app: &TestApp, queue: &str) -> Vec<Option<String>> {
    let db = &app.state.db;
    let sql = format!("SELECT event_type FROM messages WHERE queue = '{queue}' ORDER BY seq");
    db.query_all_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        sql,
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get::<Option<String>>("", "event_type").unwrap())
    .collect()
}

async fn each_message_stores_its_event_type(backend: Backend) {
    let app = spawn_with(backend, env(&[])).await;
    let Some(app) = app else { return };
    app.post_messages(
        "pulp",
        json!([
            {"body": {"event_type": "repo.sync.start", "payload": {"repo_id": "pulp2"}}},
            {"body": {"no": "type"}},
            {"body": "text"},
        ]),
    )
    .await;
    let resp = app
        .send_json(
            Method::PUT,
            "/v2/queues/k8s",
            &json!({"_event_type": "{involvedObject.kind}:{reason}"}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let ids = app
        .post_messages(
            "k8s",
            json!([
                {"body": {"kind": "Event", "involvedObject": {"kind": "Pod"}, "reason": "PodFailed"}},
                {"body": {"kind": "Event", "involvedObject": {"kind": "Pod"}}},
            ]),
        )
        .await;
    // Message responses keep Zaqar's keys exactly.
    let (_, m) = app
        .get_json(&format!("/v2/queues/k8s/messages/{}", ids[0]))
        .await;
    let mut keys: Vec<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["age", "body", "href", "id", "ttl"]);
    assert_eq!(
        stored_event_types(&app, "pulp").await,
        [Some("repo.sync.start".to_string()), None, None]
    );
    assert_eq!(
        stored_event_types(&app, "k8s").await,
        [Some("Pod:PodFailed".to_string()), None]
    );
}
crate::backend_test!(each_message_stores_its_event_type);
