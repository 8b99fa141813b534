//! The confirmation workflow: emailed links (GET shows, POST acts), token
//! expiry and reuse, the re-send rate limit, unsubscribe links (page and
//! RFC 8058 one-click), Zaqar's pre-signed webhook confirmation and /share.
use reqwest::Method;
use serde_json::{json, Value};
use tidings::domain::links;
use tidings::domain::subscription::NewSubscription;
use tidings::domain::{signed_url, ProjectId, QueueName};
use tidings::service::{confirmation, subscriptions};

use crate::db_test;
use crate::db_test_env;
use crate::helpers::{TestApp, CLIENT_ID, PROJECT};

const QUEUE: &str = "news";
const COLLECTION: &str = "/v2/queues/news/subscriptions";

/// Creates through the service to get the plaintext link the HTTP handler
/// hands only to the outbox.
async fn subscribe_mail(app: &TestApp, address: &str) -> (String, Option<String>) {
    let doc = json!({"subscriber": format!("mailto:{address}"), "ttl": 86400 * 7});
    let new = NewSubscription::from_json(doc.as_object().unwrap()).unwrap();
    let created = subscriptions::create(
        &app.state.deps(),
        &ProjectId::parse(PROJECT).unwrap(),
        &QueueName::parse(QUEUE).unwrap(),
        new,
    )
    .await
    .unwrap();
    (created.id, created.confirm_url)
}

/// The path and query of a link (the test server is not the public URL).
fn local(link: &str) -> String {
    let url = url::Url::parse(link).unwrap();
    format!("{}?{}", url.path(), url.query().unwrap_or(""))
}

async fn confirmed(app: &TestApp, id: &str) -> Value {
    let (status, sub) = app.get_json(&format!("{COLLECTION}/{id}")).await;
    assert_eq!(status, 200);
    sub["confirmed"].clone()
}

async fn browser(app: &TestApp, method: Method, path: &str, form: Option<&str>) -> (u16, String) {
    let mut req = app.bare(method, path);
    if let Some(body) = form {
        req = req
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    if status != 500 {
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }
    (status, resp.text().await.unwrap())
}

async fn link_lifecycle(app: TestApp) {
    let (id, link) = subscribe_mail(&app, "ops@example.com").await;
    let link = link.expect("mailto subscriptions get a link");
    assert!(link.contains(
        "/v2/queues/news/subscriptions?subscriber=mailto%3Aops%40example.com&confirm_token="
    ));
    assert_eq!(confirmed(&app, &id).await, false);

    // GET shows a page with a button and changes nothing.
    let (status, page) = browser(&app, Method::GET, &local(&link), None).await;
    assert_eq!(status, 200);
    assert!(page.contains("<form method=\"post\""), "{page}");
    assert!(page.contains("o***@example.com"));
    assert!(!page.contains("ops@example.com"));
    assert_eq!(confirmed(&app, &id).await, false);

    // POST (the page's form) confirms.
    let token = link.rsplit("confirm_token=").next().unwrap();
    let (status, page) = browser(
        &app,
        Method::POST,
        &local(&link),
        Some(&format!("confirm_token={token}")),
    )
    .await;
    assert_eq!(status, 200);
    assert!(page.contains("confirmed"), "{page}");
    assert_eq!(confirmed(&app, &id).await, true);

    // Twice is harmless.
    let (status, page) = browser(&app, Method::POST, &local(&link), None).await;
    assert_eq!(status, 200);
    assert!(page.contains("already confirmed"), "{page}");
    let (status, _) = browser(&app, Method::GET, &local(&link), None).await;
    assert_eq!(status, 200);

    // The API list on the same path still needs its headers.
    let resp = app.bare(Method::GET, COLLECTION).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 400);
}
db_test!(link_lifecycle);

