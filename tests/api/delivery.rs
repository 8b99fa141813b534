//! Fan-out and delivery end to end: real HTTP sinks, a real SMTP server,
//! the worker drained step by step and time moved by the manual clock.
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::{env, spawn_with, Backend, TestApp};
use crate::sink::{HttpSink, Mode};
use crate::smtp_sink::SmtpSink;

const WAIT: Duration = Duration::from_secs(10);

async fn subscribe(app: &TestApp, queue: &str, body: Value) -> String {
    let resp = app
        .send_json(
            Method::POST,
            &format!("/v2/queues/{queue}/subscriptions"),
            &body,
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201, "subscribe {body}");
    resp.json::<Value>().await.unwrap()["subscription_id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn deliveries(app: &TestApp, queue: &str, sub: &str) -> Vec<Value> {
    let (status, body) = app
        .get_json(&format!(
            "/v2/queues/{queue}/subscriptions/{sub}/deliveries"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    body["deliveries"].as_array().unwrap().clone()
}

async fn webhook_gets_zaqars_body_and_the_attempt_is_logged(backend: Backend) {
    let sink = HttpSink::start().await;
    let app = spawn_with(backend, env(&[])).await.unwrap();
    let sub = subscribe(
        &app,
        "cap-a1",
        json!({"subscriber": sink.url("/a1"), "ttl": 3600, "options": {}}),
    )
    .await;
    app.post_messages(
        "cap-a1",
        json!([{"ttl": 300, "body": {"event": "webhook-test", "seq": 1}}]),
    )
    .await;
    assert_eq!(app.drain().await, 1);
    let got = sink.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1);
    // Byte for byte what Zaqar sent (zaqar-captures/webhook_A1_notification.json).
    assert_eq!(
        String::from_utf8(got[0].body.clone()).unwrap(),
        r#"{"ttl": 300, "body": {"event": "webhook-test", "seq": 1}, "Message_Type": "Notification", "queue_name": "cap-a1"}"#
    );
    assert_eq!(got[0].header("content-type"), Some("application/json"));
    assert!(
        got[0].header("webhook-signature").is_none(),
        "no secret, no signature"
    );
    let log = deliveries(&app, "cap-a1", &sub).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["attempts"][0]["outcome"], "delivered");
    assert_eq!(log[0]["attempts"][0]["code"], 200);
    // Nothing left to do, and nothing sent twice.
    assert_eq!(app.drain().await, 0);
    assert_eq!(sink.received().len(), 1);
}
backend_test!(webhook_gets_zaqars_body_and_the_attempt_is_logged);

async fn signed_webhooks_verify(backend: Backend) {
    let sink = HttpSink::start().await;
    let app = spawn_with(backend, env(&[])).await.unwrap();
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    subscribe(
        &app,
        "q",
        json!({"subscriber": sink.url("/h"), "options": {"signing_secret": secret}}),
    )
    .await;
    app.post_messages("q", json!([{"body": "hello"}])).await;
    app.drain().await;
    let got = sink.wait_for(1, WAIT).await;
    let id = got[0].header("webhook-id").expect("webhook-id");
    let ts: i64 = got[0]
        .header("webhook-timestamp")
        .expect("timestamp")
        .parse()
        .unwrap();
    let expected = tidings::drivers::webhook::sign(secret, id, ts, &got[0].body).unwrap();
    assert_eq!(got[0].header("webhook-signature"), Some(expected.as_str()));
}
backend_test!(signed_webhooks_verify);

async fn a_failing_sink_is_retried_on_schedule_then_recovers(backend: Backend) {
    let sink = HttpSink::start().await;
    sink.set_mode(Mode::Status(503));
    let app = spawn_with(backend, env(&[])).await.unwrap();
    let sub = subscribe(&app, "q", json!({"subscriber": sink.url("/h")})).await;
    app.post_messages("q", json!([{"body": 1}])).await;
    assert_eq!(app.drain().await, 1);
    let log = deliveries(&app, "q", &sub).await;
    assert_eq!(log[0]["status"], "pending");
    assert_eq!(log[0]["attempts"][0]["outcome"], "transient_failure");
    assert_eq!(log[0]["attempts"][0]["code"], 503);
    // The retry is scheduled in the future: draining now does nothing.
    assert_eq!(app.drain().await, 0);
    sink.set_mode(Mode::Status(200));
    app.clock.advance_secs(10);
    assert_eq!(app.drain().await, 1);
    let log = deliveries(&app, "q", &sub).await;
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["attempts"].as_array().unwrap().len(), 2);
    assert_eq!(sink.received().len(), 2);
}
backend_test!(a_failing_sink_is_retried_on_schedule_then_recovers);

