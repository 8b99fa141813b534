//! `TIDINGS_AUTH=keystone` against a real OpenStack Keystone (30.0.0 on
//! SQLite, from tests/keystone/serve.py) when `TIDINGS_TEST_KEYSTONE_PYTHON`
//! names an interpreter that has it; skipped otherwise. python-zaqarclient
//! (`TIDINGS_TEST_PYTHON`, else ./.venv) then drives tidings through its
//! keystone backend. Keystone being unreachable needs no Keystone at all.
#[path = "api/helpers.rs"]
mod helpers;
#[path = "keystone/server.rs"]
mod server;

use std::io::Write;
use std::path::{Path, PathBuf};

use helpers::{env, Backend, TestApp, CLIENT_ID};
use reqwest::Method;
use serde_json::{json, Value};
use server::KeystoneServer;

const SERVICE_PASSWORD: &str = "tidings-service-test-password";
const ROLES: &str = "admin=admin, member=admin, notifier=publisher, reader=reader";

fn keystone_python() -> Option<PathBuf> {
    let python = std::env::var_os("TIDINGS_TEST_KEYSTONE_PYTHON").filter(|p| !p.is_empty());
    if python.is_none() {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: TIDINGS_TEST_KEYSTONE_PYTHON is not set (a python with keystone 30.0.0; .ci/run makes one)"
        );
    }
    python.map(PathBuf::from)
}

async fn tidings_for(keystone_url: &str, cache_secs: &str) -> TestApp {
    let env = env(&[
        ("TIDINGS_AUTH", "keystone"),
        ("TIDINGS_KEYSTONE_URL", keystone_url),
        ("TIDINGS_KEYSTONE_USER", "tidings"),
        ("TIDINGS_KEYSTONE_PASSWORD", SERVICE_PASSWORD),
        ("TIDINGS_KEYSTONE_PROJECT", "service"),
        ("TIDINGS_KEYSTONE_ROLES", ROLES),
        ("TIDINGS_KEYSTONE_CACHE_SECS", cache_secs),
        ("TIDINGS_PROJECT_RATE_LIMIT", "0"),
    ]);
    helpers::spawn_with(Backend::Sqlite, env)
        .await
        .expect("sqlite app")
}

