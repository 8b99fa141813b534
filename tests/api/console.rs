//! The operator console: pages as a browser gets them (no API headers),
//! sign-in with a token kept in a cookie, CSRF on forms, security headers,
//! and everything a user typed shown as text.
use std::collections::HashMap;

use reqwest::{Method, Response};
use serde_json::json;
use tidings::domain::{Role, TokenScope};
use tidings::service::api_tokens;

use crate::helpers::{spawn_with, Backend, TestApp, PROJECT};
use crate::sink::HttpSink;

const SCRIPT: &str = "<script>alert(1)</script>";

async fn get(app: &TestApp, path: &str, cookie: Option<&str>) -> Response {
    let mut req = app.bare(Method::GET, path);
    if let Some(cookie) = cookie {
        req = req.header("Cookie", cookie);
    }
    req.send().await.expect("request")
}

fn assert_secured(resp: &Response) {
    let h = resp.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(h.contains_key("referrer-policy"));
    assert_eq!(h["x-content-type-options"], "nosniff");
}

/// The page, with minijinja's `&#x2f;` for `/` read back (a browser does
/// the same in text and attributes).
async fn html(resp: Response) -> String {
    resp.text().await.expect("body").replace("&#x2f;", "/")
}

/// The `name=value` of a Set-Cookie header for `name`, with its attributes.
fn set_cookie(resp: &Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(String::from)
}

fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}

