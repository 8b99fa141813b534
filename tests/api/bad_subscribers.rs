//! Refused subscription bodies: each is a 400 with Zaqar's body, and nothing
//! is written (not even the queue).
use reqwest::Method;
use serde_json::{json, Value};

use crate::db_test;
use crate::helpers::TestApp;

const TYPES: &str = "The subscriber type of subscription must be supported in the list ['amqp', 'amqps', 'http', 'https', 'mailto', 'trust+http', 'trust+https'].";

async fn bad_bodies_write_nothing(app: TestApp) {
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({}),
            "Invalid API request",
            "Missing parameter subscriber in body.",
        ),
        (
            json!({"ttl": 3600}),
            "Invalid API request",
            "Missing parameter subscriber in body.",
        ),
        (
            json!({"subscriber": format!("https://{}.example.com/hook", "h".repeat(3000))}),
            "Invalid API request",
            "at most 253",
        ),
        (
            json!({"subscriber": format!("https://{}.example.com/hook", "h".repeat(64))}),
            "Invalid API request",
            "at most 63",
        ),
        (
            json!({"subscriber": format!("https://{}/hook", vec!["a".repeat(60); 5].join("."))}),
            "Invalid API request",
            "at most 253",
        ),
        (
            json!({"subscriber": format!("amqp://{}.example.com/", "b".repeat(64))}),
            "Invalid API request",
            "at most 63",
        ),
        (
            json!({"subscriber": format!("mailto:a@{}.example.com", "c".repeat(64))}),
            "Invalid API request",
            "not a valid email address",
        ),
        (
            json!({"subscriber": "mailto:a@example.com,b@example.com", "options": {"blocked_recipients": ["not an address"]}}),
            "Invalid API request",
            "Option blocked_recipients",
        ),
        (
            json!({"subscriber": "mailto:a@example.com", "options": {"blocked_recipients": 5}}),
            "Invalid API request",
            "Option blocked_recipients must be a list of addresses.",
        ),
        (
            json!({"subscriber": "ftp://x.example.com"}),
            "Invalid API request",
            TYPES,
        ),
        (
            json!({"subscriber": "x@example.com"}),
            "Invalid API request",
            TYPES,
        ),
        (
            json!({"subscriber": "trust+https://x.example.com"}),
            "Invalid API request",
            "Keystone",
        ),
        (
            json!({"subscriber": "mailto:a@example.com\r\nBcc: x@example.com"}),
            "Invalid API request",
            "line breaks",
        ),
        (
            json!({"subscriber": "mailto:a@example.com%0d%0aBcc:x@example.com"}),
            "Invalid API request",
            "line breaks",
        ),
        (
            json!({"subscriber": "mailto:a@example.com?subject=Hi%0D%0ABcc:%20x@example.com"}),
            "Invalid API request",
            "line breaks",
        ),
        (
            json!({"subscriber": "mailto:a@example.com?subject=Hi\nBcc: x@example.com"}),
            "Invalid API request",
            "line breaks",
        ),
        (
            json!({"subscriber": "mailto:a@example.com?cc=b@example.com%0a"}),
            "Invalid API request",
            "line breaks",
        ),
        (
            json!({"subscriber": "mailto:a@example.com?cc=<b@example.com>"}),
            "Invalid API request",
            "\"<b@example.com>\" is not a valid email address.",
        ),
        (
            json!({"subscriber": "mailto:not an address"}),
            "Invalid API request",
            "\"not an address\" is not a valid email address.",
        ),
        (
            json!({"subscriber": "mailto:a@example.com", "options": {"subject": "x\r\nBcc: y@example.com"}}),
            "Invalid API request",
            "line breaks",
        ),
        (
            json!({"subscriber": "mailto:a@example.com", "options": {"subject": "x%0d%0aBcc: y@example.com"}}),
            "Invalid API request",
            "line breaks",
        ),
        (
            json!({"subscriber": "mailto:a@example.com", "options": {"cc": "b@example.com\r\nBcc: c@example.com"}}),
            "Invalid API request",
            "line breaks",
        ),
        (
            json!({"subscriber": "mailto:a@example.com", "options": {"from": "evil\n@example.com"}}),
            "Invalid API request",
            "line breaks",
        ),
        (
            json!({"subscriber": "mailto:a@example.com", "options": {"from": "nobody"}}),
            "Invalid API request",
            "valid mailbox",
        ),
        (
            json!({"subscriber": "http://h.example.com", "options": {"post_headers": {"X": "a\r\nb"}}}),
            "Invalid API request",
            "line breaks",
        ),
        (
            // Shorter than the 24 key bytes the signer needs: it would be
            // stored and then fail every delivery.
            json!({"subscriber": "http://h.example.com", "options": {"signing_secret": "whsec_AAAAAAAAAAAAAAAAAAAAAA=="}}),
            "Invalid API request",
            "Option signing_secret key must be between 24 and 64 bytes.",
        ),
        (
            json!({"subscriber": "http://h.example.com", "options": []}),
            "Invalid API request",
            "Options must be a dict.",
        ),
        (
            json!({"subscriber": "http://h.example.com", "options": "x"}),
            "Invalid API request",
            "Options must be a dict.",
        ),
        (
            json!({"subscriber": "http://h.example.com", "options": {"_retry_policy": {"retry_backoff_function": "cubic"}}}),
            "Invalid API request",
            "retry_backoff_function",
        ),
        (
            json!({"subscriber": "http://h.example.com", "options": {"_retry_policy": {"minimum_delay": 25, "maximum_delay": 30}}}),
            "Invalid API request",
            "minimum_delay",
        ),
        (
            json!({"subscriber": "http://h.example.com", "ttl": 59}),
            "Invalid API request",
            "The TTL for a subscription must be at least 60 seconds long.",
        ),
        (
            json!({"subscriber": "http://h.example.com", "ttl": "3600"}),
            "Invalid API request",
            "TTL must be an integer.",
        ),
        (
            json!({"subscriber": "http://h.example.com", "ttl": 9_223_372_036_854_775_807i64}),
            "Invalid API request",
            "may not be longer",
        ),
        (
            json!({"subscriber": "http://h.example.com", "ttl": -5}),
            "Invalid API request",
            "at least 60",
        ),
        (
            json!([1, 2]),
            "Invalid request body",
            "Document type not supported.",
        ),
    ];
    let before = app.row_counts().await;
    for (body, title, description) in cases {
        let resp = app
            .send_json(Method::POST, "/v2/queues/bad/subscriptions", &body)
            .await;
        assert_eq!(resp.status().as_u16(), 400, "{body}");
        let err: Value = resp.json().await.unwrap();
        assert_eq!(err["title"], title, "{body}");
        let got = err["description"].as_str().unwrap_or("");
        assert!(got.contains(description), "{body}: {got}");
    }
    let not_json = app
        .req(Method::POST, "/v2/queues/bad/subscriptions")
        .header("Content-Type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status().as_u16(), 400);
    let empty = app
        .req(Method::POST, "/v2/queues/bad/subscriptions")
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status().as_u16(), 400);
    assert_eq!(
        app.row_counts().await,
        before,
        "refused requests write nothing"
    );
}
db_test!(bad_bodies_write_nothing);