async fn retry_after_is_honoured(backend: Backend) {
    let sink = HttpSink::start().await;
    sink.set_mode(Mode::TooMany(120));
    let app = spawn_with(backend, env(&[])).await.unwrap();
    let sub = subscribe(&app, "q", json!({"subscriber": sink.url("/h")})).await;
    app.post_messages("q", json!([{"body": 1}])).await;
    app.drain().await;
    sink.set_mode(Mode::Status(200));
    app.clock.advance_secs(100);
    assert_eq!(app.drain().await, 0, "not before Retry-After");
    app.clock.advance_secs(30);
    assert_eq!(app.drain().await, 1);
    assert_eq!(deliveries(&app, "q", &sub).await[0]["status"], "delivered");
}
backend_test!(retry_after_is_honoured);

async fn exhausted_schedule_dead_letters_and_redelivery_works(backend: Backend) {
    let sink = HttpSink::start().await;
    sink.set_mode(Mode::Status(500));
    let app = spawn_with(backend, env(&[])).await.unwrap();
    // Zaqar policy: 1 immediate retry, then the linear backoff 5, 10: four
    // attempts in all.
    let policy = json!({"retries_with_no_delay": 1, "minimum_delay_retries": 0, "maximum_delay_retries": 0,
                        "minimum_delay": 5, "maximum_delay": 15, "retry_backoff_function": "linear"});
    let sub = subscribe(
        &app,
        "q",
        json!({"subscriber": sink.url("/h"), "options": {"_retry_policy": policy}}),
    )
    .await;
    app.post_messages("q", json!([{"body": 1}])).await;
    for _ in 0..10 {
        app.drain().await;
        app.clock.advance_secs(60);
    }
    let log = deliveries(&app, "q", &sub).await;
    assert_eq!(log[0]["status"], "failed");
    assert_eq!(log[0]["attempts"].as_array().unwrap().len(), 4);
    assert_eq!(sink.received().len(), 4);
    let (_, failed) = app
        .get_json(&format!(
            "/v2/queues/q/subscriptions/{sub}/deliveries?status=failed"
        ))
        .await;
    assert_eq!(failed["deliveries"].as_array().unwrap().len(), 1);

    sink.set_mode(Mode::Status(200));
    let id = log[0]["id"].as_str().unwrap();
    let retry = app
        .req(
            Method::POST,
            &format!("/v2/queues/q/subscriptions/{sub}/deliveries/{id}/retry"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status().as_u16(), 202);
    assert_eq!(app.drain().await, 1);
    let log = deliveries(&app, "q", &sub).await;
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["attempts"].as_array().unwrap().len(), 5);
    // A delivered one cannot be "retried".
    let again = app
        .req(
            Method::POST,
            &format!("/v2/queues/q/subscriptions/{sub}/deliveries/{id}/retry"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 409);
}
backend_test!(exhausted_schedule_dead_letters_and_redelivery_works);

async fn loopback_is_refused_without_allow_nets(backend: Backend) {
    let sink = HttpSink::start().await;
    let app = spawn_with(backend, env(&[("TIDINGS_WEBHOOK_ALLOW_NETS", " ")]))
        .await
        .unwrap();
    let sub = subscribe(&app, "q", json!({"subscriber": sink.url("/h")})).await;
    app.post_messages("q", json!([{"body": 1}])).await;
    app.drain().await;
    let log = deliveries(&app, "q", &sub).await;
    assert_eq!(log[0]["status"], "failed");
    let detail = log[0]["attempts"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("loopback"), "{detail}");
    assert!(sink.received().is_empty());
}
backend_test!(loopback_is_refused_without_allow_nets);

async fn only_active_unexpired_subscriptions_receive(backend: Backend) {
    let sink = HttpSink::start().await;
    let app = spawn_with(backend, env(&[])).await.unwrap();
    let active = subscribe(&app, "q", json!({"subscriber": sink.url("/active")})).await;
    let gone = subscribe(&app, "q", json!({"subscriber": sink.url("/unsubscribed")})).await;
    subscribe(
        &app,
        "q",
        json!({"subscriber": sink.url("/short"), "ttl": 60}),
    )
    .await;
    subscribe(
        &app,
        "q",
        json!({"subscriber": "mailto:pending@example.com"}),
    )
    .await;
    let resp = app
        .send_json(
            Method::PUT,
            &format!("/v2/queues/q/subscriptions/{gone}/confirm"),
            &json!({"confirmed": false}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 204);
    app.clock.advance_secs(61);
    app.post_messages("q", json!([{"body": 1}])).await;
    app.drain().await;
    let paths: Vec<String> = sink.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, vec!["/active".to_string()]);
    assert_eq!(deliveries(&app, "q", &active).await.len(), 1);
}
backend_test!(only_active_unexpired_subscriptions_receive);

async fn email_confirmation_then_notification_then_one_click_unsubscribe(backend: Backend) {
    let smtp = SmtpSink::start().await;
    let app = spawn_with(backend, env(&[("TIDINGS_MAIL_URL", &smtp.url())]))
        .await
        .unwrap();
    let sub = subscribe(
        &app,
        "alerts",
        json!({"subscriber": "mailto:ops@example.com", "ttl": 86400, "options": {"subject": "Alert"}}),
    )
    .await;
    app.drain().await;
    let mails = smtp.wait_for(1, WAIT).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].rcpt_to, vec!["ops@example.com".to_string()]);
    let link = find_link(&mails[0].data, "confirm_token=").expect("confirm link in the email");
    assert!(
        link.contains(
            "/v2/queues/alerts/subscriptions?subscriber=mailto%3Aops%40example.com&confirm_token="
        ),
        "{link}"
    );
    let path = &link[link.find("/v2/").unwrap()..];

    // A browser GET changes nothing.
    let page = app.bare(Method::GET, path).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let (_, before) = app
        .get_json(&format!("/v2/queues/alerts/subscriptions/{sub}"))
        .await;
    assert_eq!(before["confirmed"], false);
    let confirm = app.bare(Method::POST, path).send().await.unwrap();
    assert_eq!(confirm.status().as_u16(), 200);
    let (_, after) = app
        .get_json(&format!("/v2/queues/alerts/subscriptions/{sub}"))
        .await;
    assert_eq!(after["confirmed"], true);

    app.post_messages("alerts", json!([{"body": {"disk": "full"}}]))
        .await;
    app.drain().await;
    let mails = smtp.wait_for(2, WAIT).await;
    let note = &mails[1];
    assert_eq!(note.header("subject").as_deref(), Some("Alert"));
    assert_eq!(
        note.header("list-unsubscribe-post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(
        note.header("auto-submitted").as_deref(),
        Some("auto-generated")
    );
    let unsubscribe = note.header("list-unsubscribe").expect("List-Unsubscribe");
    let unsubscribe = unsubscribe.trim_start_matches('<').trim_end_matches('>');
    let path = &unsubscribe[unsubscribe.find("/v2/").unwrap()..];
    let one_click = app
        .bare(Method::POST, path)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(one_click.status().as_u16(), 200);
    let (_, gone) = app
        .get_json(&format!("/v2/queues/alerts/subscriptions/{sub}"))
        .await;
    assert_eq!(gone["confirmed"], false);
    app.post_messages("alerts", json!([{"body": "after unsubscribe"}]))
        .await;
    app.drain().await;
    let all = smtp.messages();
    assert!(
        all.iter().all(|m| !m.data.contains("after unsubscribe")),
        "an unsubscribed address receives no notifications"
    );
    let log = deliveries(&app, "alerts", &sub).await;
    assert!(log
        .iter()
        .any(|d| d["kind"] == "confirmation" && d["status"] == "delivered"));
    assert!(log
        .iter()
        .any(|d| d["kind"] == "notification" && d["status"] == "delivered"));
}
backend_test!(email_confirmation_then_notification_then_one_click_unsubscribe);

