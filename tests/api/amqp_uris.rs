//! AMQP subscriber URIs at the API, no broker needed: refused forms are a
//! 400 with Zaqar's body and write nothing; accepted ones are stored as
//! given and shown with the password masked.
use reqwest::Method;
use serde_json::{json, Value};

use crate::db_test;
use crate::helpers::TestApp;

async fn bad_amqp_uris_are_refused_and_write_nothing(app: TestApp) {
    let cases = [
        (json!({"subscriber": "amqp://"}), "broker host"),
        (json!({"subscriber": "amqp://h:0"}), "port"),
        (json!({"subscriber": "amqp://h/a/b"}), "one path segment"),
        (
            json!({"subscriber": "amqp://h?exchange="}),
            "must not be empty",
        ),
        (
            json!({"subscriber": "amqp://h?exchange=a%20b"}),
            "only letters",
        ),
        (
            json!({"subscriber": "amqps://h?exchange=amq.direct"}),
            "reserved",
        ),
        (
            json!({"subscriber": "amqp://h?exchnage=pulp"}),
            "Unknown AMQP URI parameter",
        ),
        (
            json!({"subscriber": "amqp://u:secret@h?exchange=a&exchange=b"}),
            "twice",
        ),
        (json!({"subscriber": "amqp://h/%0d%0a"}), "line breaks"),
        (
            json!({"subscriber": "amqp://h", "options": {"require_route": "yes"}}),
            "require_route",
        ),
    ];
    let before = app.row_counts().await;
    for (body, expect) in cases {
        let resp = app
            .send_json(Method::POST, "/v2/queues/events/subscriptions", &body)
            .await;
        assert_eq!(resp.status().as_u16(), 400, "{body}");
        let err: Value = resp.json().await.unwrap();
        assert_eq!(err["title"], "Invalid API request", "{body}");
        let description = err["description"].as_str().unwrap_or("");
        assert!(description.contains(expect), "{body}: {description}");
        assert!(!description.contains("secret"), "{description}");
    }
    assert_eq!(
        app.row_counts().await,
        before,
        "refused requests write nothing"
    );
}
db_test!(bad_amqp_uris_are_refused_and_write_nothing);

async fn amqp_subscriptions_are_listed_with_the_password_masked(app: TestApp) {
    let raw = "amqp://pulp:hunter2@broker.example.com:5672/pulp?exchange=pulp";
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/events/subscriptions",
            &json!({"subscriber": raw, "ttl": 3600, "options": {"require_route": true}}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let id = resp.json::<Value>().await.unwrap()["subscription_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, one) = app
        .get_json(&format!("/v2/queues/events/subscriptions/{id}"))
        .await;
    assert_eq!(
        one["subscriber"],
        "amqp://pulp:***@broker.example.com:5672/pulp?exchange=pulp"
    );
    assert_eq!(one["options"]["require_route"], true);
    let (_, list) = app.get_json("/v2/queues/events/subscriptions").await;
    assert!(!list.to_string().contains("hunter2"), "{list}");
    // Same URI again: Zaqar's duplicate rule, the same subscription.
    let again = app
        .send_json(
            Method::POST,
            "/v2/queues/events/subscriptions",
            &json!({"subscriber": raw}),
        )
        .await;
    assert_eq!(again.status().as_u16(), 201);
    assert_eq!(again.json::<Value>().await.unwrap()["subscription_id"], id);
}
db_test!(amqp_subscriptions_are_listed_with_the_password_masked);
