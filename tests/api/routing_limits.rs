//! Routing input exactly at each documented limit is accepted, kept as
//! given and routes as written (the refusals one past each limit are in
//! routing_bad_input.rs).
use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::backend_test;
use crate::helpers::{env, spawn_with, Backend};
use crate::routing_fanout::subscribe;

/// A filter whose compact JSON is exactly `bytes` long.
fn filter_of_size(bytes: usize) -> Value {
    let filter = json!({"big": ["x".repeat(bytes - 12)]});
    assert_eq!(filter.to_string().len(), bytes);
    filter
}

async fn every_limit_can_be_reached(backend: Backend) {
    let Some(app) = spawn_with(backend, env(&[])).await else {
        return;
    };
    let ten_keys: Map<String, Value> = (0..10).map(|i| (format!("k{i}"), json!(["v"]))).collect();
    let mut patterns: Vec<String> = (0..99).map(|i| format!("e{i}")).collect();
    // The 100th pattern is 256 bytes long.
    let long_pattern = format!("e99{}*", "x".repeat(252));
    assert_eq!(long_pattern.len(), 256);
    patterns.push(long_pattern);
    let options = [
        ("ten-keys", json!({"filter": ten_keys})),
        (
            "hundred-conditions",
            json!({"filter": {"c1": (0..50).collect::<Vec<_>>(), "c2": (50..100).collect::<Vec<_>>()}}),
        ),
        ("depth-five", json!({"filter": {"d1.d2.d3.d4.d5": ["x"]}})),
        (
            "depth-five-nested",
            json!({"filter": {"d1": {"d2": {"d3": {"d4": {"d5": ["x"]}}}}}}),
        ),
        ("four-kib", json!({"filter": filter_of_size(4096)})),
        ("hundred-patterns", json!({"event_types": patterns})),
        (
            "one-point-range",
            json!({"filter": {"c2": [{"numeric": [">=", 99, "<=", 99]}]}}),
        ),
        (
            "scalar-anything-but",
            json!({"filter": {"k0": [{"anything-but": "w"}], "gone": [{"exists": false}]}}),
        ),
    ];
    for (name, o) in &options {
        let id = subscribe(
            &app,
            "limits",
            json!({"subscriber": format!("http://127.0.0.1:9/{name}"), "options": o}),
        )
        .await;
        let (status, stored) = app
            .get_json(&format!("/v2/queues/limits/subscriptions/{id}"))
            .await;
        assert_eq!(status, 200);
        assert_eq!(&stored["options"], o, "{name}: options kept as given");
    }
    // One body every filter and the long pattern let through.
    let mut body: Map<String, Value> = (0..10).map(|i| (format!("k{i}"), json!("v"))).collect();
    body.insert("c1".into(), json!(0));
    body.insert("c2".into(), json!(99));
    body.insert("d1".into(), json!({"d2": {"d3": {"d4": {"d5": "x"}}}}));
    body.insert("big".into(), json!("x".repeat(4096 - 12)));
    body.insert(
        "event_type".into(),
        json!(format!("e99{}", "x".repeat(252))),
    );
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/limits/routes?limit=20",
            &json!({ "body": body }),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    let routes: Value = resp.json().await.unwrap();
    let decisions = routes["subscriptions"].as_array().unwrap();
    assert_eq!(decisions.len(), options.len());
    for d in decisions {
        assert_eq!(d["deliver"], true, "{d}");
    }
    // A 256-byte event-type template is accepted too.
    let template = format!("{{event_type}}{}", "-".repeat(256 - 12));
    assert_eq!(template.len(), 256);
    let resp = app
        .send_json(
            Method::PUT,
            "/v2/queues/templated",
            &json!({ "_event_type": template }),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let (_, metadata) = app.get_json("/v2/queues/templated").await;
    assert_eq!(metadata["_event_type"], template);
}
backend_test!(every_limit_can_be_reached);
