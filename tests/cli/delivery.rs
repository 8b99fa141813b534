//! `tidings delivery list|retry`, with a real webhook sink and the worker
//! drained by the test (no sleeping).
use serde_json::{json, Value};

use super::run::tidings;
use crate::helpers::{env, spawn_with, Backend, TestApp};
use crate::sink::{HttpSink, Mode};

/// A subscription whose one delivery failed for good (four attempts).
async fn dead_letter(app: &TestApp, sink: &HttpSink) -> String {
    let policy = json!({"retries_with_no_delay": 1, "minimum_delay_retries": 0, "maximum_delay_retries": 0,
                        "minimum_delay": 5, "maximum_delay": 15, "retry_backoff_function": "linear"});
    let resp = app
        .send_json(
            reqwest::Method::POST,
            "/v2/queues/orders/subscriptions",
            &json!({"subscriber": sink.url("/hook"), "options": {"_retry_policy": policy}}),
        )
        .await;
    let sub = resp.json::<Value>().await.unwrap()["subscription_id"]
        .as_str()
        .unwrap()
        .to_string();
    sink.set_mode(Mode::Status(500));
    app.post_messages("orders", json!([{"body": {"n": 1}}]))
        .await;
    for _ in 0..10 {
        app.drain().await;
        app.clock.advance_secs(60);
    }
    sub
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_failed_deliveries_and_retry_them() {
    let sink = HttpSink::start().await;
    let app = spawn_with(Backend::Sqlite, env(&[])).await.unwrap();
    let sub = dead_letter(&app, &sink).await;

    let table = tidings(&app, &["delivery", "list", "orders", &sub])
        .await
        .ok();
    let header = table.row("Id");
    assert_eq!(
        header,
        [
            "Id",
            "Kind",
            "Message",
            "Status",
            "Attempts",
            "Last attempt",
            "Next attempt"
        ]
    );
    let json = tidings(
        &app,
        &[
            "delivery", "list", "orders", &sub, "--status", "failed", "-o", "json",
        ],
    )
    .await
    .ok()
    .json();
    let failed = json.as_array().unwrap();
    assert_eq!(failed.len(), 1);
    let id = failed[0]["id"].as_str().unwrap().to_string();
    assert_eq!(failed[0]["status"], "failed");
    assert_eq!(failed[0]["attempts"].as_array().unwrap().len(), 4);
    let row = table.row(&id);
    assert_eq!(
        (row[1].as_str(), row[3].as_str(), row[4].as_str()),
        ("notification", "failed", "4")
    );
    assert!(row[5].contains("HTTP 500"), "{row:?}");

    sink.set_mode(Mode::Status(200));
    let retried = tidings(
        &app,
        &[
            "delivery",
            "retry",
            "orders",
            &sub,
            "--all-failed",
            "-o",
            "json",
        ],
    )
    .await
    .ok()
    .json();
    assert_eq!(retried[0]["id"], id.as_str());
    assert_eq!(retried[0]["status"], "pending");
    app.drain().await;
    let delivered = tidings(
        &app,
        &[
            "delivery",
            "list",
            "orders",
            &sub,
            "--status",
            "delivered",
            "-o",
            "value",
        ],
    )
    .await
    .ok();
    assert_eq!(delivered.stdout, format!("{id}\n"));
    assert_eq!(sink.received().len(), 5);

    // A delivered delivery cannot be retried: the API's 409, exit 1.
    let again = tidings(&app, &["delivery", "retry", "orders", &sub, &id]).await;
    assert_eq!(again.code, 1);
    assert!(
        again
            .stderr
            .starts_with(&format!("error: delivery {id}: Resource conflict: ")),
        "{}",
        again.stderr
    );
    assert!(
        again
            .stderr
            .contains("only failed deliveries can be retried"),
        "{}",
        again.stderr
    );
    let none = tidings(&app, &["delivery", "retry", "orders", &sub, "--all-failed"])
        .await
        .ok();
    assert_eq!(none.stdout, "No failed deliveries to retry.\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_errors() {
    let app = spawn_with(Backend::Sqlite, env(&[])).await.unwrap();
    let unknown = tidings(&app, &["delivery", "list", "orders", "no-such-sub"]).await;
    assert_eq!(unknown.code, 1);
    assert_eq!(
        unknown.stderr,
        "error: Not found: Subscription no-such-sub does not exist (HTTP 404)\n"
    );
    let status = tidings(
        &app,
        &["delivery", "list", "orders", "x", "--status", "lost"],
    )
    .await;
    assert_eq!(status.code, 2);
    assert!(
        status
            .stderr
            .contains("possible values: pending, delivered, failed, skipped"),
        "{}",
        status.stderr
    );
    let nothing = tidings(&app, &["delivery", "retry", "orders", "x"]).await;
    assert_eq!(nothing.code, 2, "a delivery id or --all-failed is required");
}
