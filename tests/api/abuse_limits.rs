//! The abuse limits: requests per project, confirmation emails per
//! address (across projects, re-posts and case), requests per client on
//! the public pages; each a 429 with Retry-After, counted in /metrics.
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{env, spawn_with, Backend, TestApp, CLIENT_ID};

async fn get(app: &TestApp, project: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("Client-ID", CLIENT_ID)
        .header("X-Project-Id", project)
        .send()
        .await
        .unwrap()
}

async fn metric(app: &TestApp, limit: &str) -> u64 {
    let text = app
        .bare(Method::GET, "/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = format!("tidings_rate_limited_total{{limit=\"{limit}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&line))
        .unwrap_or_else(|| panic!("no {line} in\n{text}"))
        .parse()
        .unwrap()
}

async fn assert_429(resp: reqwest::Response) -> u64 {
    assert_eq!(resp.status().as_u16(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["title"], "Too many requests");
    assert!(body["description"].is_string());
    retry
}

async fn per_project_requests(backend: Backend) {
    let Some(app) = spawn_with(
        backend,
        env(&[
            // One more request every 1000 s: nothing refills during the test.
            ("TIDINGS_PROJECT_RATE_LIMIT", "0.001"),
            ("TIDINGS_PROJECT_BURST", "3"),
        ]),
    )
    .await
    else {
        return;
    };
    for _ in 0..3 {
        assert_eq!(get(&app, "busy", "/v2/queues").await.status().as_u16(), 200);
    }
    let retry = assert_429(get(&app, "busy", "/v2/queues").await).await;
    assert!((990..=1000).contains(&retry), "{retry}");
    // Every route of the project counts; other projects do not.
    assert_429(get(&app, "busy", "/v2/queues/q/messages").await).await;
    assert_eq!(get(&app, "calm", "/v2/queues").await.status().as_u16(), 200);
    assert_eq!(metric(&app, "project_requests").await, 2);
}
crate::backend_test!(per_project_requests);

async fn subscribe(app: &TestApp, project: &str, queue: &str, address: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v2/queues/{queue}/subscriptions")))
        .header("Client-ID", CLIENT_ID)
        .header("X-Project-Id", project)
        .header("Content-Type", "application/json")
        .body(json!({"subscriber": format!("mailto:{address}"), "ttl": 3600}).to_string())
        .send()
        .await
        .unwrap()
}

fn mails(app: &TestApp) -> usize {
    std::fs::read_dir(app.dir.path().join("mail"))
        .map(|d| d.count())
        .unwrap_or(0)
}

async fn confirmation_cap_across_projects_and_reposts(backend: Backend) {
    let Some(app) = spawn_with(
        backend,
        // Re-posting a pending subscription re-sends at once: the cap
        // alone has to hold.
        env(&[("TIDINGS_CONFIRMATION_RESEND_SECS", "0")]),
    )
    .await
    else {
        return;
    };
    let victim = "victim@example.com";
    // Five confirmation emails: three projects, new and re-posted
    // subscriptions, the address in another case.
    for (project, queue, address) in [
        ("p1", "q1", victim),
        ("p1", "q1", victim),
        ("p2", "q1", victim),
        ("p3", "q9", "Victim@Example.com"),
        ("p2", "q1", victim),
    ] {
        let resp = subscribe(&app, project, queue, address).await;
        assert_eq!(resp.status().as_u16(), 201, "{project} {queue} {address}");
    }
    let before = app.row_counts().await;
    // The sixth, whichever way it comes: 429 and nothing changed.
    for (project, queue, address) in [
        ("p1", "q1", victim),
        ("p4", "q1", victim),
        ("p4", "q2", "VICTIM@example.com"),
    ] {
        let retry = assert_429(subscribe(&app, project, queue, address).await).await;
        assert!((3500..=3600).contains(&retry), "{retry}");
    }
    // A multi-address mailto is refused whole when one address is capped.
    assert_429(subscribe(&app, "p5", "q1", &format!("other@example.com,{victim}")).await).await;
    assert_eq!(app.row_counts().await, before);
    assert_eq!(metric(&app, "confirmation_emails").await, 4);
    app.drain().await;
    assert_eq!(mails(&app), 5, "five confirmation emails, no more");

    // Other addresses are not affected.
    assert_eq!(
        subscribe(&app, "p1", "q1", "other@example.com")
            .await
            .status()
            .as_u16(),
        201
    );
    app.drain().await;
    assert_eq!(mails(&app), 6);
    // An hour later the address may get one again.
    app.clock.advance_secs(3601);
    assert_eq!(
        subscribe(&app, "p6", "q1", victim).await.status().as_u16(),
        201
    );
    app.drain().await;
    assert_eq!(mails(&app), 7);
}
crate::backend_test!(confirmation_cap_across_projects_and_reposts);

async fn public_pages_per_client(backend: Backend) {
    let Some(app) = spawn_with(backend, env(&[("TIDINGS_PAGE_RATE_PER_MINUTE", "2")])).await else {
        return;
    };
    let link = "/v2/queues/q/subscriptions?subscriber=mailto%3Aa%40example.com&confirm_token=x";
    for _ in 0..2 {
        let resp = app.bare(Method::GET, link).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 404);
    }
    assert_429(app.bare(Method::GET, link).send().await.unwrap()).await;
    let unsubscribe = "/v2/queues/q/subscriptions/s/unsubscribe?token=x";
    assert_429(app.bare(Method::POST, unsubscribe).send().await.unwrap()).await;
    // The API itself is another limit.
    assert_eq!(get(&app, "p", "/v2/queues").await.status().as_u16(), 200);
    assert_eq!(metric(&app, "page_requests").await, 2);
}
crate::backend_test!(public_pages_per_client);
