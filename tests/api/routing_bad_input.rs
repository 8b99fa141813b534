//! Table-driven refusals of routing input: event-type templates and
//! policies in queue metadata, event-type patterns, filters and
//! notification types in subscription options, and pairs the policy
//! refuses. Each gets a 400 with a Zaqar error body, and nothing changes:
//! not a row, not a metadata key, not a subscription option.
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_with_toml, Backend, TestApp};

/// The OpenShift seed's operator configuration (the `text` gateway is
/// reached over http here because the test sinks are plain http).
pub const OPENSHIFT_TOML: &str = r#"
[notification_types.email]
description = "Email notification."
schemes = ["mailto"]

[notification_types.text]
description = "Text message notification."
schemes = ["http", "https"]

[supported_notifications]
"Pod:PodFailed" = ["email"]
"DeploymentConfig:Failed" = ["email", "text"]
"#;

const PATCH_TYPE: &str = "application/openstack-messaging-v2.0-json-patch";
const API: &str = "Invalid API request";
const BODY: &str = "Invalid request body";

struct Case {
    method: Method,
    path: String,
    content_type: &'static str,
    body: Value,
    title: &'static str,
    description: String,
}

fn case(method: Method, path: &str, body: Value, title: &'static str, why: &str) -> Case {
    Case {
        method,
        path: path.to_string(),
        content_type: "application/json",
        body,
        title,
        description: why.to_string(),
    }
}

fn put_queue(meta: Value, why: &str) -> Case {
    case(Method::PUT, "/v2/queues/fresh", meta, API, why)
}

fn patch_queue(path: &str, value: Value, why: &str) -> Case {
    Case {
        content_type: PATCH_TYPE,
        ..case(
            Method::PATCH,
            "/v2/queues/q",
            json!([{"op": "add", "path": path, "value": value}]),
            BODY,
            why,
        )
    }
}

fn subscribe(options: Value, why: &str) -> Case {
    case(
        Method::POST,
        "/v2/queues/q/subscriptions",
        json!({"subscriber": "http://127.0.0.1:9/hook", "ttl": 3600, "options": options}),
        API,
        why,
    )
}

fn subscribe_as(subscriber: &str, options: Value, why: &str) -> Case {
    case(
        Method::POST,
        "/v2/queues/q/subscriptions",
        json!({"subscriber": subscriber, "options": options}),
        API,
        why,
    )
}

fn patch_subscription(id: &str, doc: Value, why: &str) -> Case {
    case(
        Method::PATCH,
        &format!("/v2/queues/q/subscriptions/{id}"),
        doc,
        API,
        why,
    )
}

/// Valid options for a `text` webhook under the policy, with `key` set.
fn text_with(key: &str, value: Value) -> Value {
    let mut options =
        json!({"notification_type": "text", "event_types": ["DeploymentConfig:Failed"]});
    options[key] = value;
    options
}