/// The hidden CSRF field of the first form on a page.
fn csrf_field(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    page[at..].split('"').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_show_queues_subscriptions_and_deliveries_escaped() {
    let allow = HashMap::from([(
        "TIDINGS_WEBHOOK_ALLOW_NETS".to_string(),
        "127.0.0.0/8".to_string(),
    )]);
    let app = spawn_with(Backend::Sqlite, allow).await.unwrap();
    let sink = HttpSink::start().await;
    let resp = app
        .send_json(Method::PUT, "/v2/queues/orders", &json!({"note": SCRIPT}))
        .await;
    assert!(resp.status().is_success(), "{}", resp.status());
    let hook = sink.url("/hook").replace("http://", "http://user:hunter2@");
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/orders/subscriptions",
            &json!({"subscriber": hook, "ttl": 3600, "options": {"signing_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}),
        )
        .await;
    let status = resp.status();
    let sub: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(status, 201, "{sub}");
    let sub = sub["subscription_id"].as_str().unwrap().to_string();
    app.post_messages("orders", json!([{"ttl": 300, "body": {"n": 1}}]))
        .await;
    app.drain().await;

    // Authentication off: no sign-in, the project list names ours.
    let home = get(&app, "/console", None).await;
    assert_eq!(home.status(), 200);
    assert_secured(&home);
    assert!(html(home).await.contains(&format!("/console/{PROJECT}")));

    let list = get(&app, &format!("/console/{PROJECT}"), None).await;
    assert_eq!(list.status(), 200);
    assert_secured(&list);
    let list = html(list).await;
    assert!(list.contains(">orders</a>"), "{list}");
    // One message, one subscription.
    assert!(
        list.contains("<td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">1</td>"),
        "{list}"
    );

    let queue = html(get(&app, &format!("/console/{PROJECT}/queues/orders"), None).await).await;
    assert!(
        !queue.contains(SCRIPT),
        "metadata rendered as markup: {queue}"
    );
    assert!(
        queue.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{queue}"
    );
    assert!(
        !queue.contains("hunter2"),
        "a password in a subscriber URI is shown"
    );
    assert!(queue.contains(&sub));

    let page = get(
        &app,
        &format!("/console/{PROJECT}/queues/orders/subscriptions/{sub}"),
        None,
    )
    .await;
    assert_eq!(page.status(), 200);
    let page = html(page).await;
    assert!(
        !page.contains("hunter2") && !page.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        "{page}"
    );
    assert!(
        page.contains("status-delivered"),
        "the delivery log lacks the delivery: {page}"
    );

    let missing = get(&app, &format!("/console/{PROJECT}/queues/nope"), None).await;
    assert_eq!(missing.status(), 404);
    assert_secured(&missing);
    let css = get(&app, "/console/console.css", None).await;
    assert_eq!(css.status(), 200);
    assert!(css.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
}

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

/// Posts the sign-in form as the browser would, with the CSRF cookie and
/// field of a fresh sign-in page.
async fn sign_in(app: &TestApp, token: &str, origin: Option<&str>) -> Response {
    let page = get(app, "/console/sign-in", None).await;
    assert_eq!(page.status(), 200);
    let csrf_cookie = pair(&set_cookie(&page, "tidings_console_csrf").expect("a CSRF cookie"));
    let field = csrf_field(&html(page).await);
    let mut req = app
        .bare(Method::POST, "/console/sign-in")
        .header("Cookie", csrf_cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("csrf={field}&token={token}"));
    if let Some(origin) = origin {
        req = req.header("Origin", origin);
    }
    req.send().await.expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_tokens_the_console_needs_a_sign_in() {
    let env = HashMap::from([("TIDINGS_AUTH".to_string(), "token".to_string())]);
    let app = spawn_with(Backend::Sqlite, env).await.unwrap();
    let reader = token(&app, "p1", Role::Reader).await;

    let anonymous = get(&app, "/console/p1", None).await;
    assert_eq!(anonymous.status(), 303);
    assert_eq!(anonymous.headers()["location"], "/console/sign-in");

    let wrong = sign_in(&app, "tdg_not-a-token", None).await;
    assert_eq!(wrong.status(), 401);
    assert!(set_cookie(&wrong, "tidings_console_token").is_none());

    let foreign = sign_in(&app, &reader, Some("https://evil.example")).await;
    assert_eq!(
        foreign.status(),
        403,
        "a sign-in posted from another origin"
    );

    let no_csrf = app
        .bare(Method::POST, "/console/sign-in")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("token={reader}"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), 403, "a sign-in without a CSRF token");

    let ok = sign_in(&app, &reader, Some(&app.address)).await;
    assert_eq!(ok.status(), 303);
    assert_eq!(ok.headers()["location"], "/console/p1");
    let cookie = set_cookie(&ok, "tidings_console_token").expect("the session cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    let session = pair(&cookie);
    assert_eq!(get(&app, "/console/p1", Some(&session)).await.status(), 200);
    // The token decides the project.
    assert_eq!(get(&app, "/console/p2", Some(&session)).await.status(), 403);
    // Home sends a project token to its project.
    let home = get(&app, "/console", Some(&session)).await;
    assert_eq!(home.headers()["location"], "/console/p1");

    // A revoked token signs the console out on the next page.
    let prefix = api_tokens::prefix_of(&reader).to_string();
    api_tokens::revoke(&app.state.db, &prefix, app.state.now())
        .await
        .unwrap();
    assert_eq!(get(&app, "/console/p1", Some(&session)).await.status(), 303);
}

/// A dead letter has a "Redeliver" button on its subscription page; the
/// form queues it again (the API's log shows the next attempt), a post
/// without the page's CSRF field or from a reader changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_is_redelivered_from_the_subscription_page() {
    let env = HashMap::from([
        (
            "TIDINGS_WEBHOOK_ALLOW_NETS".to_string(),
            "127.0.0.0/8".to_string(),
        ),
        ("TIDINGS_AUTH".to_string(), "token".to_string()),
    ]);
    let app = spawn_with(Backend::Sqlite, env).await.unwrap();
    let sink = HttpSink::start().await;
    sink.set_mode(crate::sink::Mode::Status(500));
    let admin = token(&app, PROJECT, Role::Admin).await;
    let reader = token(&app, PROJECT, Role::Reader).await;
    let api = |method: Method, path: &str| {
        app.bare(method, path)
            .header("X-Auth-Token", admin.clone())
            .header("X-Project-Id", PROJECT)
            .header("Client-ID", "3381af92-2b9e-11e3-b191-71861300734c")
    };
    let policy = json!({"retries_with_no_delay": 1, "minimum_delay_retries": 0, "maximum_delay_retries": 0,
                        "minimum_delay": 5, "maximum_delay": 15, "retry_backoff_function": "linear"});
    let created = api(Method::POST, "/v2/queues/orders/subscriptions")
        .json(&json!({"subscriber": sink.url("/hook"), "ttl": 3600, "options": {"_retry_policy": policy}}))
        .send()
        .await
        .unwrap();
    let status = created.status();
    let sub: serde_json::Value = created.json().await.unwrap();
    assert_eq!(status, 201, "{sub}");
    let sub = sub["subscription_id"].as_str().unwrap().to_string();
    let posted = api(Method::POST, "/v2/queues/orders/messages")
        .json(&json!({"messages": [{"ttl": 300, "body": {"n": 1}}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 201);
    for _ in 0..10 {
        app.drain().await;
        app.clock.advance_secs(60);
    }
    let log_path = format!("/v2/queues/orders/subscriptions/{sub}/deliveries");
    let (api_ref, log_ref) = (&api, &log_path);
    let delivery_log = move || async move {
        api_ref(Method::GET, log_ref)
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()
    };
    let log = delivery_log().await;
    assert_eq!(log["deliveries"][0]["status"], "failed", "{log}");
    let id = log["deliveries"][0]["id"].as_str().unwrap().to_string();
    let attempts = log["deliveries"][0]["attempts"].as_array().unwrap().len();

    let page_path = format!("/console/{PROJECT}/queues/orders/subscriptions/{sub}");
    let action = format!("{page_path}/deliveries/{id}/redeliver");
    let session = |resp: &Response| pair(&set_cookie(resp, "tidings_console_token").unwrap());
    let signed_in = sign_in(&app, &admin, None).await;
    let admin_session = session(&signed_in);
    let page = get(&app, &page_path, Some(&admin_session)).await;
    let csrf_cookie = pair(&set_cookie(&page, "tidings_console_csrf").expect("a CSRF cookie"));
    let page = html(page).await;
    assert!(page.contains(&format!("action=\"{action}\"")), "{page}");
    assert!(page.contains(">Redeliver</button>"), "{page}");
    let field = csrf_field(&page);
    let cookies = format!("{admin_session}; {csrf_cookie}");

    let post = |cookies: String, body: String| {
        app.bare(Method::POST, &action)
            .header("Cookie", cookies)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
    };
    let forged = post(cookies.clone(), "csrf=forged".into())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403, "a redeliver without the page's field");
    let cross = post(cookies.clone(), format!("csrf={field}"))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403, "a redeliver from another origin");
    let reader_session = session(&sign_in(&app, &reader, None).await);
    let by_reader = post(
        format!("{reader_session}; {csrf_cookie}"),
        format!("csrf={field}"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(by_reader.status(), 403, "a reader redelivering");
    let reader_page = html(get(&app, &page_path, Some(&reader_session)).await).await;
    assert!(
        !reader_page.contains(">Redeliver</button>"),
        "{reader_page}"
    );
    let unchanged: serde_json::Value = api(Method::GET, &log_path)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(unchanged["deliveries"][0]["status"], "failed");

    sink.set_mode(crate::sink::Mode::Status(200));
    let done = post(cookies.clone(), format!("csrf={field}"))
        .header("Origin", app.address.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"].to_str().unwrap(), page_path);
    assert_eq!(app.drain().await, 1);
    let log = delivery_log().await;
    assert_eq!(log["deliveries"][0]["status"], "delivered", "{log}");
    assert_eq!(
        log["deliveries"][0]["attempts"].as_array().unwrap().len(),
        attempts + 1
    );
    let page = html(get(&app, &page_path, Some(&admin_session)).await).await;
    assert!(page.contains("status-delivered"), "{page}");
    assert!(!page.contains(">Redeliver</button>"), "{page}");
}
