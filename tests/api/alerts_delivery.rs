//! Alert-mode subscriptions through `/v2`: a webhook and an email in alert
//! mode, state reports posted as messages, the test clock moved past the
//! interval. Checks what arrives (the alert object, the email subjects)
//! and what does not (ordinary messages, repeated states, flapping, the
//! element below a failed one), and that a pending "occurred" survives a
//! restart and fires once.
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{env, spawn_on, spawn_with, Backend, TestApp};
use crate::sink::HttpSink;
use crate::smtp_sink::SmtpSink;

const WAIT: Duration = Duration::from_secs(10);

async fn subscribe(app: &TestApp, queue: &str, subscriber: &str, alert: Value) -> String {
    let resp = app
        .send_json(
            Method::POST,
            &format!("/v2/queues/{queue}/subscriptions"),
            &json!({"subscriber": subscriber, "ttl": 86400, "options": {"alert": alert}}),
        )
        .await;
    let status = resp.status().as_u16();
    let answer: Value = resp.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 201, "subscribe {subscriber}: {answer}");
    answer["subscription_id"].as_str().unwrap().to_string()
}

fn report(element: &str, level: &str, parent: &str, state: &str) -> Value {
    json!({"body": {"element": element, "level": level, "parent": parent, "state": state}, "ttl": 3600})
}