/// The first URL in `text` containing `needle`, quoted-printable soft breaks
/// undone.
fn find_link(text: &str, needle: &str) -> Option<String> {
    let text = text.replace("=\r\n", "").replace("=3D", "=");
    text.split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .find(|w| w.starts_with("http") && w.contains(needle))
        .map(String::from)
}

async fn fan_out_to_a_thousand_webhooks_and_a_hundred_mailboxes(backend: Backend) {
    let sink = HttpSink::start().await;
    let smtp = SmtpSink::start().await;
    let app = spawn_with(
        backend,
        env(&[
            ("TIDINGS_MAIL_URL", &smtp.url()),
            ("TIDINGS_REQUIRE_CONFIRMATION", "none"),
        ]),
    )
    .await
    .unwrap();
    for i in 0..1000 {
        subscribe(
            &app,
            "wide",
            json!({"subscriber": sink.url(&format!("/s{i}"))}),
        )
        .await;
    }
    for i in 0..100 {
        subscribe(
            &app,
            "wide",
            json!({"subscriber": format!("mailto:user{i}@example.com")}),
        )
        .await;
    }
    app.post_messages("wide", json!([{"body": {"fan": "out"}}]))
        .await;
    assert_eq!(app.drain().await, 1100);
    let got = sink.wait_for(1000, WAIT).await;
    let mut paths: Vec<String> = got.iter().map(|r| r.path.clone()).collect();
    paths.sort();
    paths.dedup();
    assert_eq!(
        got.len(),
        1000,
        "exactly once each; attempts that did not deliver: {}",
        failed_attempts(&app).await
    );
    assert_eq!(paths.len(), 1000);
    let mails = smtp.wait_for(100, WAIT).await;
    let mut rcpts: Vec<String> = mails.iter().flat_map(|m| m.rcpt_to.clone()).collect();
    rcpts.sort();
    rcpts.dedup();
    assert_eq!(mails.len(), 100);
    assert_eq!(rcpts.len(), 100);
}
backend_test!(fan_out_to_a_thousand_webhooks_and_a_hundred_mailboxes);

