use reqwest::Method;
use serde_json::json;

use crate::db_test;
use crate::helpers::TestApp;

async fn create_then_recreate(app: TestApp) {
    let first = app
        .req(Method::PUT, "/v2/queues/fizbit")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status().as_u16(), 201);
    assert_eq!(first.headers()["location"], "/v2/queues/fizbit");
    let again = app
        .send_json(Method::PUT, "/v2/queues/fizbit", &json!({"ignored": true}))
        .await;
    assert_eq!(again.status().as_u16(), 204);
    let (status, meta) = app.get_json("/v2/queues/fizbit").await;
    assert_eq!(status, 200);
    assert!(
        meta.get("ignored").is_none(),
        "metadata of an existing queue is untouched"
    );
    assert_eq!(meta["_default_message_ttl"], 3600);
}
db_test!(create_then_recreate);

async fn queues_are_scoped_to_the_project(app: TestApp) {
    app.create_queue("mine").await;
    let other = app
        .bare(Method::GET, "/v2/queues")
        .header("Client-ID", crate::helpers::CLIENT_ID)
        .header("X-Project-ID", "someone-else")
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = other.json().await.unwrap();
    assert_eq!(body["queues"], json!([]));
    let (_, mine) = app.get_json("/v2/queues").await;
    assert_eq!(mine["queues"][0]["name"], "mine");
}
db_test!(queues_are_scoped_to_the_project);
