use reqwest::Method;
use serde_json::{json, Value};

use crate::db_test;
use crate::helpers::TestApp;

async fn root_lists_versions_without_headers(app: TestApp) {
    let resp = app.bare(Method::GET, "/").send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 300);
    let body: Value = resp.json().await.unwrap();
    let v = &body["versions"][0];
    assert_eq!(v["id"], "2");
    assert_eq!(v["status"], "CURRENT");
    assert_eq!(v["links"], json!([{"href": "/v2/", "rel": "self"}]));
    assert_eq!(
        v["media-types"][0]["type"],
        "application/vnd.openstack.messaging-v2+json"
    );
}
db_test!(root_lists_versions_without_headers);

async fn json_home_on_both_paths(app: TestApp) {
    for path in ["/v2", "/v2/"] {
        let resp = app.req(Method::GET, path).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        assert_eq!(resp.headers()["content-type"], "application/json-home");
        assert_eq!(resp.headers()["cache-control"], "max-age=86400");
        let body: Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
        let resources = body["resources"].as_object().unwrap();
        for rel in [
            "queues",
            "queue",
            "queue_stats",
            "queue_share",
            "queue_purge",
            "messages",
            "post_messages",
            "messages_delete",
            "message_delete",
            "message_get",
            "claim",
            "post_claim",
            "patch_claim",
            "delete_claim",
            "subscriptions_get",
            "subscriptions_post",
            "subscription",
            "subscription_patch",
            "ping",
        ] {
            let r = &resources[&format!("rel/{rel}")];
            assert!(r["href-template"].is_string(), "{path} rel/{rel}");
            assert!(r["hints"]["allow"].is_array(), "{path} rel/{rel}");
        }
    }
    // Zaqar's own document, down to its variable names.
    let (_, doc) = app.get_json("/v2/").await;
    assert_eq!(
        doc["resources"]["rel/subscription"]["href-template"],
        "/v2/queues/{queue_name}/subscriptions/{subscriptions_id}"
    );
    assert_eq!(
        doc["resources"]["rel/message_delete"]["href-vars"]["claim"],
        "param/claim_id"
    );
    assert_eq!(
        doc["resources"]["rel/health"]["href-template"],
        "/v2/health"
    );
    // JSON home needs the Zaqar headers too.
    let bare = app.bare(Method::GET, "/v2/").send().await.unwrap();
    assert_eq!(bare.status().as_u16(), 400);
}
db_test!(json_home_on_both_paths);

async fn ping_and_health(app: TestApp) {
    let get = app.req(Method::GET, "/v2/ping").send().await.unwrap();
    assert_eq!(get.status().as_u16(), 204);
    let head = app.req(Method::HEAD, "/v2/ping").send().await.unwrap();
    assert_eq!(head.status().as_u16(), 204);
    let bare = app.bare(Method::GET, "/v2/ping").send().await.unwrap();
    assert_eq!(bare.status().as_u16(), 400, "ping needs the headers");

    app.post_messages("h", json!([{"body": 1}, {"body": 2}]))
        .await;
    let (status, health) = app.get_json("/v2/health").await;
    assert_eq!(status, 200);
    assert_eq!(health["storage_reachable"], true);
    assert_eq!(health["message_volume"]["total"], 2);
    assert_eq!(health["message_volume"]["free"], 2);
    assert!(health["operation_status"].is_object());
}
db_test!(ping_and_health);

async fn wrong_method_is_405_with_allow(app: TestApp) {
    // Falcon lists OPTIONS too, which every resource answers.
    for (method, path, allow) in [
        (Method::POST, "/v2/queues", "GET, OPTIONS"),
        (
            Method::POST,
            "/v2/queues/q",
            "DELETE, GET, PATCH, PUT, OPTIONS",
        ),
        (
            Method::PUT,
            "/v2/queues/q/messages",
            "DELETE, GET, POST, OPTIONS",
        ),
        (
            Method::HEAD,
            "/v2/queues/q",
            "DELETE, GET, PATCH, PUT, OPTIONS",
        ),
        (Method::GET, "/v2/queues/q/claims", "POST, OPTIONS"),
        (Method::DELETE, "/v2/ping", "GET, HEAD, OPTIONS"),
        (
            Method::GET,
            "/v2/queues/q/subscriptions/s/confirm",
            "PUT, OPTIONS",
        ),
    ] {
        let resp = app.req(method.clone(), path).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 405, "{method} {path}");
        assert_eq!(resp.headers()["allow"], allow, "{method} {path}");
    }
    // The root needs no headers, even for its 405.
    let root = app.bare(Method::POST, "/").send().await.unwrap();
    assert_eq!(root.status().as_u16(), 405);
    assert_eq!(root.headers()["allow"], "GET, OPTIONS");
}
db_test!(wrong_method_is_405_with_allow);

async fn options_lists_the_methods(app: TestApp) {
    for (path, allow) in [
        ("/", "GET"),
        ("/v2/queues", "GET"),
        ("/v2/queues/q", "DELETE, GET, PATCH, PUT"),
        ("/v2/queues/q/subscriptions", "GET, POST"),
    ] {
        // Browsers send a CORS preflight without the API headers.
        let resp = app.bare(Method::OPTIONS, path).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        assert_eq!(resp.headers()["allow"], allow, "{path}");
        assert!(resp.text().await.unwrap().is_empty(), "{path}");
    }
}
db_test!(options_lists_the_methods);

async fn html_accept_is_406(app: TestApp) {
    for path in ["/", "/v2/queues", "/v2/ping"] {
        let resp = app
            .req(Method::GET, path)
            .header("Accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 406, "{path}");
    }
    let ok = app
        .req(Method::GET, "/v2/queues")
        .header("Accept", "*/*")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
}
db_test!(html_accept_is_406);
