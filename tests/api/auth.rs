//! TIDINGS_AUTH=token: every route against every role, 401 and 403 with
//! Zaqar bodies, the token deciding the project, and the public links and
//! pre-signed URLs that need no token.
use std::collections::HashMap;

use reqwest::Method;
use serde_json::{json, Value};
use tidings::domain::{Role, TokenScope};
use tidings::service::api_tokens;

use crate::helpers::{spawn_with, Backend, TestApp, CLIENT_ID};

const P1: &str = "p1";
const P2: &str = "p2";
const PATCH_TYPE: &str = "application/openstack-messaging-v2.0-json-patch";

struct Tokens {
    by_role: Vec<(Role, String)>,
    other_project: String,
    star_admin: String,
    star_reader: String,
}

async fn token(app: &TestApp, project: &str, role: Role) -> String {
    api_tokens::create(
        &app.state.db,
        &TokenScope::parse(project).unwrap(),
        role,
        None,
        "",
        app.state.now(),
    )
    .await
    .unwrap()
    .secret
}

async fn tokens(app: &TestApp) -> Tokens {
    let mut by_role = Vec::new();
    for role in Role::ALL {
        by_role.push((role, token(app, P1, role).await));
    }
    Tokens {
        by_role,
        other_project: token(app, P2, Role::Admin).await,
        star_admin: token(app, "*", Role::Admin).await,
        star_reader: token(app, "*", Role::Reader).await,
    }
}

impl Tokens {
    fn of(&self, role: Role) -> &str {
        &self.by_role.iter().find(|(r, _)| *r == role).unwrap().1
    }
}

