//! Table-driven refusals: each case names a request and the Zaqar error it
//! must get, and no refused request may write a row.
use reqwest::Method;
use serde_json::{json, Value};

use crate::db_test;
use crate::helpers::{TestApp, CLIENT_ID, PROJECT};

const JSON: &str = "application/json";
const PATCH: &str = "application/openstack-messaging-v2.0-json-patch";

struct Case {
    method: Method,
    path: String,
    /// Headers replacing the defaults (`None` value removes the header).
    headers: Vec<(&'static str, Option<String>)>,
    body: Option<String>,
    status: u16,
    title: &'static str,
    description: &'static str,
}

fn case(method: Method, path: &str, body: Option<String>) -> Case {
    Case {
        method,
        path: path.to_string(),
        headers: vec![("Content-Type", Some(JSON.into()))],
        body,
        status: 400,
        title: "",
        description: "",
    }
}

impl Case {
    fn header(mut self, name: &'static str, value: Option<&str>) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name, value.map(String::from)));
        self
    }
    fn expect(mut self, status: u16, title: &'static str, description: &'static str) -> Self {
        self.status = status;
        self.title = title;
        self.description = description;
        self
    }
}

fn body(v: Value) -> Option<String> {
    Some(v.to_string())
}

fn post_messages(b: Option<String>) -> Case {
    case(Method::POST, "/v2/queues/q/messages", b)
}

fn claim(query: &str, b: Value) -> Case {
    case(
        Method::POST,
        &format!("/v2/queues/q/claims{query}"),
        body(b),
    )
}

fn patch(b: Option<String>) -> Case {
    case(Method::PATCH, "/v2/queues/q", b).header("Content-Type", Some(PATCH))
}

fn put_queue(b: Value) -> Case {
    case(Method::PUT, "/v2/queues/q", body(b))
}

fn get(path: &str) -> Case {
    case(Method::GET, path, None)
}

const BODY: &str = "Invalid request body";
const API: &str = "Invalid API request";
const PARAM: &str = "Invalid parameter";
const QUEUE_ID: &str = "Invalid queue identification";

fn cases() -> Vec<Case> {
    let long_name = "a".repeat(65);
    let long_project = "p".repeat(257);
    // A body just over 262144 bytes, otherwise valid.
    let big = format!(
        "{{\"messages\":[{{\"body\":\"{}\"}}]}}",
        "x".repeat(262_144)
    );
    let big_meta = format!("{{\"k\":\"{}\"}}", "x".repeat(65_536));
    vec![
        // Client-ID
        get("/v2/queues").header("Client-ID", None).expect(
            400,
            "Missing header value",
            "\"Client-Id\" header is required",
        ),
        get("/v2/queues")
            .header("Client-ID", Some("not-a-uuid"))
            .expect(400, "Wrong UUID value", "Malformed hexadecimal UUID."),
        get("/v2/queues")
            .header("Client-ID", Some("3381af922b9e11e3b19171861300734"))
            .expect(400, "Wrong UUID value", "Malformed"),
        get("/v2/queues")
            .header("Client-ID", Some("3381af92-2b9e-11e3-b191-71861300734z"))
            .expect(400, "Wrong UUID value", "Malformed"),
        get("/v2/queues").header("Client-ID", Some("")).expect(
            400,
            "Wrong UUID value",
            "Malformed",
        ),
        // Project
        get("/v2/queues").header("X-Project-ID", None).expect(
            400,
            "Project-Id Missing",
            "X-PROJECT-ID was missing",
        ),
        get("/v2/ping").header("X-Project-ID", None).expect(
            400,
            "Project-Id Missing",
            "X-PROJECT-ID was missing",
        ),
        get("/v2/queues").header("X-Project-ID", Some("")).expect(
            400,
            "Empty project header not allowed",
            "",
        ),
        get("/v2/queues")
            .header("X-Project-ID", Some(&long_project))
            .expect(400, QUEUE_ID, "project id is not valid"),
        // Queue names
        case(Method::PUT, "/v2/queues/has%20space", None).expect(400, QUEUE_ID, "not valid"),
        case(Method::PUT, &format!("/v2/queues/{long_name}"), None).expect(
            400,
            QUEUE_ID,
            "not valid",
        ),
        case(Method::PUT, "/v2/queues/caf%C3%A9", None).expect(400, QUEUE_ID, "not valid"),
        post_messages(body(json!({"messages": [{"body": 1}]})))
            .header("Content-Type", Some(JSON))
            .expect(201, "", ""),
        // Malformed JSON and document types
        post_messages(Some("{\"messages\": [".into())).expect(400, BODY, "could not be parsed"),
        put_queue(json!([1, 2])).expect(400, BODY, "Document type not supported."),
        // Zaqar's read_json takes only an object or an array as a document.
        put_queue(json!("meta")).expect(400, BODY, "Request body could not be parsed."),
        case(Method::PUT, "/v2/queues/q", Some("null".into())).expect(
            400,
            BODY,
            "Request body could not be parsed.",
        ),
        post_messages(Some("5".into())).expect(400, BODY, "Request body could not be parsed."),
        case(Method::PUT, "/v2/queues/q", Some("{not json".into())).expect(
            400,
            BODY,
            "could not be parsed",
        ),
        post_messages(body(json!([{"body": 1}]))).expect(400, API, "No messages were found"),
        post_messages(body(json!({"messages": {"body": 1}}))).expect(
            400,
            BODY,
            "Document type not supported.",
        ),
        post_messages(body(json!({"messages": [1, 2]}))).expect(
            400,
            BODY,
            "Document type not supported.",
        ),
        post_messages(body(json!({"messages": []}))).expect(400, API, ""),
        post_messages(body(json!({"nothing": []}))).expect(400, API, "No messages were found"),
        post_messages(None).expect(400, BODY, ""),
        post_messages(body(json!({"messages": [{"ttl": 60}]}))).expect(
            400,
            BODY,
            "Missing \"body\" field.",
        ),
        post_messages(body(json!({"messages": [{"body": 1, "ttl": "60"}]}))).expect(
            400,
            BODY,
            "The value of the \"ttl\" field must be a int.",
        ),
        post_messages(body(json!({"messages": [{"body": 1, "ttl": 60.5}]}))).expect(
            400,
            BODY,
            "must be a int",
        ),
        post_messages(body(json!({"messages": [{"body": 1, "ttl": 59}]}))).expect(400, API, "TTL"),
        post_messages(body(json!({"messages": [{"body": 1, "ttl": 1_209_601}]})))
            .expect(400, API, "TTL"),
        post_messages(Some(
            "{\"messages\":[{\"body\":1,\"ttl\":9223372036854775808}]}".into(),
        ))
        .expect(400, BODY, "integer that is too large"),
        post_messages(Some(
            "{\"messages\":[{\"body\":-9223372036854775809}]}".into(),
        ))
        .expect(400, BODY, "integer that is too large"),
        post_messages(Some(
            "{\"messages\":[{\"body\":{\"n\":[1,18446744073709551616]}}]}".into(),
        ))
        .expect(400, BODY, "integer that is too large"),
        post_messages(Some(big)).expect(400, API, "too large"),
        // Claims
        claim("", json!({"ttl": 59})).expect(400, API, "TTL"),
        claim("", json!({"ttl": 43_201})).expect(400, API, "TTL"),
        claim("", json!({"ttl": 60, "grace": 59})).expect(400, API, ""),
        claim("", json!({"ttl": 60, "grace": 43_201})).expect(400, API, ""),
        claim("", json!({"ttl": null})).expect(400, BODY, "\"ttl\""),
        claim("", json!({"ttl": 60.0})).expect(400, BODY, "must be a int"),
        claim("", json!([60])).expect(400, BODY, "Document type not supported."),
        claim("?limit=0", json!({"ttl": 60})).expect(400, API, "Limit"),
        claim("?limit=21", json!({"ttl": 60})).expect(400, API, "Limit"),
        claim("?limit=ten", json!({"ttl": 60})).expect(400, PARAM, "limit"),
        case(
            Method::PATCH,
            "/v2/queues/q/claims/0123456789abcdef01234567",
            body(json!({"ttl": 59})),
        )
        .expect(400, API, "TTL"),
        case(
            Method::PATCH,
            "/v2/queues/q/claims/0123456789abcdef01234567",
            body(json!({"ttl": "long"})),
        )
        .expect(400, BODY, "must be a int"),
        case(
            Method::DELETE,
            &format!(
                "/v2/queues/q/messages?ids={}",
                (0..21)
                    .map(|i| format!("{i:024x}"))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            None,
        )
        .expect(
            400,
            API,
            "ids parameter should have at least 1 and not greater than 20 values.",
        ),
        // Queue metadata
        case(Method::PUT, "/v2/queues/q", Some(big_meta)).expect(400, API, "too large"),
        put_queue(json!({"_default_message_ttl": 59})).expect(400, API, ""),
        put_queue(json!({"_default_message_ttl": "3600"})).expect(400, API, ""),
        put_queue(json!({"_max_messages_post_size": 0})).expect(400, API, ""),
        put_queue(json!({"_max_messages_post_size": 262_145})).expect(400, API, ""),
        put_queue(json!({"_default_message_delay": 901})).expect(400, API, ""),
        put_queue(json!({"_default_message_delay": -1})).expect(400, API, ""),
        put_queue(json!({"_enable_encrypt_messages": "yes"})).expect(400, API, ""),
        put_queue(json!({"_max_claim_count": "many"})).expect(400, API, ""),
        put_queue(json!({"_dead_letter_queue_messages_ttl": 1.5})).expect(400, API, ""),
        put_queue(json!({"_max_claim_count": -1})).expect(
            400,
            API,
            "_max_claim_count must be at least 0.",
        ),
        put_queue(json!({"_dead_letter_queue": "q", "_max_claim_count": 2})).expect(
            400,
            API,
            "_dead_letter_queue can not be the queue itself (q).",
        ),
        put_queue(json!({"_dead_letter_queue": "no spaces"})).expect(
            400,
            API,
            "_dead_letter_queue: the format of the submitted queue name is not valid.",
        ),
        put_queue(json!({"_dead_letter_queue_messages_ttl": 59})).expect(
            400,
            API,
            "The TTL for a message may not exceed 1209600 seconds, and must be at least 60 seconds long.",
        ),
        put_queue(json!({"_retry_policy": {"minimum_delay": 20, "maximum_delay": 25}}))
            .expect(400, API, ""),
        put_queue(json!({"_retry_policy": {"retry_backoff_function": "cubic"}}))
            .expect(400, API, ""),
        put_queue(json!({"_retry_policy": "fast"})).expect(400, API, ""),
        put_queue(json!({"_retry_policy": {"retry_backoff_function": "cubic"}})).expect(
            400,
            API,
            "invalid retry_backoff_function.",
        ),
        put_queue(json!({"_retry_policy": {"retry_backoff_function": 3}})).expect(
            400,
            API,
            "retry_backoff_function must be a string.",
        ),
        // Purge
        case(Method::POST, "/v2/queues/q/purge", body(json!({}))).expect(
            400,
            API,
            "Post body must contain key \"resource_types\".",
        ),
        case(Method::POST, "/v2/queues/q/purge", body(json!(["messages"]))).expect(
            400,
            API,
            "Post body must contain key",
        ),
        case(
            Method::POST,
            "/v2/queues/q/purge",
            body(json!({"resource_types": ["claims"]})),
        )
        .expect(
            400,
            API,
            "Resource types must be a sub set of {'messages', 'subscriptions'}.",
        ),
        // Share
        case(Method::POST, "/v2/queues/q/share", None).expect(400, BODY, ""),
        case(Method::POST, "/v2/queues/q/share", body(json!({"foo": 1})))
            .expect(400, API, "Unknown keys: {'foo'}"),
        case(
            Method::POST,
            "/v2/queues/q/share",
            body(json!({"paths": ["queues"]})),
        )
        .expect(400, API, "Invalid paths: {'queues'}"),
        case(
            Method::POST,
            "/v2/queues/q/share",
            body(json!({"expires": "2000-01-01T00:00:00"})),
        )
        .expect(400, API, "`expires` is lower than the current time"),
        case(
            Method::POST,
            "/v2/queues/q/share",
            body(json!({"expires": "12345"})),
        )
        .expect(400, API, "not integer value: 12345"),
        case(
            Method::POST,
            "/v2/queues/q/share",
            body(json!({"expires": "soon"})),
        )
        .expect(400, API, "Unable to parse date string 'soon'"),
        // Messages by id, and deleting them
        get("/v2/queues/q/messages?ids=0123456789abcdef01234567").expect(
            404,
            "Not found",
            "No messages with IDs: ['0123456789abcdef01234567'] found in the queue q for project test-project.",
        ),
        get("/v2/queues/q/messages/0123456789abcdef01234567").expect(
            404,
            "Not found",
            "Message 0123456789abcdef01234567 does not exist in queue q for project test-project",
        ),
        case(
            Method::DELETE,
            "/v2/queues/q/messages/0123456789abcdef01234567?claim_id=nope",
            None,
        )
        .expect(400, "Unable to delete", "The specified claim does not exist"),
        // Claims
        get("/v2/queues/q/claims/0123456789abcdef01234567").expect(
            404,
            "Not found",
            "Claim 0123456789abcdef01234567 does not exist in queue q for project test-project",
        ),
        case(
            Method::PATCH,
            "/v2/queues/q/claims/0123456789abcdef01234567",
            None,
        )
        .expect(400, BODY, ""),
        // Subscription PATCH
        case(
            Method::PATCH,
            "/v2/queues/q/subscriptions/0123456789abcdef01234567",
            body(json!([1])),
        )
        .expect(400, API, "Subscriptions must be a dict."),
        case(
            Method::PATCH,
            "/v2/queues/q/subscriptions/0123456789abcdef01234567",
            body(json!({"foo": 1})),
        )
        .expect(
            400,
            "Unable to update subscription",
            "Subscription 0123456789abcdef01234567 could not be updated.",
        ),
        case(
            Method::PATCH,
            "/v2/queues/q/subscriptions/0123456789abcdef01234567",
            body(json!({"ttl": null})),
        )
        .expect(400, "Unable to update subscription", ""),
        // A method the resource does not serve still meets the header hooks
        // first (falcon runs them before its 405 responder).
        case(Method::POST, "/v2/queues", None)
            .header("Client-ID", None)
            .expect(400, "Missing header value", ""),
        case(Method::POST, "/v2/queues/bad*name", None).expect(400, QUEUE_ID, ""),
        // PATCH (Zaqar answers its validation failures with "Invalid request body")
        patch(body(
            json!([{"op": "move", "path": "/metadata/k", "value": 1}]),
        ))
        .expect(400, BODY, "Invalid operation"),
        patch(body(json!([{"op": "add", "path": "/k", "value": 1}]))).expect(
            400,
            BODY,
            "JSON pointer",
        ),
        patch(body(
            json!([{"op": "add", "path": "/metadata/k/x", "value": 1}]),
        ))
        .expect(400, BODY, "JSON pointer"),
        patch(body(json!([{"op": "add", "path": "/meta/k", "value": 1}]))).expect(
            400,
            BODY,
            "The root of path must be metadata, e.g /metadata/key.",
        ),
        patch(body(json!([{"op": "remove", "path": "/meta/k"}]))).expect(
            400,
            BODY,
            "The root of path must be metadata",
        ),
        patch(body(json!([{"op": "add", "path": "metadata/k", "value": 1}]))).expect(
            400,
            BODY,
            "Pointer `metadata/k` does not start with \"/\".",
        ),
        patch(body(json!([{"op": "add", "path": "/metadata/", "value": 1}]))).expect(
            400,
            BODY,
            "Pointer `/metadata/` end with \"/\".",
        ),
        patch(body(json!([{"op": 7, "path": "/metadata/k", "value": 1}]))).expect(
            400,
            BODY,
            "Invalid operation: `7`. It must be one of the following: add, remove, replace.",
        ),
        patch(body(json!([{"op": "add", "path": "/metadata/k"}]))).expect(
            400,
            BODY,
            "Operation \"add\" requires a member named \"value\".",
        ),
        patch(body(json!([{"op": "add", "path": "/metadata/k", "value": 1}])))
            .header("Content-Type", Some("application/openstack-messaging-v2.0-json-patch; charset=utf-8"))
            .expect(415, "415 Unsupported Media Type", "Accepted media type for PATCH"),
        patch(Some(format!(
            "[{{\"op\": \"add\", \"path\": \"/metadata/k\", \"value\": \"{}\"}}]",
            "x".repeat(65_536)
        )))
        .expect(400, BODY, "Queue metadata is too large."),
        patch(body(json!([{"op": "add", "path": "/metadata/k"}]))).expect(400, BODY, "value"),
        patch(body(json!([{"path": "/metadata/k", "value": 1}]))).expect(400, BODY, "op"),
        patch(body(
            json!({"op": "add", "path": "/metadata/k", "value": 1}),
        ))
        .expect(400, BODY, ""),
        patch(Some("[{\"op\": ".into())).expect(400, BODY, "could not be parsed"),
        patch(None).expect(400, BODY, ""),
        patch(body(
            json!([{"op": "add", "path": "/metadata/_default_message_ttl", "value": 1}]),
        ))
        .expect(400, BODY, ""),
        patch(body(
            json!([{"op": "replace", "path": "/metadata/_enable_encrypt_messages", "value": "no"}]),
        ))
        .expect(400, BODY, ""),
        patch(body(
            json!([{"op": "add", "path": "/metadata/_dead_letter_queue", "value": "q"}]),
        ))
        .expect(400, BODY, "_dead_letter_queue can not be the queue itself (q)."),
        patch(body(
            json!([{"op": "add", "path": "/metadata/_max_claim_count", "value": -3}]),
        ))
        .expect(400, BODY, "_max_claim_count must be at least 0."),
        // Content type and parameters
        case(Method::PUT, "/v2/queues/q", Some("a=1".into()))
            .header("Content-Type", Some("application/x-www-form-urlencoded"))
            .expect(400, "Invalid Content-Type", "x-www-form-urlencoded"),
        get("/v2/queues?detailed=maybe").expect(400, PARAM, "detailed"),
        get("/v2/queues?with_count=2").expect(400, PARAM, "with_count"),
        get("/v2/queues?limit=abc").expect(400, PARAM, "limit"),
        get("/v2/queues?limit=21").expect(
            400,
            API,
            "Limit must be at least 1 and no greater than 20.",
        ),
        get("/v2/queues?limit=0").expect(400, API, "Limit"),
        get("/v2/queues/q/messages?echo=perhaps").expect(400, PARAM, "echo"),
        get("/v2/queues/q/messages?include_claimed=x").expect(400, PARAM, "include_claimed"),
        get("/v2/queues/q/messages?limit=1.5").expect(400, PARAM, "limit"),
        get("/v2/queues/q/messages?limit=21").expect(400, API, "Limit"),
        case(Method::DELETE, "/v2/queues/q/messages?pop=x", None).expect(400, PARAM, "pop"),
        case(Method::DELETE, "/v2/queues/q/messages?pop=0", None).expect(400, API, ""),
        case(Method::DELETE, "/v2/queues/q/messages?pop=21", None).expect(400, API, ""),
        case(Method::DELETE, "/v2/queues/q/messages", None).expect(
            400,
            API,
            "The request should have either \"ids\" or \"pop\" parameter",
        ),
        case(
            Method::DELETE,
            "/v2/queues/q/messages?pop=1&ids=0123456789abcdef01234567",
            None,
        )
        .expect(400, API, ""),
        get(&format!(
            "/v2/queues/q/messages?ids={}",
            (0..21)
                .map(|i| format!("{i:024x}"))
                .collect::<Vec<_>>()
                .join(",")
        ))
        .expect(
            400,
            API,
            "Limit must be at least 1 and may not be greater than 20.",
        ),
    ]
}

async fn refusals_have_zaqar_errors_and_write_nothing(app: TestApp) {
    // One existing queue with one message, so "nothing written" is
    // checked against a non-empty store.
    app.post_messages("q", json!([{"body": "seed"}])).await;
    let mut failures = Vec::new();
    for c in cases() {
        if c.status == 201 {
            continue; // sanity rows are used elsewhere
        }
        let before = app.row_counts().await;
        let mut builder_headers = reqwest::header::HeaderMap::new();
        builder_headers.insert("Client-ID", CLIENT_ID.parse().unwrap());
        builder_headers.insert("X-Project-ID", PROJECT.parse().unwrap());
        for (name, value) in &c.headers {
            builder_headers.remove(*name);
            if let Some(v) = value {
                builder_headers.insert(*name, v.parse().unwrap());
            }
        }
        let mut req = app.bare(c.method.clone(), &c.path).headers(builder_headers);
        if let Some(b) = &c.body {
            req = req.body(b.clone());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let err: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let label = format!("{} {} {:?}", c.method, c.path, c.headers);
        let label = if label.len() > 200 {
            format!("{}...", &label[..200])
        } else {
            label
        };
        if status != c.status {
            failures.push(format!(
                "{label}: status {status}, want {} ({text:.200})",
                c.status
            ));
            continue;
        }
        if !err["title"].is_string() {
            failures.push(format!("{label}: no title in {text:.200}"));
        }
        if !c.title.is_empty() && err["title"] != c.title {
            failures.push(format!("{label}: title {}, want {}", err["title"], c.title));
        }
        if !c.description.is_empty()
            && !err["description"]
                .as_str()
                .unwrap_or("")
                .contains(c.description)
        {
            failures.push(format!(
                "{label}: description {}, want …{}…",
                err["description"], c.description
            ));
        }
        if app.row_counts().await != before {
            failures.push(format!("{label}: rows changed"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
db_test!(refusals_have_zaqar_errors_and_write_nothing);

async fn every_uuid_form_python_accepts(app: TestApp) {
    for id in [
        "3381af922b9e11e3b19171861300734c",
        "3381AF922B9E11E3B19171861300734C",
        "3381af92-2b9e-11e3-b191-71861300734c",
        "{3381af92-2b9e-11e3-b191-71861300734c}",
        "{3381af922b9e11e3b19171861300734c}",
        "urn:uuid:3381af92-2b9e-11e3-b191-71861300734c",
        "3381af92-2b9e11e3-b19171861300734c",
    ] {
        let resp = app
            .bare(Method::GET, "/v2/queues")
            .header("Client-ID", id)
            .header("X-Project-ID", PROJECT)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "Client-ID {id}");
    }
    // Fallback project headers.
    for name in ["X-Tenant-Id", "X-Tenant"] {
        let resp = app
            .bare(Method::GET, "/v2/queues")
            .header("Client-ID", CLIENT_ID)
            .header(name, PROJECT)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{name}");
    }
}
db_test!(every_uuid_form_python_accepts);