async fn bad_tokens(app: TestApp) {
    let (id, link) = subscribe_mail(&app, "a@example.com").await;
    let link = local(&link.unwrap());
    let wrong = format!("{}{}", &link[..link.len() - 4], "AAAA");
    assert_eq!(browser(&app, Method::GET, &wrong, None).await.0, 404);
    assert_eq!(browser(&app, Method::POST, &wrong, None).await.0, 404);
    // The token under another address is not this link.
    let swapped = link.replace("a%40example.com", "b%40example.com");
    assert_eq!(browser(&app, Method::POST, &swapped, None).await.0, 404);
    let incomplete = format!("{COLLECTION}?confirm_token=x");
    assert_eq!(browser(&app, Method::GET, &incomplete, None).await.0, 400);

    // Expired after 48 h.
    app.clock.advance_secs(172_800 + 1);
    let (status, page) = browser(&app, Method::GET, &link, None).await;
    assert_eq!(status, 410);
    assert!(page.contains("expired"));
    assert_eq!(browser(&app, Method::POST, &link, None).await.0, 410);
    assert_eq!(confirmed(&app, &id).await, false);

    // Used: confirm with a fresh link, unsubscribe, then the link is spent.
    let (_, fresh) = {
        app.clock.advance_secs(301);
        subscribe_mail(&app, "a@example.com").await
    };
    let fresh = local(&fresh.expect("re-sent after the interval"));
    assert_eq!(browser(&app, Method::POST, &fresh, None).await.0, 200);
    let resp = app
        .send_json(
            Method::PUT,
            &format!("{COLLECTION}/{id}/confirm"),
            &json!({"confirmed": false}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 204);
    let (status, page) = browser(&app, Method::POST, &fresh, None).await;
    assert_eq!(status, 410);
    assert!(page.contains("already been used"));
    assert_eq!(confirmed(&app, &id).await, false);
}
db_test!(bad_tokens);

async fn token_count(app: &TestApp, id: &str) -> usize {
    tidings::store::tokens::for_subscription(&app.state.db, id)
        .await
        .unwrap()
        .len()
}

async fn resend_rate_limit(app: TestApp) {
    let body = json!({"subscriber": "mailto:r@example.com"});
    let resp = app.send_json(Method::POST, COLLECTION, &body).await;
    assert_eq!(resp.status().as_u16(), 201);
    let id = resp.json::<Value>().await.unwrap()["subscription_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(token_count(&app, &id).await, 1);
    app.clock.advance_secs(299);
    let (again, link) = subscribe_mail(&app, "r@example.com").await;
    assert_eq!(again, id);
    assert!(link.is_none(), "within the interval nothing is re-sent");
    assert_eq!(token_count(&app, &id).await, 1);
    app.clock.advance_secs(2);
    let (_, link) = subscribe_mail(&app, "r@example.com").await;
    assert!(link.is_some());
    assert_eq!(token_count(&app, &id).await, 2);
}
db_test!(resend_rate_limit);

async fn unsubscribe_links(app: TestApp) {
    let (id, link) = subscribe_mail(&app, "u@example.com").await;
    assert_eq!(
        browser(&app, Method::POST, &local(&link.unwrap()), None)
            .await
            .0,
        200
    );
    let url = links::unsubscribe_url("http://public.example", &app.state.secret, QUEUE, &id);
    let path = local(&url);

    let (status, page) = browser(&app, Method::GET, &path, None).await;
    assert_eq!(status, 200);
    assert!(page.contains("Unsubscribe"));
    assert_eq!(confirmed(&app, &id).await, true, "GET changes nothing");

    let (status, page) = browser(&app, Method::POST, &path, None).await;
    assert_eq!(status, 200);
    assert!(page.contains("unsubscribed"), "{page}");
    assert_eq!(confirmed(&app, &id).await, false);
    let (status, page) = browser(&app, Method::POST, &path, None).await;
    assert_eq!(status, 200);
    assert!(page.contains("already unsubscribed"));

    // Wrong token, or the right token under another subscription id.
    let bad = format!("{COLLECTION}/{id}/unsubscribe?token=nope");
    assert_eq!(browser(&app, Method::GET, &bad, None).await.0, 404);
    let moved = path.replace(&id, "00000000-0000-0000-0000-000000000000");
    assert_eq!(browser(&app, Method::POST, &moved, None).await.0, 404);
}
db_test!(unsubscribe_links);

async fn one_click_unsubscribe(app: TestApp) {
    let resp = app
        .send_json(
            Method::POST,
            COLLECTION,
            &json!({"subscriber": "mailto:o@example.com"}),
        )
        .await;
    let id = resp.json::<Value>().await.unwrap()["subscription_id"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = app
        .send_json(
            Method::PUT,
            &format!("{COLLECTION}/{id}/confirm"),
            &json!({"confirmed": true}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 204);
    let path = local(&links::unsubscribe_url(
        "http://x",
        &app.state.secret,
        QUEUE,
        &id,
    ));
    let (status, _) = browser(
        &app,
        Method::POST,
        &path,
        Some("List-Unsubscribe=One-Click"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(confirmed(&app, &id).await, false);
}
db_test!(one_click_unsubscribe);

/// The headers Zaqar's `SubscriptionConfirmation` tells a webhook to send.
fn signed_put(app: &TestApp, payload: &Value) -> reqwest::RequestBuilder {
    app.bare(Method::PUT, payload["URL-Paths"].as_str().unwrap())
        .header("URL-Signature", payload["URL-Signature"].as_str().unwrap())
        .header("URL-Methods", payload["URL-Methods"].as_str().unwrap())
        .header("URL-Paths", payload["URL-Paths"].as_str().unwrap())
        .header("URL-Expires", payload["URL-Expires"].as_str().unwrap())
        .header("X-Project-ID", payload["X-Project-ID"].as_str().unwrap())
        .header("Content-Type", "application/json")
        .body(payload["SubscribeBody"].to_string())
}

async fn webhook_pre_signed_confirm(app: TestApp) {
    let resp = app
        .send_json(
            Method::POST,
            COLLECTION,
            &json!({"subscriber": "http://127.0.0.1:9900/b1", "ttl": 3600}),
        )
        .await;
    let id = resp.json::<Value>().await.unwrap()["subscription_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        confirmed(&app, &id).await,
        false,
        "all: webhooks start pending"
    );
    let payload = confirmation::zaqar_confirmation_payload(
        &app.state.secret,
        true,
        QUEUE,
        PROJECT,
        &id,
        app.state.now() + 3600 * 1000,
    );

    // No Client-ID: Zaqar's 400, as captured.
    let resp = signed_put(&app, &payload).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    // Wrong signature: the bare 404.
    let mut forged = payload.clone();
    forged["URL-Signature"] = json!("0".repeat(64));
    let resp = signed_put(&app, &forged)
        .header("Client-ID", CLIENT_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"title": "404 Not Found"})
    );
    // Another project under the same signature: 404.
    let mut other = payload.clone();
    other["X-Project-ID"] = json!("p2");
    let resp = signed_put(&app, &other)
        .header("Client-ID", CLIENT_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    assert_eq!(confirmed(&app, &id).await, false);

    let resp = signed_put(&app, &payload)
        .header("Client-ID", CLIENT_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(confirmed(&app, &id).await, true);

    // Expired signature: 404.
    app.clock.advance_secs(3601);
    let resp = signed_put(&app, &payload)
        .header("Client-ID", CLIENT_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
}
db_test_env!(webhook_pre_signed_confirm, "TIDINGS_REQUIRE_CONFIRMATION" => "all");

async fn share_signs_with_the_server_key(app: TestApp) {
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/news/share",
            &json!({"paths": ["subscriptions", "messages"], "methods": ["POST", "GET"]}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    let body: Value = resp.json().await.unwrap();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let paths = strings(&body["paths"]);
    assert_eq!(
        paths,
        ["/v2/queues/news/messages", "/v2/queues/news/subscriptions"]
    );
    let expected = signed_url::sign(
        app.state.secret.bytes(),
        &paths,
        &strings(&body["methods"]),
        PROJECT,
        body["expires"].as_str().unwrap(),
    );
    assert_eq!(body["signature"], expected);
    assert_eq!(body["project"], PROJECT);
    for bad in [
        json!({"paths": ["queues"]}),
        json!({"methods": ["BREW"]}),
        json!({"expires": "2000-01-01T00:00:00"}),
        json!({"expires": 5}),
        json!({"other": 1}),
    ] {
        let resp = app
            .send_json(Method::POST, "/v2/queues/news/share", &bad)
            .await;
        assert_eq!(resp.status().as_u16(), 400, "{bad}");
    }
    // Any ISO 8601 time a client sends is taken and normalised to UTC, as
    // Zaqar's parse_isotime does; the signature covers the normal form.
    for (given, normal) in [
        ("2099-01-01T02:00:00+02:00", "2099-01-01T00:00:00"),
        ("2099-01-01T00:00:00Z", "2099-01-01T00:00:00"),
        ("2099-01-01", "2099-01-01T00:00:00"),
        ("2099-01-01T00:00:00.5", "2099-01-01T00:00:00"),
    ] {
        let resp = app
            .send_json(
                Method::POST,
                "/v2/queues/news/share",
                &json!({"expires": given}),
            )
            .await;
        assert_eq!(resp.status().as_u16(), 200, "{given}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["expires"], normal, "{given}");
    }
}
db_test!(share_signs_with_the_server_key);

async fn multi_address_link(app: TestApp) {
    let (id, link) = subscribe_mail(&app, "a@example.com,b@example.com?subject=Hi%20there").await;
    let link = local(&link.unwrap());
    assert_eq!(browser(&app, Method::GET, &link, None).await.0, 200);
    assert_eq!(browser(&app, Method::POST, &link, None).await.0, 200);
    assert_eq!(confirmed(&app, &id).await, true);
}
db_test!(multi_address_link);

async fn secret_key_is_persisted(app: TestApp) {
    let settings = (*app.state.settings).clone();
    let again = tidings::service::secret::resolve(&app.state.db, &settings, 0)
        .await
        .unwrap();
    assert_eq!(
        again.bytes(),
        app.state.secret.bytes(),
        "a restart reuses the key"
    );
    assert!(app.state.secret.bytes().len() >= 32);
    let mut configured = settings;
    configured.secret_key = Some(tidings::config::Secret::new("x".repeat(40)));
    let key = tidings::service::secret::resolve(&app.state.db, &configured, 0)
        .await
        .unwrap();
    assert_eq!(key.bytes(), "x".repeat(40).as_bytes());
}
db_test!(secret_key_is_persisted);
