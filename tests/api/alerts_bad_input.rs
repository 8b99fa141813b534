//! Bad `options.alert` and queue metadata `_alert`: a 400 with a Zaqar
//! error body, and nothing stored.
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;

const PATCH_TYPE: &str = "application/openstack-messaging-v2.0-json-patch";

async fn refused(
    app: &TestApp,
    method: Method,
    path: &str,
    content_type: &str,
    body: Value,
    why: &str,
) {
    let before = app.row_counts().await;
    let (_, queue_before) = app.get_json("/v2/queues/alerts").await;
    let (_, subs_before) = app.get_json("/v2/queues/alerts/subscriptions").await;
    let resp = app
        .req(method.clone(), path)
        .header("Content-Type", content_type)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let err: Value = resp.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 400, "{method} {path} {body}: {err}");
    assert!(err["title"].is_string(), "{err}");
    let description = err["description"].as_str().unwrap_or("");
    assert!(
        description.contains(why),
        "{body}: {description:?} should say {why:?}"
    );
    assert_eq!(app.row_counts().await, before, "{body}: rows changed");
    assert_eq!(app.get_json("/v2/queues/alerts").await.1, queue_before);
    assert_eq!(
        app.get_json("/v2/queues/alerts/subscriptions").await.1,
        subs_before,
        "{body}"
    );
}

async fn alert_input_is_refused_and_changes_nothing(app: TestApp) {
    let resp = app
        .send_json(
            Method::PUT,
            "/v2/queues/alerts",
            &json!({"_alert": {"levels": ["Region", "Host"]}}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let subscribe = |alert: Value| json!({"subscriber": "mailto:ops@example.com", "ttl": 3600, "options": {"alert": alert}});
    for (alert, why) in [
        (json!("error"), "Option alert: must be an object"),
        (json!({"levels": ["host"]}), "states is required"),
        (
            json!({"states": ["critical"]}),
            "unknown state \"critical\"",
        ),
        (json!({"states": ["ok"]}), "ok cannot be watched"),
        (
            json!({"states": ["error"], "levels": ["component"]}),
            "unknown level \"component\"",
        ),
        (
            json!({"states": ["error"], "interval": -5}),
            "between 0 and 86400",
        ),
        (
            json!({"states": ["error"], "interval": 86401}),
            "between 0 and 86400",
        ),
        (json!({"states": ["error"], "interval": "60"}), "integer"),
        (json!({"states": "error"}), "non-empty list"),
        (json!({"states": ["error"], "active": 1}), "true or false"),
    ] {
        refused(
            &app,
            Method::POST,
            "/v2/queues/alerts/subscriptions",
            "application/json",
            subscribe(alert),
            why,
        )
        .await;
    }
    for (meta, why) in [
        (
            json!({"_alert": "x"}),
            "Queue metadata _alert: must be an object",
        ),
        (json!({"_alert": {"levels": []}}), "non-empty list"),
        (json!({"_alert": {"state": "a..b"}}), "empty segment"),
        (json!({"_alert": {"element": 1}}), "dotted body path"),
    ] {
        refused(
            &app,
            Method::PUT,
            "/v2/queues/alerts",
            "application/json",
            meta,
            why,
        )
        .await;
    }
    refused(
        &app,
        Method::PATCH,
        "/v2/queues/alerts",
        PATCH_TYPE,
        json!([{"op": "add", "path": "/metadata/_alert", "value": {"levels": "host"}}]),
        "non-empty list",
    )
    .await;
    // The valid forms are accepted, with the queue's own levels in any case.
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/alerts/subscriptions",
            &subscribe(json!({"states": ["Error"], "levels": ["HOST"], "interval": 86400})),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
}
crate::db_test!(alert_input_is_refused_and_changes_nothing);
