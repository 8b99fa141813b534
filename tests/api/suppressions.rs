//! The suppression lists: the API (a project's list and the server-wide
//! one, bad input, roles), and what a suppressed address gets: nothing,
//! confirmation emails included, until it is taken off the list.
use std::collections::HashMap;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use tidings::domain::{Role, TokenScope};
use tidings::service::api_tokens;

use crate::helpers::{env, spawn_with, Backend, TestApp, CLIENT_ID, PROJECT};
use crate::smtp_sink::SmtpSink;

async fn put(app: &TestApp, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = app.req(Method::PUT, path);
    if let Some(body) = body {
        req = req
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn delete(app: &TestApp, path: &str) -> u16 {
    app.req(Method::DELETE, path)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn addresses(list: &Value) -> Vec<&str> {
    list["suppressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["address"].as_str().unwrap())
        .collect()
}

async fn the_list_api(app: TestApp) {
    let (status, entry) = put(
        &app,
        "/v2/suppressions/Ann@Example.COM",
        Some(json!({"reason": "complaint"})),
    )
    .await;
    assert_eq!(status, 201, "{entry}");
    assert_eq!(entry["address"], "Ann@example.com");
    assert_eq!(entry["reason"], "complaint");
    assert_eq!(entry["scope"], "project");
    assert!(entry["expires"].is_null());
    assert!(entry["created"].as_str().unwrap().ends_with('Z'));
    // No body: manual. The same address again (another domain case): 200.
    let (status, _) = put(&app, "/v2/suppressions/bob%40example.com", None).await;
    assert_eq!(status, 201);
    let (status, entry) = put(
        &app,
        "/v2/suppressions/Ann@EXAMPLE.com",
        Some(json!({"reason": "manual", "expires": "2099-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(entry["reason"], "manual");
    assert_eq!(entry["expires"], "2099-01-01T00:00:00Z");

    let (status, list) = app.get_json("/v2/suppressions").await;
    assert_eq!(status, 200);
    assert_eq!(addresses(&list), ["Ann@example.com", "bob@example.com"]);
    let (status, one) = app.get_json("/v2/suppressions/Ann@example.com").await;
    assert_eq!((status, one["reason"].as_str()), (200, Some("manual")));
    // The local part is not folded: ann@ is another mailbox.
    let (status, _) = app.get_json("/v2/suppressions/ann@example.com").await;
    assert_eq!(status, 404);
    // Pages.
    let (_, page) = app.get_json("/v2/suppressions?limit=1").await;
    assert_eq!(addresses(&page), ["Ann@example.com"]);
    let next = page["links"][0]["href"].as_str().unwrap().to_string();
    let (_, page) = app.get_json(&next).await;
    assert_eq!(addresses(&page), ["bob@example.com"]);
    // Another project sees its own (empty) list.
    let other = app
        .client
        .get(app.url("/v2/suppressions"))
        .header("Client-ID", CLIENT_ID)
        .header("X-Project-Id", "other")
        .send()
        .await
        .unwrap();
    let other: Value = other.json().await.unwrap();
    assert!(addresses(&other).is_empty());

    assert_eq!(delete(&app, "/v2/suppressions/bob@EXAMPLE.com").await, 204);
    assert_eq!(delete(&app, "/v2/suppressions/bob@example.com").await, 404);
    let (_, list) = app.get_json("/v2/suppressions").await;
    assert_eq!(addresses(&list), ["Ann@example.com"]);
}
crate::db_test!(the_list_api);

async fn bad_input_changes_nothing(app: TestApp) {
    let before = app.row_counts().await;
    for (path, body) in [
        ("/v2/suppressions/not-an-address", None),
        ("/v2/suppressions/a@b@example.com", None),
        (
            "/v2/suppressions/a@example.com",
            Some(json!({"reason": "spam"})),
        ),
        ("/v2/suppressions/a@example.com", Some(json!({"reason": 5}))),
        (
            "/v2/suppressions/a@example.com",
            Some(json!({"expires": "2001-01-01T00:00:00Z"})),
        ),
        (
            "/v2/suppressions/a@example.com",
            Some(json!({"expires": "tomorrow"})),
        ),
        (
            "/v2/suppressions/a@example.com",
            Some(json!({"expires": 60})),
        ),
        ("/v2/suppressions/a@example.com", Some(json!({"ttl": 60}))),
        ("/v2/suppressions/a@example.com", Some(json!(["manual"]))),
    ] {
        let (status, body) = put(&app, path, body).await;
        assert_eq!(status, 400, "{path} {body}");
        assert!(body["title"].is_string(), "{body}");
        assert!(body["description"].is_string(), "{body}");
    }
    let resp = app
        .req(Method::PUT, "/v2/suppressions/a@example.com")
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(app.row_counts().await, before);
    let resp = app
        .req(Method::POST, "/v2/suppressions")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(resp.headers()["allow"], "GET, OPTIONS");
}
crate::db_test!(bad_input_changes_nothing);

async fn subscribe(app: &TestApp, project: &str, subscriber: &str) -> String {
    let resp = app
        .client
        .post(app.url("/v2/queues/q/subscriptions"))
        .header("Client-ID", CLIENT_ID)
        .header("X-Project-Id", project)
        .header("Content-Type", "application/json")
        .body(json!({"subscriber": subscriber, "ttl": 3600}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let body: Value = resp.json().await.unwrap();
    body["subscription_id"].as_str().unwrap().to_string()
}

async fn confirm(app: &TestApp, sub: &str) {
    let resp = app
        .send_json(
            Method::PUT,
            &format!("/v2/queues/q/subscriptions/{sub}/confirm"),
            &json!({"confirmed": true}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 204);
}

async fn deliveries(app: &TestApp, sub: &str) -> Vec<Value> {
    let (status, body) = app
        .get_json(&format!("/v2/queues/q/subscriptions/{sub}/deliveries"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["deliveries"].as_array().unwrap().clone()
}

fn rcpts(sink: &SmtpSink) -> Vec<String> {
    sink.messages()
        .iter()
        .flat_map(|m| m.rcpt_to.clone())
        .collect()
}

async fn mail_app(backend: Backend, sink: &SmtpSink) -> Option<TestApp> {
    spawn_with(
        backend,
        env(&[
            ("TIDINGS_MAIL_URL", &sink.url()),
            ("TIDINGS_CONFIRMATION_RESEND_SECS", "0"),
        ]),
    )
    .await
}

async fn a_suppressed_address_gets_nothing_until_unsuppressed(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = mail_app(backend, &sink).await else {
        return;
    };
    app.create_queue("q").await;
    let (status, _) = put(
        &app,
        "/v2/suppressions/gone@example.com",
        Some(json!({"reason": "hard_bounce"})),
    )
    .await;
    assert_eq!(status, 201);
    // The domain in another case is the same mailbox.
    let sub = subscribe(&app, PROJECT, "mailto:gone@EXAMPLE.com").await;
    app.drain().await;
    assert!(sink.messages().is_empty(), "no confirmation email");
    let log = deliveries(&app, &sub).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["kind"], "confirmation");
    assert_eq!(log[0]["status"], "skipped");
    let reason = log[0]["reason"].as_str().unwrap();
    assert!(reason.contains("suppressed"), "{reason}");
    assert!(reason.contains("hard_bounce"), "{reason}");
    assert!(!reason.contains("gone@"), "the address is masked: {reason}");

    // Confirmed by its owner some other way: still no notification.
    confirm(&app, &sub).await;
    app.post_messages("q", json!([{"body": "one", "ttl": 300}]))
        .await;
    app.drain().await;
    assert!(sink.messages().is_empty(), "no notification");
    let log = deliveries(&app, &sub).await;
    assert!(log.iter().all(|d| d["status"] == "skipped"), "{log:?}");

    // Off the list: the next message arrives, and so does a confirmation.
    assert_eq!(delete(&app, "/v2/suppressions/gone@example.com").await, 204);
    app.post_messages("q", json!([{"body": "two", "ttl": 300}]))
        .await;
    app.drain().await;
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert!(got[0].data.contains("two"));
    subscribe(&app, PROJECT, "mailto:gone@example.com").await;
    app.drain().await;
    let got = sink.wait_for(2, Duration::from_secs(10)).await;
    assert!(got[1].data.contains("confirm"), "{}", got[1].data);
}
crate::backend_test!(a_suppressed_address_gets_nothing_until_unsuppressed);

async fn only_the_suppressed_recipient_is_left_out(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = mail_app(backend, &sink).await else {
        return;
    };
    app.create_queue("q").await;
    let sub = subscribe(&app, PROJECT, "mailto:a@example.com?cc=b@example.com").await;
    confirm(&app, &sub).await;
    put(&app, "/v2/suppressions/b@example.com", None).await;
    app.post_messages("q", json!([{"body": "hello", "ttl": 300}]))
        .await;
    app.drain().await;
    // The confirmation and the notification, both to a alone.
    sink.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(rcpts(&sink), ["a@example.com", "a@example.com"]);
    let log = deliveries(&app, &sub).await;
    assert!(log.iter().all(|d| d["status"] == "delivered"), "{log:?}");
    // Each delivery log names the address left out, masked.
    for delivery in &log {
        let last = delivery["attempts"].as_array().unwrap().last().unwrap();
        let detail = last["detail"].as_str().unwrap();
        assert!(
            detail.ends_with("; not sent to, suppressed: b***@example.com (manual, project list)"),
            "{detail}"
        );
        assert!(!detail.contains("b@example.com"), "{detail}");
    }
}
crate::backend_test!(only_the_suppressed_recipient_is_left_out);

async fn server_wide_list_and_expiry(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = mail_app(backend, &sink).await else {
        return;
    };
    let in_an_hour = tidings::clock::iso8601(app.state.now() + 3_600_000);
    let resp = app
        .bare(Method::PUT, "/v2/server/suppressions/all@example.com")
        .header("Content-Type", "application/json")
        .body(json!({"reason": "unsubscribe_all", "expires": in_an_hour}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let entry: Value = resp.json().await.unwrap();
    assert_eq!(entry["scope"], "server");
    let list: Value = app
        .bare(Method::GET, "/v2/server/suppressions")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(addresses(&list), ["all@example.com"]);
    // Not on the project's own list, yet honoured by every project.
    let (_, own) = app.get_json("/v2/suppressions").await;
    assert!(addresses(&own).is_empty());
    let subs = [
        subscribe(&app, "p1", "mailto:all@example.com").await,
        subscribe(&app, "p2", "mailto:all@example.com").await,
    ];
    app.drain().await;
    assert!(sink.messages().is_empty());
    let _ = subs;
    // The entry expires: mail flows again.
    app.clock.advance_secs(3601);
    subscribe(&app, "p1", "mailto:all@example.com").await;
    app.drain().await;
    sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(rcpts(&sink), ["all@example.com"]);
    let list: Value = app
        .bare(Method::GET, "/v2/server/suppressions")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(addresses(&list).is_empty());
}
crate::backend_test!(server_wide_list_and_expiry);

async fn token(app: &TestApp, project: &str, role: Role) -> String {
    api_tokens::create(
        &app.state.db,
        &TokenScope::parse(project).unwrap(),
        role,
        None,
        "",
        app.state.now(),
    )
    .await
    .unwrap()
    .secret
}

async fn call(app: &TestApp, method: Method, path: &str, token: &str) -> u16 {
    app.client
        .request(method, app.url(path))
        .header("Client-ID", CLIENT_ID)
        .header("X-Auth-Token", token)
        .header("X-Project-Id", "p1")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn roles(backend: Backend) {
    let env: HashMap<String, String> = [("TIDINGS_AUTH".to_string(), "token".to_string())].into();
    let Some(app) = spawn_with(backend, env).await else {
        return;
    };
    let reader = token(&app, "p1", Role::Reader).await;
    let subscriber = token(&app, "p1", Role::Subscriber).await;
    let admin = token(&app, "p1", Role::Admin).await;
    let other_admin = token(&app, "p2", Role::Admin).await;
    let star_admin = token(&app, "*", Role::Admin).await;
    let star_reader = token(&app, "*", Role::Reader).await;
    let one = "/v2/suppressions/x@example.com";
    let server = "/v2/server/suppressions/x@example.com";

    assert_eq!(call(&app, Method::PUT, one, &reader).await, 403);
    assert_eq!(call(&app, Method::PUT, one, &other_admin).await, 403);
    assert_eq!(call(&app, Method::PUT, one, &subscriber).await, 201);
    assert_eq!(
        call(&app, Method::GET, "/v2/suppressions", &reader).await,
        200
    );
    // Lifting a suppression is the admin's.
    assert_eq!(call(&app, Method::DELETE, one, &subscriber).await, 403);
    assert_eq!(call(&app, Method::DELETE, one, &admin).await, 204);
    assert_eq!(call(&app, Method::GET, one, &reader).await, 404);

    // The server-wide list: a `*` admin only.
    for t in [&admin, &star_reader] {
        assert_eq!(call(&app, Method::PUT, server, t).await, 403);
        assert_eq!(
            call(&app, Method::GET, "/v2/server/suppressions", t).await,
            403
        );
    }
    let resp = app
        .bare(Method::GET, "/v2/server/suppressions")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(call(&app, Method::PUT, server, &star_admin).await, 201);
    assert_eq!(call(&app, Method::GET, server, &star_admin).await, 200);
    assert_eq!(call(&app, Method::DELETE, server, &admin).await, 403);
    assert_eq!(call(&app, Method::DELETE, server, &star_admin).await, 204);
}
crate::backend_test!(roles);