/// The attempt log of every attempt that did not deliver (outcome, code,
/// detail, duration), for a failure message to say why.
async fn failed_attempts(app: &TestApp) -> String {
    use sea_orm::ConnectionTrait;
    let sql = "SELECT outcome, code, detail, duration_ms FROM delivery_attempts \
               WHERE outcome <> 'delivered' ORDER BY id LIMIT 20";
    let rows = app
        .state
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.state.db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap_or_default();
    let lines: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{} {:?} {} ({} ms)",
                r.try_get_by_index::<String>(0).unwrap_or_default(),
                r.try_get_by_index::<Option<i32>>(1).ok().flatten(),
                r.try_get_by_index::<String>(2).unwrap_or_default(),
                r.try_get_by_index::<i64>(3).unwrap_or_default()
            )
        })
        .collect();
    format!("{} shown: {}", lines.len(), lines.join("; "))
}

async fn the_outbox_survives_a_restart_between_commit_and_send(backend: Backend) {
    let smtp = SmtpSink::start().await;
    let first = spawn_with(backend, env(&[("TIDINGS_MAIL_URL", &smtp.url())]))
        .await
        .unwrap();
    subscribe(
        &first,
        "q",
        json!({"subscriber": "mailto:later@example.com"}),
    )
    .await;
    // Nothing was sent by the request itself.
    assert!(smtp.messages().is_empty());
    // The first app runs no workers, so from here on it is as good as dead;
    // it stays alive only because its temp dir holds the SQLite file.
    let database_url = first.database_url.clone();
    let second = crate::helpers::spawn_on(
        backend,
        &database_url,
        env(&[("TIDINGS_MAIL_URL", &smtp.url())]),
    )
    .await;
    assert_eq!(second.drain().await, 1);
    let mails = smtp.wait_for(1, WAIT).await;
    assert_eq!(mails[0].rcpt_to, vec!["later@example.com".to_string()]);
}
backend_test!(the_outbox_survives_a_restart_between_commit_and_send);