/// The alert objects the sink received, as `KIND STATE ELEMENT`.
fn alerts(sink: &HttpSink) -> Vec<String> {
    sink.received()
        .iter()
        .map(|r| {
            let a = &r.json()["alert"];
            format!(
                "{} {} {}",
                a["kind"].as_str().unwrap_or("?"),
                a["state"].as_str().unwrap_or("?"),
                a["element"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

async fn alert_mode_webhook_and_email(backend: Backend) {
    let smtp = SmtpSink::start().await;
    let sink = HttpSink::start().await;
    let Some(app) = spawn_with(backend, env(&[("TIDINGS_MAIL_URL", &smtp.url())])).await else {
        return;
    };
    app.create_queue("shop").await;
    subscribe(
        &app,
        "shop",
        &sink.url("/hook"),
        json!({"states": ["warning", "error"], "interval": 60}),
    )
    .await;
    let mail = subscribe(
        &app,
        "shop",
        "mailto:ops@example.com",
        json!({"states": ["Error"], "levels": ["Action"], "interval": 60}),
    )
    .await;
    let resp = app
        .send_json(
            Method::PUT,
            &format!("/v2/queues/shop/subscriptions/{mail}/confirm"),
            &json!({"confirmed": true}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 204);
    app.drain().await; // the confirmation email
    let confirmations = smtp.messages().len();

    // An ordinary message is not for alert subscriptions.
    app.post_messages("shop", json!([{"body": {"hello": "world"}}]))
        .await;
    app.drain().await;
    assert!(sink.received().is_empty());

    app.post_messages(
        "shop",
        json!([report("shop/api/pay", "action", "shop/api", "ERROR")]),
    )
    .await;
    app.drain().await;
    assert!(sink.received().is_empty(), "sent before the interval");
    app.clock.advance_secs(30);
    // Monitors re-report: the interval is not restarted.
    app.post_messages(
        "shop",
        json!([report("shop/api/pay", "action", "shop/api", "error")]),
    )
    .await;
    app.drain().await;
    assert!(sink.received().is_empty(), "sent before the interval");
    app.clock.advance_secs(31);
    app.drain().await;
    assert_eq!(alerts(&sink), ["occurred error shop/api/pay"]);
    let body = sink.received()[0].json();
    assert_eq!(body["body"]["element"], "shop/api/pay");
    assert_eq!(body["queue_name"], "shop");
    assert_eq!(body["Message_Type"], "Notification");
    assert_eq!(body["alert"]["level"], "action");
    let since = body["alert"]["since"].as_str().unwrap();
    assert!(since.ends_with('Z') && since.contains('T'), "{since}");
    let mails = smtp.wait_for(confirmations + 1, WAIT).await;
    let occurred = &mails[confirmations];
    assert_eq!(
        occurred.header("Subject").as_deref(),
        Some("ERROR occurred: shop/api/pay")
    );
    assert!(
        occurred.data.contains("Level:   action"),
        "{}",
        occurred.data
    );

    // "Resolved" is immediate: no clock move.
    app.post_messages(
        "shop",
        json!([report("shop/api/pay", "action", "shop/api", "ok")]),
    )
    .await;
    app.drain().await;
    assert_eq!(
        alerts(&sink),
        ["occurred error shop/api/pay", "resolved error shop/api/pay"]
    );
    let mails = smtp.wait_for(confirmations + 2, WAIT).await;
    assert_eq!(
        mails[confirmations + 1].header("Subject").as_deref(),
        Some("ERROR resolved: shop/api/pay")
    );
    // Nothing else is due, however long we wait.
    app.clock.advance_secs(3600);
    app.drain().await;
    assert_eq!(sink.received().len(), 2);
    assert_eq!(smtp.messages().len(), confirmations + 2);
}
crate::backend_test!(alert_mode_webhook_and_email);

async fn flapping_and_the_highest_level(backend: Backend) {
    let sink = HttpSink::start().await;
    let Some(app) = spawn_with(backend, env(&[])).await else {
        return;
    };
    app.create_queue("shop").await;
    let id = subscribe(
        &app,
        "shop",
        &sink.url("/hook"),
        json!({"states": ["error"], "interval": 60}),
    )
    .await;
    // Flapping faster than the interval: nothing.
    for state in ["error", "ok", "error", "ok", "error", "ok"] {
        app.post_messages(
            "shop",
            json!([report("shop/api/pay", "action", "shop/api", state)]),
        )
        .await;
        app.drain().await;
        app.clock.advance_secs(20);
    }
    app.clock.advance_secs(600);
    app.drain().await;
    assert!(sink.received().is_empty(), "{:?}", alerts(&sink));

    // A component and its action both fail: only the action is told.
    app.post_messages(
        "shop",
        json!([
            report("shop/api/pay/db", "component", "shop/api/pay", "error"),
            report("shop/api/pay", "action", "shop/api", "error"),
        ]),
    )
    .await;
    app.drain().await;
    app.clock.advance_secs(61);
    app.drain().await;
    assert_eq!(alerts(&sink), ["occurred error shop/api/pay"]);
    // The action recovers, then the component recovers: only the action's
    // "resolved" (the component's "occurred" was never sent).
    app.post_messages(
        "shop",
        json!([
            report("shop/api/pay", "action", "shop/api", "ok"),
            report("shop/api/pay/db", "component", "shop/api/pay", "ok"),
        ]),
    )
    .await;
    app.drain().await;
    assert_eq!(
        alerts(&sink),
        ["occurred error shop/api/pay", "resolved error shop/api/pay"]
    );
    // The component alone fails: the component is told.
    app.post_messages(
        "shop",
        json!([report(
            "shop/api/pay/db",
            "component",
            "shop/api/pay",
            "error"
        )]),
    )
    .await;
    app.drain().await;
    app.clock.advance_secs(61);
    app.drain().await;
    assert_eq!(
        alerts(&sink),
        [
            "occurred error shop/api/pay",
            "resolved error shop/api/pay",
            "occurred error shop/api/pay/db"
        ]
    );
    // The cancelled and suppressed occurrences are in the delivery log,
    // each with its reason.
    let skipped = count_deliveries(&app, "skipped").await;
    assert!(skipped >= 4, "skipped alert deliveries: {skipped}");
    let (status, log) = app
        .get_json(&format!(
            "/v2/queues/shop/subscriptions/{id}/deliveries?status=skipped"
        ))
        .await;
    assert_eq!(status, 200, "{log}");
    let reasons: Vec<&str> = log["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["reason"].as_str().unwrap_or(""))
        .collect();
    assert!(
        reasons.contains(&"suppressed: shop/api/pay, above shop/api/pay/db, is already error or worse (highest level only)"),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&"cancelled: shop/api/pay reported ok before the interval ended"),
        "{reasons:?}"
    );
    // Deleting the subscription forgets its element states.
    assert_eq!(alert_states(&app).await, 2);
    let resp = app
        .req(
            Method::DELETE,
            &format!("/v2/queues/shop/subscriptions/{id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(alert_states(&app).await, 0);
}

async fn alert_states(app: &TestApp) -> i64 {
    use sea_orm::ConnectionTrait;
    let db = &app.state.db;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM alert_states".to_string(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}
crate::backend_test!(flapping_and_the_highest_level);

async fn count_deliveries(app: &TestApp, status: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let db = &app.state.db;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT COUNT(*) AS n FROM deliveries WHERE kind = 'alert' AND status = '{status}'"
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn a_pending_occurrence_survives_a_restart(backend: Backend) {
    let sink = HttpSink::start().await;
    let Some(app) = spawn_with(backend, env(&[])).await else {
        return;
    };
    app.create_queue("shop").await;
    subscribe(
        &app,
        "shop",
        &sink.url("/hook"),
        json!({"states": ["error"], "interval": 120}),
    )
    .await;
    app.post_messages(
        "shop",
        json!([report("shop/api", "service", "shop", "error")]),
    )
    .await;
    app.drain().await;
    assert_eq!(count_deliveries(&app, "pending").await, 1);
    // The first process stops working (its files stay: they hold the
    // SQLite database).
    let TestApp {
        dir: _dir,
        database_url: url,
        ..
    } = app;

    // A new process on the same database, with its own clock (which
    // starts at the system time, at or after the post).
    let app = spawn_on(backend, &url, env(&[])).await;
    app.clock.advance_secs(60);
    app.drain().await;
    assert!(sink.received().is_empty(), "sent early after the restart");
    app.clock.advance_secs(61);
    app.drain().await;
    assert_eq!(alerts(&sink), ["occurred error shop/api"]);
    app.clock.advance_secs(3600);
    app.drain().await;
    assert_eq!(sink.received().len(), 1, "sent twice");
}
crate::backend_test!(a_pending_occurrence_survives_a_restart);
