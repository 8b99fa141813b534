use reqwest::Method;
use serde_json::{json, Value};

use crate::db_test;
use crate::helpers::TestApp;

async fn claim_then_delete_with_claim(app: TestApp) {
    let ids = app
        .post_messages("q", json!([{"body": 1}, {"body": 2}]))
        .await;
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/q/claims?limit=1",
            &json!({"ttl": 60, "grace": 60}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let claimed: serde_json::Value = resp.json().await.unwrap();
    let href = claimed["messages"][0]["href"].as_str().unwrap().to_string();
    assert_eq!(claimed["messages"][0]["id"], ids[0].as_str());
    let claim_id = href.split("claim_id=").nth(1).unwrap().to_string();

    let without = app
        .req(Method::DELETE, &format!("/v2/queues/q/messages/{}", ids[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(without.status().as_u16(), 403);
    let with = app.req(Method::DELETE, &href).send().await.unwrap();
    assert_eq!(with.status().as_u16(), 204);
    let (status, _) = app
        .get_json(&format!("/v2/queues/q/messages/{}", ids[0]))
        .await;
    assert_eq!(status, 404);
    // The claim has no more messages; releasing it is still fine.
    let release = app
        .req(Method::DELETE, &format!("/v2/queues/q/claims/{claim_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(release.status().as_u16(), 204);
}
db_test!(claim_then_delete_with_claim);

async fn claim(
    app: &TestApp,
    queue: &str,
    query: &str,
    body: Value,
) -> (u16, Option<String>, Value) {
    let resp = app
        .send_json(
            Method::POST,
            &format!("/v2/queues/{queue}/claims{query}"),
            &body,
        )
        .await;
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    let text = resp.text().await.unwrap();
    (
        status,
        location,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

async fn create_get_and_nothing_to_claim(app: TestApp) {
    let (status, _, body) = claim(&app, "c", "", json!({"ttl": 60, "grace": 60})).await;
    assert_eq!(status, 204, "empty queue: nothing to claim");
    assert_eq!(body, Value::Null);

    let ids = app
        .post_messages("c", json!([{"body": 1}, {"body": 2}, {"body": 3}]))
        .await;
    let (status, location, body) =
        claim(&app, "c", "?limit=2", json!({"ttl": 120, "grace": 60})).await;
    assert_eq!(status, 201);
    let location = location.unwrap();
    assert!(location.starts_with("/v2/queues/c/claims/"), "{location}");
    let cid = location.rsplit('/').next().unwrap().to_string();
    let msgs = body["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(
        msgs[0]["href"],
        format!("/v2/queues/c/messages/{}?claim_id={cid}", ids[0])
    );

    let (status, got) = app.get_json(&location).await;
    assert_eq!(status, 200);
    assert_eq!(got["ttl"], 120);
    assert_eq!(got["age"], 0);
    assert_eq!(got["href"], location.as_str());
    assert!(got.get("grace").is_none());
    assert_eq!(got["messages"].as_array().unwrap().len(), 2);

    // The rest: one left, default limit 10.
    let (status, _, body) = claim(&app, "c", "", json!({})).await;
    assert_eq!(status, 201);
    assert_eq!(body["messages"].as_array().unwrap().len(), 1);
    let (status, _, _) = claim(&app, "c", "", json!({"ttl": 60, "grace": 60})).await;
    assert_eq!(status, 204, "all claimed");

    let (status, _) = app
        .get_json("/v2/queues/c/claims/0123456789abcdef01234567")
        .await;
    assert_eq!(status, 404);
}
db_test!(create_get_and_nothing_to_claim);

async fn empty_body_uses_defaults(app: TestApp) {
    app.post_messages("d", json!([{"body": 1}])).await;
    let resp = app
        .req(Method::POST, "/v2/queues/d/claims")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let (_, got) = app.get_json(&location).await;
    assert_eq!(got["ttl"], 300);
}
db_test!(empty_body_uses_defaults);

async fn update_extends_claim(app: TestApp) {
    app.post_messages("u", json!([{"body": 1}])).await;
    let (_, location, _) = claim(&app, "u", "", json!({"ttl": 60, "grace": 60})).await;
    let location = location.unwrap();
    app.clock.advance_secs(50);
    let resp = app
        .send_json(Method::PATCH, &location, &json!({"ttl": 300, "grace": 60}))
        .await;
    assert_eq!(resp.status().as_u16(), 204);
    app.clock.advance_secs(100);
    let (status, got) = app.get_json(&location).await;
    assert_eq!(status, 200, "extended claim still alive");
    assert_eq!(got["ttl"], 300);
    let (status, _, _) = claim(&app, "u", "", json!({"ttl": 60, "grace": 60})).await;
    assert_eq!(status, 204, "message still claimed");
    let missing = app
        .send_json(
            Method::PATCH,
            "/v2/queues/u/claims/0123456789abcdef01234567",
            &json!({"ttl": 300}),
        )
        .await;
    assert_eq!(missing.status().as_u16(), 404);
}
db_test!(update_extends_claim);

async fn release_frees_messages(app: TestApp) {
    app.post_messages("r", json!([{"body": 1}, {"body": 2}]))
        .await;
    let (_, location, _) = claim(&app, "r", "", json!({"ttl": 60, "grace": 60})).await;
    let location = location.unwrap();
    let resp = app.req(Method::DELETE, &location).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    let (status, _) = app.get_json(&location).await;
    assert_eq!(status, 404);
    let (status, _, body) = claim(&app, "r", "", json!({"ttl": 60, "grace": 60})).await;
    assert_eq!(status, 201);
    assert_eq!(body["messages"].as_array().unwrap().len(), 2);
    let again = app
        .req(
            Method::DELETE,
            "/v2/queues/r/claims/0123456789abcdef01234567",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 204, "delete is always 204");
}
db_test!(release_frees_messages);

async fn expired_claim_frees_messages(app: TestApp) {
    let ids = app.post_messages("e", json!([{"body": 1}])).await;
    let (_, location, _) = claim(&app, "e", "", json!({"ttl": 60, "grace": 60})).await;
    let location = location.unwrap();
    app.clock.advance_secs(61);
    let (status, _) = app.get_json(&location).await;
    assert_eq!(status, 404, "expired claim");
    let (_, msg) = app
        .get_json(&format!("/v2/queues/e/messages/{}", ids[0]))
        .await;
    assert!(
        !msg["href"].as_str().unwrap().contains("claim_id"),
        "message no longer claimed: {msg}"
    );
    let (status, _, _) = claim(&app, "e", "", json!({"ttl": 60, "grace": 60})).await;
    assert_eq!(status, 201, "free to claim again");
}
db_test!(expired_claim_frees_messages);

async fn claim_extends_message_life(app: TestApp) {
    let ids = app
        .post_messages("x", json!([{"body": 1, "ttl": 60}]))
        .await;
    claim(&app, "x", "", json!({"ttl": 100, "grace": 60})).await;
    app.clock.advance_secs(150);
    let (status, _) = app
        .get_json(&format!("/v2/queues/x/messages/{}", ids[0]))
        .await;
    assert_eq!(status, 200, "lives until claim expiry + grace");
    app.clock.advance_secs(20);
    let (status, _) = app
        .get_json(&format!("/v2/queues/x/messages/{}", ids[0]))
        .await;
    assert_eq!(status, 404);
}
db_test!(claim_extends_message_life);

async fn explicit_null_ttl_is_400(app: TestApp) {
    app.post_messages("n", json!([{"body": 1}])).await;
    let before = app.row_counts().await;
    for body in [
        json!({"ttl": null, "grace": 60}),
        json!({"ttl": 60, "grace": null}),
    ] {
        let (status, _, err) = claim(&app, "n", "", body).await;
        assert_eq!(status, 400, "{err}");
        assert_eq!(err["title"], "Invalid request body");
    }
    assert_eq!(app.row_counts().await, before);
}
db_test!(explicit_null_ttl_is_400);