async fn finished_deliveries_are_swept_after_the_retention_window(backend: Backend) {
    let sink = HttpSink::start().await;
    let app = spawn_with(backend, env(&[])).await.unwrap();
    let month = 30 * 86_400;
    let ok = subscribe(
        &app,
        "q",
        json!({"subscriber": sink.url("/ok"), "ttl": month}),
    )
    .await;
    app.post_messages("q", json!([{"body": 1}])).await;
    app.drain().await;
    // A second subscription whose sink fails: its delivery stays pending.
    sink.set_mode(Mode::Status(500));
    let failing = subscribe(
        &app,
        "q2",
        json!({"subscriber": sink.url("/down"), "ttl": month}),
    )
    .await;
    app.post_messages("q2", json!([{"body": 2}])).await;
    app.drain().await;
    let retention = Duration::from_secs(14 * 86_400);
    let sweep = || {
        tidings::store::sweeper::sweep_finished_deliveries(
            &app.state.db,
            &app.state.clock,
            retention,
        )
    };
    assert_eq!(sweep().await.unwrap(), 0, "nothing is old yet");
    app.clock.advance_secs(15 * 86_400);
    assert!(sweep().await.unwrap() >= 1);
    assert!(
        deliveries(&app, "q", &ok).await.is_empty(),
        "the delivered one is gone"
    );
    let pending: Vec<Value> = deliveries(&app, "q2", &failing).await;
    assert!(
        pending.iter().all(|d| d["status"] == "pending") && !pending.is_empty(),
        "pending work is never swept"
    );
}
backend_test!(finished_deliveries_are_swept_after_the_retention_window);

