//! `GET /v2/openapi.json`: the OpenAPI document, behind the same token as
//! the home document, naming every API route of `src/api/routes.rs` with
//! each of its methods (so a route added without its `#[utoipa::path]`
//! fails here). The schemathesis run (tests/schemathesis/run.sh, in CI)
//! checks the answers against it.
use std::collections::HashMap;
use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use serde_json::Value;
use tidings::domain::{Role, TokenScope};
use tidings::service::api_tokens;

use crate::helpers::{spawn_with, Backend, TestApp};

/// Routes that are not API calls: links a browser opens.
const NOT_API: &[&str] = &[
    "/v2/queues/{queue}/subscriptions/{subscription_id}/unsubscribe",
    "/v2/topics/{queue}/subscriptions/{subscription_id}/unsubscribe",
];

/// `pattern -> methods` as the route table declares them.
fn declared_routes() -> BTreeMap<String, BTreeSet<String>> {
    let source = include_str!("../../src/api/routes.rs");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current: Vec<String> = Vec::new();
    for line in source.lines().map(str::trim) {
        if line.starts_with("web::resource(") || line.starts_with('"') && line.ends_with("\",") {
            current = line
                .split('"')
                .skip(1)
                .step_by(2)
                .map(|p| p.trim_end_matches('/').to_string())
                .map(|p| if p.is_empty() { "/".to_string() } else { p })
                .collect();
            current.dedup();
        }
        for method in ["get", "put", "post", "patch", "delete", "head"] {
            if line.starts_with(&format!(".route(web::{method}()")) {
                for pattern in &current {
                    out.entry(pattern.clone())
                        .or_default()
                        .insert(method.to_string());
                }
            }
        }
    }
    out.retain(|pattern, _| !NOT_API.contains(&pattern.as_str()));
    out
}

async fn document(app: &TestApp, token: Option<&str>) -> (u16, Value) {
    let mut req = app.bare(Method::GET, "/v2/openapi.json");
    if let Some(token) = token {
        req = req.header("X-Auth-Token", token);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn the_document_names_every_route(backend: Backend) {
    let env: HashMap<String, String> = [("TIDINGS_AUTH".to_string(), "token".to_string())].into();
    let Some(app) = spawn_with(backend, env).await else {
        return;
    };
    let (status, body) = document(&app, None).await;
    assert_eq!(status, 401, "{body}");
    let reader = api_tokens::create(
        &app.state.db,
        &TokenScope::parse("p1").unwrap(),
        Role::Reader,
        None,
        "",
        app.state.now(),
    )
    .await
    .unwrap()
    .secret;
    let (status, doc) = document(&app, Some(&reader)).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{doc}");
    let paths = doc["paths"].as_object().unwrap();
    let declared = declared_routes();
    assert!(declared.len() >= 30, "{declared:?}");
    for (pattern, methods) in &declared {
        let Some(item) = paths.get(pattern) else {
            panic!("{pattern} is not in the OpenAPI document");
        };
        for method in methods {
            assert!(
                item.get(method).is_some(),
                "{method} {pattern} is not documented"
            );
        }
    }
    // Nothing documented that the server does not route.
    for (pattern, item) in paths {
        let methods = declared
            .get(pattern)
            .unwrap_or_else(|| panic!("{pattern} is documented but not routed"));
        for method in item.as_object().unwrap().keys() {
            assert!(methods.contains(method), "{method} {pattern} is not routed");
        }
    }
    // The token schemes, and a public version list.
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert!(schemes.contains_key("token") && schemes.contains_key("bearer"));
    assert_eq!(paths["/"]["get"]["security"], serde_json::json!([{}]));
}
crate::backend_test!(the_document_names_every_route);

async fn without_authentication_anyone_reads_it(app: TestApp) {
    let (status, doc) = document(&app, None).await;
    assert_eq!(status, 200);
    assert!(doc["paths"]["/v2/queues/{queue}/messages"]["post"].is_object());
}
crate::db_test!(without_authentication_anyone_reads_it);