fn cases(existing: &str) -> Vec<Case> {
    let too_many_patterns: Vec<String> = (0..101).map(|i| format!("e{i}")).collect();
    let eleven_keys: serde_json::Map<String, Value> =
        (0..11).map(|i| (format!("k{i}"), json!(["v"]))).collect();
    let conditions: Vec<Value> = (0..101).map(|i| json!(i)).collect();
    let big = "x".repeat(4100);
    vec![
        // Event-type templates, on PUT and PATCH.
        put_queue(json!({"_event_type": "{reason"}), "unbalanced \"{\""),
        put_queue(json!({"_event_type": "reason}"}), "unbalanced \"}\""),
        put_queue(json!({"_event_type": "{}"}), "empty reference"),
        put_queue(json!({"_event_type": "{a..b}"}), "empty segment"),
        put_queue(json!({"_event_type": "x".repeat(257)}), "at most 256 bytes"),
        put_queue(json!({"_event_type": 5}), "must be a template string"),
        patch_queue("/metadata/_event_type", json!("{kind"), "unbalanced"),
        patch_queue(
            "/metadata/_event_type",
            json!("{}:{reason}"),
            "empty reference",
        ),
        // Policies, on PUT and PATCH.
        put_queue(
            json!({"_supported_notifications": ["email"]}),
            "must map event types",
        ),
        put_queue(
            json!({"_supported_notifications": {"Pod:PodFailed": "email"}}),
            "must map to a list",
        ),
        put_queue(
            json!({"_supported_notifications": {"Pod:PodFailed": ["fax"]}}),
            "unknown notification type \"fax\"",
        ),
        patch_queue(
            "/metadata/_supported_notifications",
            json!({"*": ["sms"]}),
            "unknown notification type \"sms\"",
        ),
        put_queue(
            json!({"_supported_notifications": {"Pod:PodFailed": ["email", 3]}}),
            "must map to a list",
        ),
        put_queue(
            json!({"_supported_notifications": {"x".repeat(257): ["email"]}}),
            "must be 1 to 256 bytes long",
        ),
        // Event-type patterns.
        subscribe(text_with("event_types", json!([])), "must not be empty"),
        subscribe(
            text_with("event_types", json!("DeploymentConfig:Failed")),
            "must be a list",
        ),
        subscribe(
            text_with("event_types", json!(["DeploymentConfig:Failed", 7])),
            "entry 1 must be a string",
        ),
        subscribe(
            text_with("event_types", json!(["!"])),
            "not a valid pattern",
        ),
        subscribe(
            text_with("event_types", json!(too_many_patterns)),
            "at most 100 patterns",
        ),
        subscribe(
            text_with(
                "event_types",
                json!(["DeploymentConfig:Failed", "x".repeat(257)]),
            ),
            "entry 1",
        ),
        subscribe(
            text_with("event_types", json!(["!!DeploymentConfig:*"])),
            "only one leading",
        ),
        subscribe(
            text_with("event_types", json!(["DeploymentConfig:\nFailed"])),
            "control characters",
        ),
        // Filters: shape, operators, limits.
        subscribe(text_with("filter", json!(["x"])), "must be an object"),
        subscribe(text_with("filter", json!({})), "at least one key"),
        subscribe(
            text_with("filter", json!({"severity": "error"})),
            "key \"severity\": conditions must be a list",
        ),
        subscribe(
            text_with("filter", json!({"severity": []})),
            "key \"severity\": the list of conditions is empty",
        ),
        subscribe(
            text_with("filter", json!({"severity": [{"anythingbut": ["debug"]}]})),
            "key \"severity\": unknown operator \"anythingbut\"",
        ),
        subscribe(
            text_with("filter", json!({"size": [{"numeric": [">", "1"]}]})),
            "key \"size\"",
        ),
        subscribe(
            text_with("filter", json!({"size": [{"numeric": ["<", 1, ">", 0]}]})),
            "lower bound then an upper bound",
        ),
        subscribe(
            text_with("filter", json!({"size": [{"numeric": [">", 1, "<"]}]})),
            "key \"size\": numeric takes",
        ),
        subscribe(
            text_with("filter", json!({"size": [{"numeric": ["~", 1]}]})),
            "is not a comparison",
        ),
        subscribe(
            text_with("filter", json!({"sev": [{"anything-but": [["debug"]]}]})),
            "key \"sev\": anything-but takes strings, numbers, booleans or null",
        ),
        subscribe(
            text_with("filter", json!({"sev": [["debug"]]})),
            "key \"sev\": a condition is a value or an {operator: argument} object",
        ),
        subscribe(text_with("filter", json!({"a..b": ["x"]})), "empty segment"),
        subscribe(
            text_with("filter", json!({"a": {}})),
            "key \"a\": a nested filter must name at least one key",
        ),
        subscribe(
            text_with("filter", json!({"size": [{"numeric": [">", 5, "<", 1]}]})),
            "matches no number",
        ),
        subscribe(
            text_with("filter", json!({"repo_id": [{"prefix": 1}]})),
            "key \"repo_id\": prefix takes a non-empty string",
        ),
        subscribe(
            text_with("filter", json!({"file": [{"suffix": ""}]})),
            "key \"file\": suffix takes",
        ),
        subscribe(
            text_with("filter", json!({"user": [{"exists": 1}]})),
            "key \"user\": exists takes true or false",
        ),
        subscribe(
            text_with("filter", json!({"sev": [{"anything-but": []}]})),
            "key \"sev\": anything-but needs at least one value",
        ),
        subscribe(
            text_with("filter", json!({"a": [{"prefix": "x", "suffix": "y"}]})),
            "exactly one operator",
        ),
        subscribe(
            text_with("filter", Value::Object(eleven_keys)),
            "key \"k10\": a filter may have at most 10 keys",
        ),
        subscribe(
            text_with("filter", json!({"a": conditions})),
            "key \"a\": a filter may have at most 100 conditions",
        ),
        subscribe(
            text_with("filter", json!({"a.b.c.d.e.f": ["x"]})),
            "key \"a.b.c.d.e.f\": the path is 6 levels deep",
        ),
        subscribe(text_with("filter", json!({"a": [big]})), "at most 4096"),
        // Notification types.
        subscribe(
            text_with("notification_type", json!("fax")),
            "unknown notification type \"fax\"",
        ),
        subscribe(
            text_with("notification_type", json!(1)),
            "must be the name of a notification type",
        ),
        subscribe_as(
            "mailto:jane@example.com",
            json!({"notification_type": "text"}),
            "covers http, https subscribers, not mailto",
        ),
        // The policy's refusals name the pair.
        subscribe_as(
            "mailto:alice@example.com",
            json!({"notification_type": "email", "event_types": ["Node:NotReady"]}),
            "\"email\" notifications for \"Node:NotReady\" events",
        ),
        subscribe(
            json!({"notification_type": "text", "event_types": ["Pod:PodFailed"]}),
            "does not allow \"text\" notifications for \"Pod:PodFailed\" events",
        ),
        subscribe(
            json!({"notification_type": "text", "event_types": ["Pod:*"]}),
            "any event type matching \"Pod:*\"",
        ),
        subscribe(
            json!({}),
            "allows \"webhook\" notifications for no event type",
        ),
        // PATCH is checked the same way.
        patch_subscription(
            existing,
            json!({"options": text_with("filter", json!({"a": [{"regex": "x"}]}))}),
            "key \"a\": unknown operator \"regex\"",
        ),
        patch_subscription(
            existing,
            json!({"options": {"notification_type": "text", "event_types": ["Pod:PodFailed"]}}),
            "\"Pod:PodFailed\"",
        ),
        patch_subscription(
            existing,
            json!({"options": text_with("event_types", json!([]))}),
            "must not be empty",
        ),
        patch_subscription(
            existing,
            json!({"subscriber": "mailto:x@example.com"}),
            "covers http, https subscribers, not mailto",
        ),
    ]
}

