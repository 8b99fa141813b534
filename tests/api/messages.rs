use reqwest::Method;
use serde_json::{json, Value};

use crate::db_test;
use crate::helpers::TestApp;

async fn post_list_and_expire(app: TestApp) {
    let ids = app
        .post_messages("q", json!([{"body": {"e": 1}, "ttl": 60}, {"body": "x"}]))
        .await;
    assert_eq!(ids.len(), 2);
    let (status, listed) = app.get_json("/v2/queues/q/messages?echo=true").await;
    assert_eq!(status, 200);
    assert_eq!(listed["messages"].as_array().unwrap().len(), 2);
    // Without echo, a client does not see its own messages.
    let (_, own) = app.get_json("/v2/queues/q/messages").await;
    assert_eq!(own["messages"], json!([]));
    // The 60 s message expires; the 3600 s one stays.
    app.clock.advance_secs(61);
    let (_, later) = app.get_json("/v2/queues/q/messages?echo=true").await;
    let left = later["messages"].as_array().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["body"], "x");
}
db_test!(post_list_and_expire);

async fn post_returns_location_and_resources(app: TestApp) {
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/m/messages",
            &json!({"messages": [{"body": {"a": 1}, "ttl": 300}, {"body": null}]}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let body: Value = resp.json().await.unwrap();
    let resources: Vec<String> = body["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    assert_eq!(resources.len(), 2);
    let ids: Vec<&str> = resources
        .iter()
        .map(|r| r.strip_prefix("/v2/queues/m/messages/").unwrap())
        .collect();
    assert_eq!(
        location,
        format!("/v2/queues/m/messages?ids={}", ids.join(","))
    );
    // The queue was created lazily.
    let (_, list) = app.get_json("/v2/queues").await;
    assert_eq!(list["queues"][0]["name"], "m");

    let (status, msg) = app.get_json(&resources[0]).await;
    assert_eq!(status, 200);
    assert_eq!(msg["id"], ids[0]);
    assert_eq!(msg["href"], resources[0].as_str());
    assert_eq!(msg["ttl"], 300);
    assert_eq!(msg["age"], 0);
    assert_eq!(msg["body"], json!({"a": 1}));
    let (_, second) = app.get_json(&resources[1]).await;
    assert_eq!(second["ttl"], 3600, "default ttl");
    assert_eq!(second["body"], Value::Null);
}
db_test!(post_returns_location_and_resources);

async fn queue_default_ttl_applies(app: TestApp) {
    app.send_json(
        Method::PUT,
        "/v2/queues/t",
        &json!({"_default_message_ttl": 120}),
    )
    .await;
    let ids = app.post_messages("t", json!([{"body": 1}])).await;
    let (_, msg) = app
        .get_json(&format!("/v2/queues/t/messages/{}", ids[0]))
        .await;
    assert_eq!(msg["ttl"], 120);
    app.clock.advance_secs(121);
    let (status, _) = app
        .get_json(&format!("/v2/queues/t/messages/{}", ids[0]))
        .await;
    assert_eq!(status, 404, "expired message is gone");
}
db_test!(queue_default_ttl_applies);

async fn list_pages_with_links(app: TestApp) {
    let ids = app
        .post_messages(
            "pg",
            json!([{"body": 1}, {"body": 2}, {"body": 3}, {"body": 4}, {"body": 5}]),
        )
        .await;
    let (_, page1) = app
        .get_json("/v2/queues/pg/messages?echo=true&limit=2")
        .await;
    let got: Vec<&str> = page1["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[0].as_str(), ids[1].as_str()]);
    assert_eq!(page1["links"][0]["rel"], "next");
    let next = page1["links"][0]["href"].as_str().unwrap().to_string();
    assert!(next.starts_with("/v2/queues/pg/messages?"), "{next}");
    assert!(next.contains("marker="), "{next}");
    assert!(next.contains("echo=true"), "{next}");
    let (_, page2) = app.get_json(&next).await;
    let got: Vec<&str> = page2["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[2].as_str(), ids[3].as_str()]);
    let (_, page3) = app
        .get_json(page2["links"][0]["href"].as_str().unwrap())
        .await;
    assert_eq!(page3["messages"].as_array().unwrap().len(), 1);

    // Another client sees them without echo.
    let other = app
        .bare(Method::GET, "/v2/queues/pg/messages")
        .header("Client-ID", crate::helpers::OTHER_CLIENT_ID)
        .header("X-Project-ID", crate::helpers::PROJECT)
        .send()
        .await
        .unwrap();
    let other: Value = other.json().await.unwrap();
    assert_eq!(other["messages"].as_array().unwrap().len(), 5);

    let (status, missing) = app.get_json("/v2/queues/nothing/messages?echo=true").await;
    assert_eq!(status, 200);
    assert_eq!(missing, json!({"messages": [], "links": []}));
}
db_test!(list_pages_with_links);

async fn list_include_claimed(app: TestApp) {
    app.post_messages("ic", json!([{"body": 1}, {"body": 2}]))
        .await;
    app.send_json(
        Method::POST,
        "/v2/queues/ic/claims?limit=1",
        &json!({"ttl": 60, "grace": 60}),
    )
    .await;
    let (_, free) = app.get_json("/v2/queues/ic/messages?echo=true").await;
    assert_eq!(free["messages"].as_array().unwrap().len(), 1);
    let (_, all) = app
        .get_json("/v2/queues/ic/messages?echo=true&include_claimed=true")
        .await;
    let all = all["messages"].as_array().unwrap();
    assert_eq!(all.len(), 2);
    assert!(all[0]["href"].as_str().unwrap().contains("?claim_id="));
}
db_test!(list_include_claimed);

async fn get_by_ids_both_forms(app: TestApp) {
    let ids = app
        .post_messages("g", json!([{"body": "a"}, {"body": "b"}, {"body": "c"}]))
        .await;
    for path in [
        format!("/v2/queues/g/messages?ids={},{}", ids[0], ids[2]),
        format!("/v2/queues/g/messages?ids={}&ids={}", ids[0], ids[2]),
    ] {
        let (status, body) = app.get_json(&path).await;
        assert_eq!(status, 200, "{path}");
        let mut bodies: Vec<&str> = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap())
            .collect();
        bodies.sort();
        assert_eq!(bodies, ["a", "c"], "{path}");
    }
    let (status, _) = app
        .get_json("/v2/queues/g/messages?ids=0123456789abcdef01234567")
        .await;
    assert_eq!(status, 404, "none found");
    let (status, _) = app
        .get_json("/v2/queues/g/messages/0123456789abcdef01234567")
        .await;
    assert_eq!(status, 404);
    let (status, _) = app.get_json("/v2/queues/g/messages/not-an-id").await;
    assert_eq!(status, 404);
}
db_test!(get_by_ids_both_forms);

async fn delete_one_and_by_ids(app: TestApp) {
    let ids = app
        .post_messages("d", json!([{"body": 1}, {"body": 2}, {"body": 3}]))
        .await;
    let resp = app
        .req(Method::DELETE, &format!("/v2/queues/d/messages/{}", ids[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    let again = app
        .req(Method::DELETE, &format!("/v2/queues/d/messages/{}", ids[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 204, "missing message: still 204");
    let many = app
        .req(
            Method::DELETE,
            &format!("/v2/queues/d/messages?ids={}&ids={}", ids[1], ids[2]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(many.status().as_u16(), 204);
    let (_, stats) = app.get_json("/v2/queues/d/stats").await;
    assert_eq!(stats["messages"]["total"], 0);
}
db_test!(delete_one_and_by_ids);

async fn delete_with_claim_rules(app: TestApp) {
    let ids = app
        .post_messages("dc", json!([{"body": 1}, {"body": 2}]))
        .await;
    let claim = |limit: u32| {
        let app = &app;
        async move {
            let resp = app
                .send_json(
                    Method::POST,
                    &format!("/v2/queues/dc/claims?limit={limit}"),
                    &json!({"ttl": 60, "grace": 60}),
                )
                .await;
            let loc = resp.headers()["location"].to_str().unwrap().to_string();
            loc.rsplit('/').next().unwrap().to_string()
        }
    };
    let c1 = claim(1).await;
    let c2 = claim(1).await;
    let del = |path: String| {
        let app = &app;
        async move {
            let resp = app.req(Method::DELETE, &path).send().await.unwrap();
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            (status, body)
        }
    };
    // Claimed, no claim id.
    let (status, body) = del(format!("/v2/queues/dc/messages/{}", ids[0])).await;
    assert_eq!(status, 403);
    assert_eq!(body["title"], "Unable to delete");
    // Claimed by another claim.
    let (status, _) = del(format!("/v2/queues/dc/messages/{}?claim_id={c2}", ids[0])).await;
    assert_eq!(status, 403);
    // Unknown claim.
    let (status, body) = del(format!(
        "/v2/queues/dc/messages/{}?claim_id=0123456789abcdef01234567",
        ids[0]
    ))
    .await;
    assert_eq!(status, 400);
    assert!(body["description"]
        .as_str()
        .unwrap()
        .contains("does not exist or has expired"));
    let (status, _) = del(format!(
        "/v2/queues/dc/messages/{}?claim_id=garbage",
        ids[0]
    ))
    .await;
    assert_eq!(status, 400, "malformed claim id");
    // The right claim.
    let (status, _) = del(format!("/v2/queues/dc/messages/{}?claim_id={c1}", ids[0])).await;
    assert_eq!(status, 204);
    // Release c2, then deleting with it says the message is not claimed.
    app.req(Method::DELETE, &format!("/v2/queues/dc/claims/{c2}"))
        .send()
        .await
        .unwrap();
    let fresh = app.post_messages("dc", json!([{"body": 3}])).await;
    let c3 = claim(1).await;
    let _ = c3;
    let unclaimed = app.post_messages("dc", json!([{"body": 4}])).await;
    let (status, body) = del(format!(
        "/v2/queues/dc/messages/{}?claim_id={c1}",
        unclaimed[0]
    ))
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["description"]
        .as_str()
        .unwrap()
        .contains("not currently claimed"));
    let (status, _) = app
        .get_json(&format!("/v2/queues/dc/messages/{}", unclaimed[0]))
        .await;
    assert_eq!(status, 200, "refused delete keeps the message");
    let _ = fresh;
}
db_test!(delete_with_claim_rules);

async fn pop_returns_raw_messages(app: TestApp) {
    let (status, empty) = {
        let resp = app
            .req(Method::DELETE, "/v2/queues/pp/messages?pop=2")
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
    };
    assert_eq!(status, 200);
    assert_eq!(empty, json!({"messages": []}));
    let ids = app
        .post_messages("pp", json!([{"body": 1}, {"body": 2}, {"body": 3}]))
        .await;
    let resp = app
        .req(Method::DELETE, "/v2/queues/pp/messages?pop=2")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: Value = resp.json().await.unwrap();
    let popped = body["messages"].as_array().unwrap();
    assert_eq!(popped.len(), 2);
    for m in popped {
        let mut keys: Vec<&str> = m.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        keys.sort();
        assert_eq!(
            keys,
            ["age", "body", "claim_count", "claim_id", "id", "ttl"]
        );
        assert!(ids.contains(&m["id"].as_str().unwrap().to_string()));
    }
    let (_, stats) = app.get_json("/v2/queues/pp/stats").await;
    assert_eq!(stats["messages"]["total"], 1);
}
db_test!(pop_returns_raw_messages);

async fn delay_honoured_only_with_queue_default_delay(app: TestApp) {
    // No default delay: the delay is dropped unread, as Zaqar drops it, so
    // even values that would be refused on a delay queue pass.
    app.post_messages("nd", json!([{"body": 1, "delay": 300}]))
        .await;
    for odd in [json!(901), json!(-1), json!("5"), json!(1.5)] {
        let resp = app
            .send_json(
                Method::POST,
                "/v2/queues/nd/messages",
                &json!({"messages": [{"body": 2, "delay": odd}]}),
            )
            .await;
        assert_eq!(resp.status().as_u16(), 201, "delay {odd}");
    }
    let (_, now) = app.get_json("/v2/queues/nd/messages?echo=true").await;
    assert_eq!(now["messages"].as_array().unwrap().len(), 5);

    app.send_json(
        Method::PUT,
        "/v2/queues/dl",
        &json!({"_default_message_delay": 30}),
    )
    .await;
    app.post_messages(
        "dl",
        json!([{"body": "own", "delay": 100}, {"body": "default"}]),
    )
    .await;
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/dl/messages",
            &json!({"messages": [{"body": 3, "delay": 901}]}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 400);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(
        err["description"],
        "The Delay TTL for a message may not exceed 900 seconds,and must be at least 0 seconds long."
    );
    let (_, none) = app.get_json("/v2/queues/dl/messages?echo=true").await;
    assert_eq!(none["messages"], json!([]));
    app.clock.advance_secs(31);
    let (_, one) = app.get_json("/v2/queues/dl/messages?echo=true").await;
    assert_eq!(one["messages"].as_array().unwrap().len(), 1);
    assert_eq!(one["messages"][0]["body"], "default");
    app.clock.advance_secs(70);
    let (_, two) = app.get_json("/v2/queues/dl/messages?echo=true").await;
    assert_eq!(two["messages"].as_array().unwrap().len(), 2);
}
db_test!(delay_honoured_only_with_queue_default_delay);

async fn sweeper_removes_expired_rows(app: TestApp) {
    let batch: Vec<Value> = (0..600).map(|i| json!({"body": i, "ttl": 60})).collect();
    app.post_messages("sw", Value::Array(batch)).await;
    app.post_messages("sw", json!([{"body": "keep", "ttl": 3600}]))
        .await;
    app.send_json(
        Method::POST,
        "/v2/queues/sw/claims?limit=1",
        &json!({"ttl": 60, "grace": 60}),
    )
    .await;
    let count = |counts: &[(String, i64)], t: &str| {
        counts
            .iter()
            .find(|(n, _)| n == t)
            .map(|(_, c)| *c)
            .unwrap()
    };
    let before = app.row_counts().await;
    assert_eq!(count(&before, "messages"), 601);
    assert_eq!(count(&before, "claims"), 1);
    let removed = tidings::store::sweeper::sweep_once(&app.state.db, &app.state.clock)
        .await
        .unwrap();
    assert_eq!(removed, 0, "nothing expired yet");
    app.clock.advance_secs(200);
    let removed = tidings::store::sweeper::sweep_once(&app.state.db, &app.state.clock)
        .await
        .unwrap();
    // 599 unclaimed 60 s messages, the claimed one (ttl extended to
    // claim ttl + grace = 120 s) and the claim: more than one batch.
    assert_eq!(removed, 601);
    let after = app.row_counts().await;
    assert_eq!(count(&after, "messages"), 1);
    assert_eq!(count(&after, "claims"), 0);
    let (_, left) = app.get_json("/v2/queues/sw/messages?echo=true").await;
    assert_eq!(left["messages"][0]["body"], "keep");
}
db_test!(sweeper_removes_expired_rows);

async fn queue_max_post_size_applies(app: TestApp) {
    app.send_json(
        Method::PUT,
        "/v2/queues/small",
        &json!({"_max_messages_post_size": 100}),
    )
    .await;
    let before = app.row_counts().await;
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/small/messages",
            &json!({"messages": [{"body": "x".repeat(120)}]}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 400);
    let err: Value = resp.json().await.unwrap();
    assert!(
        err["description"].as_str().unwrap().contains("too large"),
        "{err}"
    );
    assert_eq!(app.row_counts().await, before);
    let ok = app
        .send_json(
            Method::POST,
            "/v2/queues/small/messages",
            &json!({"messages": [{"body": "x"}]}),
        )
        .await;
    assert_eq!(ok.status().as_u16(), 201);
}
db_test!(queue_max_post_size_applies);

/// What a database may quietly get wrong: a body near the largest a post
/// may carry (MariaDB's TEXT holds 64 KiB), and queue names that differ
/// only in case (MariaDB's default collation folds case).
async fn large_bodies_and_names_in_another_case_are_kept(app: TestApp) {
    let big = "é".repeat(100 * 1024); // 200 KiB of UTF-8
    let ids = app
        .post_messages("Orders", json!([{"body": big, "ttl": 300}]))
        .await;
    app.post_messages("orders", json!([{"body": "small", "ttl": 300}]))
        .await;
    let (status, got) = app
        .get_json(&format!("/v2/queues/Orders/messages/{}", ids[0]))
        .await;
    assert_eq!(status, 200);
    assert_eq!(got["body"].as_str().map(str::len), Some(big.len()));
    for (queue, body) in [("Orders", big.as_str()), ("orders", "small")] {
        let (status, list) = app
            .get_json(&format!("/v2/queues/{queue}/messages?echo=true"))
            .await;
        assert_eq!(status, 200);
        let messages = list["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 1, "{queue}");
        assert_eq!(messages[0]["body"], body);
    }
}
db_test!(large_bodies_and_names_in_another_case_are_kept);

async fn pop_skips_claimed_messages(app: TestApp) {
    let ids = app
        .post_messages("pc", json!([{"body": 1}, {"body": 2}]))
        .await;
    let claimed = app
        .send_json(
            Method::POST,
            "/v2/queues/pc/claims?limit=1",
            &json!({"ttl": 60, "grace": 60}),
        )
        .await;
    assert_eq!(claimed.status().as_u16(), 201);
    let resp = app
        .req(Method::DELETE, "/v2/queues/pc/messages?pop=5")
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    let popped = body["messages"].as_array().unwrap();
    assert_eq!(popped.len(), 1);
    assert_eq!(popped[0]["id"], ids[1].as_str());
    let (status, _) = app
        .get_json(&format!("/v2/queues/pc/messages/{}", ids[0]))
        .await;
    assert_eq!(status, 200, "the claimed message stays");
}
db_test!(pop_skips_claimed_messages);