/// A request with `token` in X-Auth-Token and no X-Project-Id.
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app
        .bare(method, path)
        .header("Client-ID", CLIENT_ID)
        .header("X-Auth-Token", token);
    if let Some(body) = body {
        req = req
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn post_body() -> Option<Value> {
    Some(json!({"messages": [{"body": {"event": "x"}, "ttl": 300}]}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keystone_tokens_decide_project_and_role() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(python) = keystone_python() else {
        return;
    };
    let ks = KeystoneServer::start(&python, root).await;
    let service = ks.project("service").await;
    ks.user("tidings", SERVICE_PASSWORD, &service, "service")
        .await;
    let team = ks.project("team").await;
    let rival = ks.project("rival").await;
    ks.user("alice", "alice-pw", &team, "member").await;
    ks.user("rita", "rita-pw", &team, "reader").await;
    ks.user("nora", "nora-pw", &team, "notifier").await;
    ks.user("ivan", "ivan-pw", &team, "unmapped").await;
    ks.user("bob", "bob-pw", &rival, "member").await;

    let app = tidings_for(&ks.url, "60").await;
    let alice = ks.token("alice", "alice-pw", "team").await;
    let rita = ks.token("rita", "rita-pw", "team").await;
    let nora = ks.token("nora", "nora-pw", "team").await;
    let ivan = ks.token("ivan", "ivan-pw", "team").await;
    let bob = ks.token("bob", "bob-pw", "rival").await;

    // No token, and a token Keystone never issued: 401.
    let res = app
        .bare(Method::GET, "/v2/queues")
        .header("Client-ID", CLIENT_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let (status, body) = call(
        &app,
        Method::GET,
        "/v2/queues",
        "gAAAAABnot-a-real-fernet-token",
        None,
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .contains("Keystone token is not valid"),
        "{body}"
    );

    // member maps to admin: the whole project.
    assert_eq!(
        call(&app, Method::PUT, "/v2/queues/jobs", &alice, None)
            .await
            .0,
        201
    );
    assert_eq!(
        call(
            &app,
            Method::POST,
            "/v2/queues/jobs/messages",
            &alice,
            post_body()
        )
        .await
        .0,
        201
    );

    // The project is the token's: Keystone's project id, not a header.
    let (status, body) = call(&app, Method::GET, "/v2/queues", &alice, None).await;
    assert_eq!(status, 200);
    assert_eq!(body["queues"][0]["name"], "jobs", "{body}");
    let named = app
        .bare(Method::GET, "/v2/queues")
        .header("Client-ID", CLIENT_ID)
        .header("X-Auth-Token", &alice)
        .header("X-Project-Id", &rival)
        .send()
        .await
        .unwrap();
    assert_eq!(
        named.status().as_u16(),
        403,
        "X-Project-Id of another project"
    );
    let own = app
        .bare(Method::GET, "/v2/queues")
        .header("Client-ID", CLIENT_ID)
        .header("X-Auth-Token", &alice)
        .header("X-Project-Id", &team)
        .send()
        .await
        .unwrap();
    assert_eq!(
        own.status().as_u16(),
        200,
        "X-Project-Id of its own project"
    );
    let own: Value = own.json().await.unwrap();
    assert_eq!(
        own["queues"][0]["name"], "jobs",
        "the queue is in project {team}: {own}"
    );

    // Another project's token sees nothing of team's.
    let (status, body) = call(&app, Method::GET, "/v2/queues", &bob, None).await;
    assert_eq!((status, body["queues"].clone()), (200, json!([])), "{body}");
    let (status, _) = call(
        &app,
        Method::GET,
        "/v2/queues/jobs/messages?echo=true",
        &bob,
        None,
    )
    .await;
    assert!(status == 200 || status == 204 || status == 404, "{status}");
    if status == 200 {
        let (_, body) = call(
            &app,
            Method::GET,
            "/v2/queues/jobs/messages?echo=true",
            &bob,
            None,
        )
        .await;
        assert_eq!(body["messages"], json!([]), "{body}");
    }

    // reader: GETs only.
    assert_eq!(
        call(&app, Method::GET, "/v2/queues/jobs/stats", &rita, None)
            .await
            .0,
        200
    );
    let (status, body) = call(
        &app,
        Method::POST,
        "/v2/queues/jobs/messages",
        &rita,
        post_body(),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["description"].as_str().unwrap().contains("publisher"),
        "{body}"
    );

    // notifier maps to publisher: posts, but no subscriptions or queues.
    assert_eq!(
        call(
            &app,
            Method::POST,
            "/v2/queues/jobs/messages",
            &nora,
            post_body()
        )
        .await
        .0,
        201
    );
    let sub = Some(json!({"subscriber": "http://127.0.0.1:9/hook", "ttl": 3600}));
    assert_eq!(
        call(
            &app,
            Method::POST,
            "/v2/queues/jobs/subscriptions",
            &nora,
            sub
        )
        .await
        .0,
        403
    );
    assert_eq!(
        call(&app, Method::PUT, "/v2/queues/other", &nora, None)
            .await
            .0,
        403
    );

    // No mapped role at all: 403 naming the roles it has.
    let (status, body) = call(&app, Method::GET, "/v2/queues", &ivan, None).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["description"].as_str().unwrap().contains("unmapped"),
        "{body}"
    );

    // A validation is cached: revoked in Keystone, the token still works
    // until keystone_cache_secs pass, then it is refused.
    ks.revoke(&rita).await;
    assert_eq!(
        call(&app, Method::GET, "/v2/queues", &rita, None).await.0,
        200,
        "cached"
    );
    app.clock.advance_secs(61);
    assert_eq!(
        call(&app, Method::GET, "/v2/queues", &rita, None).await.0,
        401,
        "asked again"
    );

    // tidings' own tokens keep working: a `*` admin token reads /metrics.
    let scope = tidings::domain::TokenScope::AllProjects;
    let ours = tidings::service::api_tokens::create(
        &app.state.db,
        &scope,
        tidings::domain::Role::Admin,
        None,
        "operator",
        app.state.now(),
    )
    .await
    .expect("create a token");
    let metrics = app
        .bare(Method::GET, "/metrics")
        .header("X-Auth-Token", &ours.secret)
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status().as_u16(), 200);
    assert_eq!(
        call(&app, Method::GET, "/metrics", &alice, None).await.0,
        403,
        "a project token is not server-wide"
    );

    // python-zaqarclient with its keystone backend: user and password,
    // tidings found in the catalog as `messaging`.
    let Some(zaqar) = python_with_zaqarclient(root).await else {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: python-zaqarclient part (no interpreter with zaqarclient)"
        );
        return;
    };
    let smoke = ks.project("smoke").await;
    ks.user("sam", "sam-pw", &smoke, "member").await;
    ks.endpoint("messaging", &app.address).await;
    let output = tokio::process::Command::new(&zaqar)
        .arg(root.join("tests/compat/zaqarclient_smoke.py"))
        .arg(&app.address)
        .arg("--keystone")
        .arg(format!("{}/v3", ks.url))
        .args(["sam", "sam-pw", "smoke"])
        .output()
        .await
        .expect("run the smoke script");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("all checks passed"),
        "zaqarclient smoke (keystone) failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn python_with_zaqarclient(root: &Path) -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os("TIDINGS_TEST_PYTHON")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.push(root.join(".venv/bin/python"));
    for python in candidates {
        let ok = tokio::process::Command::new(&python)
            .args(["-c", "import zaqarclient, keystoneauth1"])
            .output()
            .await
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(python);
        }
    }
    None
}

/// Keystone down (nothing listens): 503 with Zaqar's body, never a 500 or
/// a pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keystone_unreachable_is_a_503() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let app = tidings_for(&url, "60").await;
    let (status, body) = call(&app, Method::GET, "/v2/queues", "gAAAAABsome-token", None).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["title"], "Service temporarily unavailable", "{body}");
    // The public routes need no Keystone.
    let res = app.bare(Method::GET, "/").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 300, "version discovery");
}