/// Everything a refused request could have changed.
async fn snapshot(app: &TestApp) -> Value {
    let mut out = serde_json::Map::new();
    let db = &app.state.db;
    for (table, columns) in [
        ("queues", "name, metadata"),
        (
            "subscriptions",
            "id, subscriber, options, status, ttl, expires_at",
        ),
        ("messages", "id"),
        ("confirm_tokens", "subscription_id"),
    ] {
        let sql = format!("SELECT {columns} FROM {table} ORDER BY 1");
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql,
            ))
            .await
            .expect("snapshot query");
        let shown: Vec<String> = rows
            .iter()
            .map(|r| {
                columns
                    .split(", ")
                    .map(|c| {
                        r.try_get::<String>("", c)
                            .or_else(|_| r.try_get::<i64>("", c).map(|n| n.to_string()))
                            .unwrap_or_default()
                    })
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect();
        out.insert(table.into(), json!(shown));
    }
    Value::Object(out)
}

use sea_orm::ConnectionTrait;

async fn routing_input_is_refused_and_changes_nothing(backend: Backend) {
    let Some(app) = spawn_with_toml(backend, OPENSHIFT_TOML, crate::helpers::env(&[])).await else {
        return;
    };
    let resp = app
        .send_json(
            Method::PUT,
            "/v2/queues/q",
            &json!({"_event_type": "{involvedObject.kind}:{reason}"}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/q/subscriptions",
            &json!({"subscriber": "http://127.0.0.1:9/jane", "options": {"notification_type": "text", "event_types": ["DeploymentConfig:Failed"]}}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let existing = resp.json::<Value>().await.unwrap()["subscription_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut failures = Vec::new();
    for c in cases(&existing) {
        let before = snapshot(&app).await;
        let resp = app
            .req(c.method.clone(), &c.path)
            .header("Content-Type", c.content_type)
            .body(c.body.to_string())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let err: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let label = format!("{} {} {:.160}", c.method, c.path, c.body.to_string());
        if status != 400 {
            failures.push(format!("{label}: status {status} ({text:.200})"));
            continue;
        }
        if err["title"] != c.title {
            failures.push(format!("{label}: title {} want {}", err["title"], c.title));
        }
        let description = err["description"].as_str().unwrap_or("");
        if !description.contains(&c.description) {
            failures.push(format!(
                "{label}: description {description:?} should say {:?}",
                c.description
            ));
        }
        if snapshot(&app).await != before {
            failures.push(format!("{label}: something changed"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
crate::backend_test!(routing_input_is_refused_and_changes_nothing);
