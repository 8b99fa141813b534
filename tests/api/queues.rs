use reqwest::Method;
use serde_json::{json, Value};

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

async fn get_missing_queue_gives_defaults(app: TestApp) {
    let (status, meta) = app.get_json("/v2/queues/nope").await;
    assert_eq!(status, 200);
    assert_eq!(meta["_max_messages_post_size"], 262144);
    assert_eq!(meta["_default_message_ttl"], 3600);
    assert_eq!(meta["_default_message_delay"], 0);
    assert_eq!(meta["_dead_letter_queue"], Value::Null);
    assert_eq!(meta["_dead_letter_queue_messages_ttl"], Value::Null);
    assert_eq!(meta["_max_claim_count"], Value::Null);
    assert_eq!(meta["_enable_encrypt_messages"], false);
}
db_test!(get_missing_queue_gives_defaults);

async fn create_with_metadata_keeps_it(app: TestApp) {
    let resp = app
        .send_json(
            Method::PUT,
            "/v2/queues/withmeta",
            &json!({"color": "red", "_default_message_ttl": 120}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let (_, meta) = app.get_json("/v2/queues/withmeta").await;
    assert_eq!(meta["color"], "red");
    assert_eq!(meta["_default_message_ttl"], 120);
    assert_eq!(meta["_max_messages_post_size"], 262144);
}
db_test!(create_with_metadata_keeps_it);

async fn patch(app: &TestApp, queue: &str, ops: Value) -> (u16, Value) {
    let resp = app
        .req(Method::PATCH, &format!("/v2/queues/{queue}"))
        .header(
            "Content-Type",
            "application/openstack-messaging-v2.0-json-patch",
        )
        .body(ops.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// `_public_subscribe` opens the self-subscribe page: a boolean or
/// nothing, on PUT and PATCH alike; anything else is a 400 that stores
/// nothing.
async fn public_subscribe_is_boolean_only(app: TestApp) {
    for bad in [json!("true"), json!(1), json!({"on": true})] {
        let resp = app
            .send_json(
                Method::PUT,
                "/v2/queues/open",
                &json!({"_public_subscribe": bad}),
            )
            .await;
        assert_eq!(resp.status().as_u16(), 400, "{bad}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["description"], "_public_subscribe must be boolean.");
    }
    let resp = app
        .send_json(
            Method::PUT,
            "/v2/queues/open",
            &json!({"_public_subscribe": true}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let (status, body) = patch(
        &app,
        "open",
        json!([{"op": "replace", "path": "/metadata/_public_subscribe", "value": "no"}]),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (_, meta) = app.get_json("/v2/queues/open").await;
    assert_eq!(meta["_public_subscribe"], true);
}
db_test!(public_subscribe_is_boolean_only);

async fn patch_add_replace_remove(app: TestApp) {
    app.send_json(Method::PUT, "/v2/queues/p", &json!({"a": 1, "b": 2}))
        .await;
    let (status, body) = patch(
        &app,
        "p",
        json!([
            {"op": "add", "path": "/metadata/c", "value": "new"},
            {"op": "replace", "path": "/metadata/a", "value": 10},
            {"op": "remove", "path": "/metadata/b"},
        ]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["a"], 10);
    assert_eq!(body["c"], "new");
    assert!(body.get("b").is_none());
    assert_eq!(body["_default_message_ttl"], 3600, "defaults filled");
    let (_, stored) = app.get_json("/v2/queues/p").await;
    assert_eq!(stored["a"], 10);
    assert_eq!(stored["c"], "new");
    assert!(stored.get("b").is_none());

    // Reserved keys may be replaced and removed although absent.
    let (status, body) = patch(
        &app,
        "p",
        json!([{"op": "replace", "path": "/metadata/_default_message_ttl", "value": 90}]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["_default_message_ttl"], 90);
    let (status, body) = patch(
        &app,
        "p",
        json!([{"op": "remove", "path": "/metadata/_default_message_ttl"}]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["_default_message_ttl"], 3600);
}
db_test!(patch_add_replace_remove);

async fn patch_conflicts_and_missing_queue(app: TestApp) {
    app.create_queue("p").await;
    let (status, body) = patch(
        &app,
        "p",
        json!([{"op": "replace", "path": "/metadata/ghost", "value": 1}]),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["title"], "Resource conflict");
    let (status, _) = patch(
        &app,
        "p",
        json!([{"op": "remove", "path": "/metadata/ghost"}]),
    )
    .await;
    assert_eq!(status, 409);
    let (status, body) = patch(
        &app,
        "never-created",
        json!([{"op": "add", "path": "/metadata/k", "value": 1}]),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    // A failed patch changes nothing.
    let (_, meta) = app.get_json("/v2/queues/p").await;
    assert!(meta.get("ghost").is_none());
}
db_test!(patch_conflicts_and_missing_queue);

async fn patch_needs_json_patch_content_type(app: TestApp) {
    app.create_queue("p").await;
    let resp = app
        .send_json(
            Method::PATCH,
            "/v2/queues/p",
            &json!([{"op": "add", "path": "/metadata/k", "value": 1}]),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 415);
    let (_, meta) = app.get_json("/v2/queues/p").await;
    assert!(meta.get("k").is_none());
}
db_test!(patch_needs_json_patch_content_type);

async fn delete_queue_is_always_204_and_purges(app: TestApp) {
    app.post_messages("gone", json!([{"body": 1}])).await;
    let resp = app
        .req(Method::DELETE, "/v2/queues/gone")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    let (_, list) = app.get_json("/v2/queues").await;
    assert_eq!(list["queues"], json!([]));
    let (_, msgs) = app.get_json("/v2/queues/gone/messages?echo=true").await;
    assert_eq!(msgs["messages"], json!([]));
    let again = app
        .req(Method::DELETE, "/v2/queues/gone")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 204);
}
db_test!(delete_queue_is_always_204_and_purges);

async fn list_pages_with_links_and_count(app: TestApp) {
    let (status, empty) = app.get_json("/v2/queues").await;
    assert_eq!(status, 200);
    assert_eq!(empty["queues"], json!([]));
    assert_eq!(empty["links"], json!([]));
    assert!(empty.get("count").is_none());
    let (_, empty_count) = app.get_json("/v2/queues?with_count=true").await;
    assert!(
        empty_count.get("count").is_none(),
        "count only when > 0: {empty_count}"
    );

    for name in ["c", "a", "e", "b", "d"] {
        app.create_queue(name).await;
    }
    let (_, page1) = app.get_json("/v2/queues?limit=2&with_count=True").await;
    let names: Vec<&str> = page1["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(page1["queues"][0]["href"], "/v2/queues/a");
    assert!(page1["queues"][0].get("metadata").is_none());
    assert_eq!(page1["count"], 5);
    let next = page1["links"][0]["href"].as_str().unwrap().to_string();
    assert_eq!(page1["links"][0]["rel"], "next");
    assert!(next.starts_with("/v2/queues?"), "{next}");
    assert!(next.contains("marker=b"), "{next}");

    let (_, page2) = app.get_json(&next).await;
    let names: Vec<&str> = page2["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["c", "d"]);
    let (_, all) = app.get_json("/v2/queues").await;
    assert_eq!(
        all["queues"].as_array().unwrap().len(),
        5,
        "default limit 10"
    );
}
db_test!(list_pages_with_links_and_count);

async fn list_detailed_and_filters(app: TestApp) {
    app.send_json(
        Method::PUT,
        "/v2/queues/alpha-one",
        &json!({"team": "ops", "n": 3}),
    )
    .await;
    app.send_json(Method::PUT, "/v2/queues/beta-one", &json!({"team": "dev"}))
        .await;
    app.create_queue("alpha-two").await;

    let (_, detailed) = app.get_json("/v2/queues?detailed=true").await;
    let first = &detailed["queues"][0];
    assert_eq!(first["name"], "alpha-one");
    assert_eq!(first["metadata"]["team"], "ops");
    assert_eq!(first["metadata"]["_default_message_ttl"], 3600);

    let names = |v: &Value| -> Vec<String> {
        v["queues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, by_name) = app.get_json("/v2/queues?name=alpha").await;
    assert_eq!(names(&by_name), ["alpha-one", "alpha-two"]);
    let (_, by_meta) = app.get_json("/v2/queues?team=dev").await;
    assert_eq!(names(&by_meta), ["beta-one"]);
    let (_, by_int) = app.get_json("/v2/queues?n=3").await;
    assert_eq!(names(&by_int), ["alpha-one"], "int-converted filter");
    let (_, none) = app.get_json("/v2/queues?team=nobody").await;
    assert_eq!(none["queues"], json!([]));
}
db_test!(list_detailed_and_filters);

async fn stats_count_and_oldest_newest(app: TestApp) {
    let (status, empty) = app.get_json("/v2/queues/s/stats").await;
    assert_eq!(status, 200);
    assert_eq!(
        empty,
        json!({"messages": {"claimed": 0, "free": 0, "total": 0}})
    );
    let first = app.post_messages("s", json!([{"body": 1}])).await;
    app.clock.advance_secs(10);
    let last = app
        .post_messages("s", json!([{"body": 2}, {"body": 3}]))
        .await;
    app.send_json(
        Method::POST,
        "/v2/queues/s/claims?limit=1",
        &json!({"ttl": 60, "grace": 60}),
    )
    .await;
    let (_, stats) = app.get_json("/v2/queues/s/stats").await;
    let m = &stats["messages"];
    assert_eq!(m["claimed"], 1);
    assert_eq!(m["free"], 2);
    assert_eq!(m["total"], 3);
    assert_eq!(
        m["oldest"]["href"],
        format!("/v2/queues/s/messages/{}", first[0])
    );
    assert_eq!(
        m["newest"]["href"],
        format!("/v2/queues/s/messages/{}", last[1])
    );
    assert_eq!(m["oldest"]["age"], 10);
    let created = m["oldest"]["created"].as_str().unwrap();
    assert_eq!(created.len(), 20, "YYYY-MM-DDTHH:MM:SSZ: {created}");
    assert!(created.ends_with('Z'));
}
db_test!(stats_count_and_oldest_newest);

async fn purge_removes_messages(app: TestApp) {
    app.post_messages("pq", json!([{"body": 1}, {"body": 2}]))
        .await;
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/pq/purge",
            &json!({"resource_types": ["messages"]}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 204);
    let (_, stats) = app.get_json("/v2/queues/pq/stats").await;
    assert_eq!(stats["messages"]["total"], 0);
    app.post_messages("pq", json!([{"body": 1}])).await;
    let no_body = app
        .req(Method::POST, "/v2/queues/pq/purge")
        .send()
        .await
        .unwrap();
    assert_eq!(no_body.status().as_u16(), 204);
    let (_, stats) = app.get_json("/v2/queues/pq/stats").await;
    assert_eq!(stats["messages"]["total"], 0);
    // The queue itself survives a purge.
    let (_, list) = app.get_json("/v2/queues").await;
    assert_eq!(list["queues"][0]["name"], "pq");
}
db_test!(purge_removes_messages);