/// One API request: the Zaqar headers, a token and a project header when
/// given.
async fn call(
    app: &TestApp,
    route: &Route,
    token: Option<&str>,
    project: Option<&str>,
) -> (u16, Value) {
    let mut req = app
        .client
        .request(route.method.clone(), app.url(&route.path))
        .header("Client-ID", CLIENT_ID);
    if let Some(t) = token {
        req = req.header("X-Auth-Token", t);
    }
    if let Some(p) = project {
        req = req.header("X-Project-Id", p);
    }
    if let Some(body) = &route.body {
        let content_type = if route.method == Method::PATCH && route.path == "/v2/queues/q" {
            PATCH_TYPE
        } else {
            "application/json"
        };
        req = req
            .header("Content-Type", content_type)
            .body(body.to_string());
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

struct Route {
    method: Method,
    path: String,
    body: Option<Value>,
    role: Role,
}

fn route(method: Method, path: &str, body: Option<Value>, role: Role) -> Route {
    Route {
        method,
        path: path.to_string(),
        body,
        role,
    }
}

struct Fixture {
    message: String,
    subscription: String,
    claim: String,
    bounce: String,
}

/// A listed address of P1's, which no other project may see or lift.
const P1_SUPPRESSED: &str = "p1-listed@example.com";

/// A bounce of P1's as the intake keeps it (the intake itself needs a
/// delivery with a VERP token; tests/api/bounces.rs drives that).
async fn p1_bounce(app: &TestApp) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    tidings::store::bounces::insert(
        &app.state.db,
        tidings::store::entities::bounce::Model {
            id: id.clone(),
            received_at: app.state.now(),
            project: Some(P1.into()),
            delivery_id: None,
            kind: Some("dsn".into()),
            classification: "permanent".into(),
            details: json!({"recipients": [{"address": "p1-bounced@example.com"}]}).to_string(),
            raw: "To: p1-bounced@example.com\r\n\r\nbounced\r\n".into(),
        },
    )
    .await
    .unwrap();
    id
}

/// A queue with a message, a claim and a webhook subscription in P1, a
/// suppressed address and a bounce.
async fn fixture(app: &TestApp, admin: &str) -> Fixture {
    let setup = |method, path: &str, body| route(method, path, body, Role::Admin);
    let (s, _) = call(
        app,
        &setup(Method::PUT, "/v2/queues/q", None),
        Some(admin),
        None,
    )
    .await;
    assert_eq!(s, 201);
    let (s, body) = call(
        app,
        &setup(
            Method::POST,
            "/v2/queues/q/messages",
            Some(json!({"messages": [{"body": {"n": 1}}, {"body": {"n": 2}}]})),
        ),
        Some(admin),
        None,
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let message = body["resources"][0]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let (s, body) = call(
        app,
        &setup(
            Method::POST,
            "/v2/queues/q/subscriptions",
            Some(json!({"subscriber": "http://127.0.0.1:9/hook", "ttl": 3600})),
        ),
        Some(admin),
        None,
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let subscription = body["subscription_id"].as_str().unwrap().to_string();
    let resp = app
        .client
        .post(app.url("/v2/queues/q/claims?limit=1"))
        .header("Client-ID", CLIENT_ID)
        .header("X-Auth-Token", admin)
        .header("Content-Type", "application/json")
        .body(json!({"ttl": 300, "grace": 60}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let claim = resp.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let (s, body) = call(
        app,
        &setup(
            Method::PUT,
            &format!("/v2/suppressions/{P1_SUPPRESSED}"),
            Some(json!({"reason": "manual"})),
        ),
        Some(admin),
        None,
    )
    .await;
    assert_eq!(s, 201, "{body}");
    Fixture {
        message,
        subscription,
        claim,
        bounce: p1_bounce(app).await,
    }
}

/// Every API route, the least role it needs, destructive ones last.
fn routes(f: &Fixture) -> Vec<Route> {
    let (m, s, c, b) = (&f.message, &f.subscription, &f.claim, &f.bounce);
    let q = "/v2/queues/q";
    vec![
        route(Method::GET, "/v2/suppressions", None, Role::Reader),
        route(
            Method::GET,
            &format!("/v2/suppressions/{P1_SUPPRESSED}"),
            None,
            Role::Reader,
        ),
        route(Method::GET, "/v2/bounces", None, Role::Admin),
        route(Method::GET, &format!("/v2/bounces/{b}"), None, Role::Admin),
        route(
            Method::PUT,
            "/v2/suppressions/new@example.com",
            Some(json!({"reason": "manual"})),
            Role::Subscriber,
        ),
        route(
            Method::DELETE,
            &format!("/v2/suppressions/{P1_SUPPRESSED}"),
            None,
            Role::Admin,
        ),
        route(Method::GET, "/v2/", None, Role::Reader),
        route(Method::GET, "/v2/ping", None, Role::Reader),
        route(Method::HEAD, "/v2/ping", None, Role::Reader),
        route(Method::GET, "/v2/health", None, Role::Reader),
        route(Method::GET, "/v2/notification_types", None, Role::Reader),
        route(Method::GET, "/v2/queues", None, Role::Reader),
        route(Method::GET, q, None, Role::Reader),
        route(Method::GET, &format!("{q}/stats"), None, Role::Reader),
        route(
            Method::GET,
            &format!("{q}/notification_policy"),
            None,
            Role::Reader,
        ),
        route(
            Method::POST,
            &format!("{q}/routes"),
            Some(json!({"body": {}})),
            Role::Reader,
        ),
        route(
            Method::GET,
            &format!("{q}/subscriptions"),
            None,
            Role::Reader,
        ),
        route(
            Method::GET,
            &format!("{q}/subscriptions/{s}"),
            None,
            Role::Reader,
        ),
        route(
            Method::GET,
            &format!("{q}/subscriptions/{s}/deliveries"),
            None,
            Role::Reader,
        ),
        route(Method::GET, &format!("{q}/messages"), None, Role::Reader),
        route(
            Method::GET,
            &format!("{q}/messages/{m}"),
            None,
            Role::Reader,
        ),
        route(
            Method::GET,
            &format!("{q}/messages?ids={m}"),
            None,
            Role::Reader,
        ),
        route(
            Method::GET,
            &format!("{q}/messages/{m}/routes"),
            None,
            Role::Reader,
        ),
        route(Method::GET, &format!("{q}/claims/{c}"), None, Role::Reader),
        route(Method::GET, "/v2/nowhere", None, Role::Reader),
        route(
            Method::POST,
            &format!("{q}/messages"),
            Some(json!({"messages": [{"body": 3}]})),
            Role::Publisher,
        ),
        route(
            Method::POST,
            &format!("{q}/claims"),
            Some(json!({"ttl": 60})),
            Role::Publisher,
        ),
        route(
            Method::PATCH,
            &format!("{q}/claims/{c}"),
            Some(json!({"ttl": 120})),
            Role::Publisher,
        ),
        route(
            Method::DELETE,
            &format!("{q}/claims/{c}"),
            None,
            Role::Publisher,
        ),
        route(
            Method::DELETE,
            &format!("{q}/messages/{m}"),
            None,
            Role::Publisher,
        ),
        route(
            Method::DELETE,
            &format!("{q}/messages?ids={m}"),
            None,
            Role::Publisher,
        ),
        route(
            Method::POST,
            &format!("{q}/subscriptions"),
            Some(json!({"subscriber": "http://127.0.0.1:9/other", "ttl": 3600})),
            Role::Subscriber,
        ),
        route(
            Method::PATCH,
            &format!("{q}/subscriptions/{s}"),
            Some(json!({"ttl": 7200})),
            Role::Subscriber,
        ),
        route(
            Method::PUT,
            &format!("{q}/subscriptions/{s}/confirm"),
            Some(json!({"confirmed": true})),
            Role::Subscriber,
        ),
        route(
            Method::POST,
            &format!("{q}/subscriptions/{s}/deliveries/1/retry"),
            None,
            Role::Subscriber,
        ),
        route(
            Method::DELETE,
            &format!("{q}/subscriptions/{s}"),
            None,
            Role::Subscriber,
        ),
        route(
            Method::PATCH,
            q,
            Some(json!([{"op": "add", "path": "/metadata/k", "value": 1}])),
            Role::Admin,
        ),
        route(
            Method::POST,
            &format!("{q}/share"),
            Some(json!({"paths": ["messages"], "methods": ["GET"]})),
            Role::Admin,
        ),
        route(Method::PUT, "/v2/queues/q2", None, Role::Admin),
        route(
            Method::POST,
            &format!("{q}/purge"),
            Some(json!({"resource_types": ["messages"]})),
            Role::Admin,
        ),
        route(Method::DELETE, q, None, Role::Admin),
        // Not a route at all: closed to everyone below admin.
        route(Method::PUT, "/v2/queues", None, Role::Admin),
    ]
}

async fn token_app(backend: Backend) -> Option<TestApp> {
    let env: HashMap<String, String> = [
        ("TIDINGS_AUTH", "token"),
        ("TIDINGS_WEBHOOK_ALLOW_NETS", "127.0.0.0/8"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    spawn_with(backend, env).await
}

/// What P1's data looks like to its admin: the message, subscription,
/// claim and queue, to show that nothing from another token touched them.
async fn p1_view(app: &TestApp, admin: &str, f: &Fixture) -> Vec<(u16, Value)> {
    let mut out = Vec::new();
    for path in [
        "/v2/queues/q".to_string(),
        format!("/v2/queues/q/messages/{}", f.message),
        format!("/v2/queues/q/subscriptions/{}", f.subscription),
        format!("/v2/queues/q/claims/{}", f.claim),
        format!("/v2/suppressions/{P1_SUPPRESSED}"),
        format!("/v2/bounces/{}", f.bounce),
    ] {
        let (status, mut body) = call(
            app,
            &route(Method::GET, &path, None, Role::Admin),
            Some(admin),
            None,
        )
        .await;
        // Ages tick with the clock; the rest must not change.
        if let Some(obj) = body.as_object_mut() {
            obj.remove("age");
        }
        out.push((status, body));
    }
    out
}

async fn every_route_and_role(backend: Backend) {
    let Some(app) = token_app(backend).await else {
        return;
    };
    let t = tokens(&app).await;
    let fixture = fixture(&app, t.of(Role::Admin)).await;
    let routes = routes(&fixture);
    let before = app.row_counts().await;
    let view = p1_view(&app, t.of(Role::Admin), &fixture).await;
    assert!(view.iter().all(|(s, _)| *s == 200), "{view:?}");

    for r in &routes {
        let what = format!("{} {}", r.method, r.path);
        // No token, an unknown one, a malformed Authorization: 401.
        for token in [None, Some("tdg_nope"), Some("")] {
            let (status, body) = call(&app, r, token, Some(P1)).await;
            assert_eq!(status, 401, "{what} with {token:?}");
            if r.method != Method::HEAD {
                assert_eq!(body["title"], "Unauthorized", "{what}");
            }
        }
        // Too little role: 403, with or without the project header.
        for (role, secret) in &t.by_role {
            if *role < r.role {
                for project in [None, Some(P1)] {
                    let (status, body) = call(&app, r, Some(secret), project).await;
                    assert_eq!(status, 403, "{what} as {role}");
                    if r.method != Method::HEAD {
                        assert_eq!(body["title"], "Forbidden", "{what}");
                        assert!(body["description"].as_str().unwrap().contains("role"));
                    }
                }
            }
        }
        // Another project's token naming P1: 403.
        let (status, _) = call(&app, r, Some(&t.other_project), Some(P1)).await;
        assert_eq!(status, 403, "{what} with P2's token naming P1");
    }
    assert_eq!(
        app.row_counts().await,
        before,
        "refused requests changed nothing"
    );

    // Another project's admin, in its own project: P1's data is out of
    // reach on every route (it reads nothing of P1, writes only to P2).
    for r in &routes {
        let (status, body) = call(&app, r, Some(&t.other_project), None).await;
        assert!(status < 500, "{} {}: {status}", r.method, r.path);
        // Not a trace of P1's messages or subscriber.
        let text = body.to_string();
        for p1_data in [
            "127.0.0.1:9/hook",
            "\"n\":1",
            "\"n\":2",
            "p1-listed",
            "p1-bounced",
        ] {
            assert!(!text.contains(p1_data), "{} {}: {text}", r.method, r.path);
        }
    }
    assert_eq!(p1_view(&app, t.of(Role::Admin), &fixture).await, view);

    // Every role that may, can: reads for all four and a `*` token that
    // names P1; then each write with its least role (destructive last).
    for r in routes.iter().filter(|r| r.role == Role::Reader) {
        for (role, secret) in &t.by_role {
            let (status, body) = call(&app, r, Some(secret), None).await;
            assert!(
                !matches!(status, 401 | 403) && status < 500,
                "{} {} as {role}: {status} {body}",
                r.method,
                r.path
            );
        }
        let (status, _) = call(&app, r, Some(&t.star_admin), Some(P1)).await;
        assert!(!matches!(status, 401 | 403), "{} {} as *", r.method, r.path);
    }
    for r in routes.iter().filter(|r| r.role != Role::Reader) {
        let (status, body) = call(&app, r, Some(t.of(r.role)), Some(P1)).await;
        assert!(
            !matches!(status, 401 | 403) && status < 500,
            "{} {} as {}: {status} {body}",
            r.method,
            r.path,
            r.role
        );
    }
    let _ = t.star_reader;
}
crate::backend_test!(every_route_and_role);

/// The server-wide routes: a `*` admin token, and nothing else.
async fn server_routes_need_a_star_admin(backend: Backend) {
    let Some(app) = token_app(backend).await else {
        return;
    };
    let t = tokens(&app).await;
    let listed = "/v2/server/suppressions/star-listed@example.com";
    let server_routes = [
        route(Method::GET, "/v2/server/suppressions", None, Role::Admin),
        route(
            Method::PUT,
            listed,
            Some(json!({"reason": "manual"})),
            Role::Admin,
        ),
        route(Method::GET, listed, None, Role::Admin),
        route(Method::DELETE, listed, None, Role::Admin),
        // The intake reads the body as a raw message: JSON is a 400 past
        // the token check, which is what this test is about.
        route(Method::POST, "/v2/bounces", Some(json!({})), Role::Admin),
    ];
    let before = app.row_counts().await;
    for r in &server_routes {
        let what = format!("{} {}", r.method, r.path);
        let (status, body) = call(&app, r, None, Some(P1)).await;
        assert_eq!(status, 401, "{what}");
        assert_eq!(body["title"], "Unauthorized", "{what}");
        // Every role of one project, admin included, and a `*` reader.
        let mut refused: Vec<&str> = t.by_role.iter().map(|(_, s)| s.as_str()).collect();
        refused.extend([t.other_project.as_str(), t.star_reader.as_str()]);
        for secret in refused {
            for project in [None, Some(P1)] {
                let (status, body) = call(&app, r, Some(secret), project).await;
                assert_eq!(status, 403, "{what}");
                assert_eq!(body["title"], "Forbidden", "{what}");
            }
        }
    }
    assert_eq!(app.row_counts().await, before, "refusals changed nothing");
    for r in &server_routes {
        let (status, body) = call(&app, r, Some(&t.star_admin), None).await;
        assert!(
            !matches!(status, 401 | 403) && status < 500,
            "{} {}: {status} {body}",
            r.method,
            r.path
        );
    }
}
crate::backend_test!(server_routes_need_a_star_admin);

async fn the_token_decides_the_project(backend: Backend) {
    let Some(app) = token_app(backend).await else {
        return;
    };
    let t = tokens(&app).await;
    fixture(&app, t.of(Role::Admin)).await;
    let list = route(Method::GET, "/v2/queues", None, Role::Reader);
    // No X-Project-Id needed: the token's project is used.
    let (status, body) = call(&app, &list, Some(t.of(Role::Reader)), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["queues"][0]["name"], "q");
    // The same project named: fine; another: 403.
    assert_eq!(
        call(&app, &list, Some(t.of(Role::Reader)), Some(P1))
            .await
            .0,
        200
    );
    let (status, body) = call(&app, &list, Some(t.of(Role::Reader)), Some(P2)).await;
    assert_eq!(status, 403);
    assert_eq!(body["title"], "Forbidden");
    // P2's token sees P2 only.
    let (status, body) = call(&app, &list, Some(&t.other_project), None).await;
    assert_eq!(
        (status, body["queues"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    // A `*` token acts in the project it names, and needs one.
    let (status, body) = call(&app, &list, Some(&t.star_admin), Some(P1)).await;
    assert_eq!(
        (status, body["queues"][0]["name"].clone()),
        (200, json!("q"))
    );
    let (status, body) = call(&app, &list, Some(&t.star_admin), None).await;
    assert_eq!(status, 400);
    assert_eq!(body["title"], "Project-Id Missing");

    // Authorization: Bearer works as X-Auth-Token does; Basic does not.
    let resp = app
        .client
        .get(app.url("/v2/queues"))
        .header("Client-ID", CLIENT_ID)
        .bearer_auth(t.of(Role::Reader))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let resp = app
        .client
        .get(app.url("/v2/queues"))
        .header("Client-ID", CLIENT_ID)
        .basic_auth("user", Some(t.of(Role::Reader)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(
        resp.headers()["www-authenticate"],
        "Bearer realm=\"tidings\""
    );

    // Revoked and expired tokens: 401 saying which.
    api_tokens::revoke(&app.state.db, t.of(Role::Reader), app.state.now())
        .await
        .unwrap();
    let (status, body) = call(&app, &list, Some(t.of(Role::Reader)), None).await;
    assert_eq!(status, 401);
    assert_eq!(body["description"], "The token has been revoked.");
    let brief = api_tokens::create(
        &app.state.db,
        &TokenScope::parse(P1).unwrap(),
        Role::Reader,
        Some(app.state.now() + 60_000),
        "",
        app.state.now(),
    )
    .await
    .unwrap()
    .secret;
    assert_eq!(call(&app, &list, Some(&brief), None).await.0, 200);
    app.clock.advance_secs(61);
    let (status, body) = call(&app, &list, Some(&brief), None).await;
    assert_eq!(status, 401);
    assert_eq!(body["description"], "The token has expired.");
}
crate::backend_test!(the_token_decides_the_project);

async fn metrics_and_public_links(backend: Backend) {
    let Some(app) = token_app(backend).await else {
        return;
    };
    let t = tokens(&app).await;
    let metrics = |token: Option<String>| {
        let mut req = app.client.get(app.url("/metrics"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    assert_eq!(metrics(None).await.unwrap().status().as_u16(), 401);
    assert_eq!(
        metrics(Some(t.of(Role::Admin).into()))
            .await
            .unwrap()
            .status()
            .as_u16(),
        403,
        "a project's admin does not see server-wide counters"
    );
    let resp = metrics(Some(t.star_reader.clone())).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("tidings_messages_posted_total"));

    // Version discovery and the emailed links need no token.
    assert_eq!(
        app.bare(Method::GET, "/")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        300
    );
    let confirm = app
        .bare(
            Method::GET,
            "/v2/queues/q/subscriptions?subscriber=mailto%3Aa%40example.com&confirm_token=bogus",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(confirm.status().as_u16(), 404, "the link's own error page");
    assert!(confirm.text().await.unwrap().contains("<html"));
    let unsubscribe = app
        .bare(
            Method::GET,
            "/v2/queues/q/subscriptions/x/unsubscribe?token=bogus",
        )
        .send()
        .await
        .unwrap();
    assert!(
        !matches!(unsubscribe.status().as_u16(), 401 | 403),
        "{}",
        unsubscribe.status()
    );

    // A pre-signed URL stands in for a token, for what it signs only.
    let admin = t.of(Role::Admin).to_string();
    fixture(&app, &admin).await;
    let (status, signed) = call(
        &app,
        &route(
            Method::POST,
            "/v2/queues/q/share",
            Some(json!({"paths": ["messages"], "methods": ["GET"]})),
            Role::Admin,
        ),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, 200, "{signed}");
    let presigned = |method: Method| {
        app.client
            .request(method, app.url("/v2/queues/q/messages"))
            .header("Client-ID", CLIENT_ID)
            .header("X-Project-Id", signed["project"].as_str().unwrap())
            .header("URL-Signature", signed["signature"].as_str().unwrap())
            .header("URL-Expires", signed["expires"].as_str().unwrap())
            .header("URL-Methods", "GET")
            .header("URL-Paths", signed["paths"][0].as_str().unwrap())
            .send()
    };
    let resp = presigned(Method::GET).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let resp = presigned(Method::DELETE).await.unwrap();
    assert_eq!(resp.status().as_u16(), 404, "not signed for DELETE");
}
crate::backend_test!(metrics_and_public_links);
