use reqwest::Method;
use serde_json::json;

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