async fn metrics_count_posts_and_attempts(backend: Backend) {
    let sink = HttpSink::start().await;
    let app = spawn_with(backend, env(&[])).await.unwrap();
    subscribe(&app, "q", json!({"subscriber": sink.url("/m")})).await;
    app.post_messages("q", json!([{"body": 1}, {"body": 2}]))
        .await;
    let before = app
        .bare(Method::GET, "/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        before.lines().any(|l| l == "tidings_fanouts_pending 2"),
        "{before}"
    );
    app.drain().await;
    // Scrapers send no API headers.
    let resp = app.bare(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = resp.text().await.unwrap();
    for line in [
        "tidings_messages_posted_total 2",
        "tidings_delivery_attempts_total{channel=\"webhook\",outcome=\"delivered\"} 2",
        "tidings_delivery_attempt_duration_seconds_count{channel=\"webhook\"} 2",
        "tidings_deliveries_due 0",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
}
backend_test!(metrics_count_posts_and_attempts);

async fn the_unsubscribed_notice_carries_a_working_resubscribe_link(backend: Backend) {
    let smtp = SmtpSink::start().await;
    let app = spawn_with(backend, env(&[("TIDINGS_MAIL_URL", &smtp.url())]))
        .await
        .unwrap();
    let sub = subscribe(
        &app,
        "q",
        json!({"subscriber": "mailto:leaver@example.com"}),
    )
    .await;
    let path = format!("/v2/queues/q/subscriptions/{sub}/confirm");
    for confirmed in [true, false] {
        let resp = app
            .send_json(Method::PUT, &path, &json!({"confirmed": confirmed}))
            .await;
        assert_eq!(resp.status().as_u16(), 204);
    }
    app.drain().await;
    let mails = smtp.wait_for(2, WAIT).await;
    assert_eq!(
        mails.len(),
        2,
        "the confirmation, then the unsubscribed notice"
    );
    let link = find_link(&mails[1].data, "confirm_token=").expect("re-subscribe link");
    let path = &link[link.find("/v2/").unwrap()..];
    assert_eq!(
        app.bare(Method::POST, path)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let (_, again) = app
        .get_json(&format!("/v2/queues/q/subscriptions/{sub}"))
        .await;
    assert_eq!(
        again["confirmed"], true,
        "re-subscribed through the notice's link"
    );
}
backend_test!(the_unsubscribed_notice_carries_a_working_resubscribe_link);

/// A receiver written for Zaqar: it gets `SubscriptionConfirmation` (keys in
/// Zaqar's order, as in zaqar-captures/webhook_B1), confirms with the
/// pre-signed headers it was sent, and from then on gets notifications.
async fn a_zaqar_webhook_receiver_confirms_with_the_presigned_url(backend: Backend) {
    let sink = HttpSink::start().await;
    let app = spawn_with(backend, env(&[("TIDINGS_REQUIRE_CONFIRMATION", "all")]))
        .await
        .unwrap();
    let sub = subscribe(&app, "cap-b1", json!({"subscriber": sink.url("/b1")})).await;
    app.post_messages("cap-b1", json!([{"body": {"event": "unconfirmed"}}]))
        .await;
    app.drain().await;
    let got = sink.wait_for(1, WAIT).await;
    assert_eq!(
        got.len(),
        1,
        "only the confirmation request, no notification yet"
    );
    let request = got[0].json();
    let keys: Vec<&str> = request
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "Message_Type",
            "Message",
            "URL-Signature",
            "URL-Methods",
            "URL-Paths",
            "X-Project-ID",
            "URL-Expires",
            "SubscribeBody",
            "UnsubscribeBody",
            "queue_name"
        ]
    );
    assert_eq!(request["Message_Type"], "SubscriptionConfirmation");
    assert_eq!(
        request["URL-Paths"],
        format!("/v2/queues/cap-b1/subscriptions/{sub}/confirm")
    );

    let presigned = |signature: &str| {
        app.bare(Method::PUT, request["URL-Paths"].as_str().unwrap())
            .header("Client-ID", crate::helpers::CLIENT_ID)
            .header("Content-Type", "application/json")
            .header("URL-Signature", signature.to_string())
            .header("URL-Methods", request["URL-Methods"].as_str().unwrap())
            .header("URL-Paths", request["URL-Paths"].as_str().unwrap())
            .header("URL-Expires", request["URL-Expires"].as_str().unwrap())
            .header("X-Project-ID", request["X-Project-ID"].as_str().unwrap())
            .body(request["SubscribeBody"].to_string())
    };
    let forged = presigned(&"0".repeat(64)).send().await.unwrap();
    assert_eq!(forged.status().as_u16(), 404);
    let confirmed = presigned(request["URL-Signature"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status().as_u16(), 204);

    app.post_messages(
        "cap-b1",
        json!([{"ttl": 300, "body": {"event": "after-confirm", "seq": 21}}]),
    )
    .await;
    app.drain().await;
    let got = sink.wait_for(2, WAIT).await;
    assert_eq!(
        String::from_utf8(got[1].body.clone()).unwrap(),
        r#"{"ttl": 300, "body": {"event": "after-confirm", "seq": 21}, "Message_Type": "Notification", "queue_name": "cap-b1"}"#
    );
}
backend_test!(a_zaqar_webhook_receiver_confirms_with_the_presigned_url);
