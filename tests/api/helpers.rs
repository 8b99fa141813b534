#![allow(dead_code)] // Shared helpers: not every test binary uses every one.
//! `spawn_app()`: a real tidings server on 127.0.0.1:0 with its own fresh
//! database (a new SQLite file, or a new PostgreSQL or MariaDB database
//! when `TIDINGS_TEST_POSTGRES_URL` or `TIDINGS_TEST_MYSQL_URL` is set)
//! and a manual clock.
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Once};

use reqwest::{Method, RequestBuilder, Response};
use sea_orm::ConnectionTrait;
use serde_json::Value;
use tidings::api::AppState;
use tidings::clock::ManualClock;
use tidings::config::Settings;
use tidings::startup::{Application, BuildOptions};

// Beside this file, and part of it for every test binary that uses it.
#[path = "pg_databases.rs"]
pub mod pg_databases;
use pg_databases::TestDatabase;

pub const CLIENT_ID: &str = "3381af922b9e11e3b19171861300734c";
// Not every suite uses every helper; the test binary is one crate.
#[allow(dead_code)]
pub const OTHER_CLIENT_ID: &str = "0b6a4cf6d45a4d4f9e0cbd5fd1b0e8a2";
pub const PROJECT: &str = "test-project";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

impl Backend {
    /// The variable naming the server this backend's suite runs on.
    pub fn url_variable(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some("TIDINGS_TEST_POSTGRES_URL"),
            Backend::Mysql => Some("TIDINGS_TEST_MYSQL_URL"),
        }
    }

    fn suite(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::Mysql => "MariaDB",
        }
    }
}

#[allow(dead_code)]
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    pub backend: Backend,
    pub dispatcher: std::sync::Arc<tidings::startup::AppDispatcher>,
    pub database_url: String,
    /// The test's own PostgreSQL database, dropped with the app that
    /// created it (apps started on it later with `spawn_on` share it).
    pub database: Option<Arc<TestDatabase>>,
}

static SKIP_NOTICE: Once = Once::new();
static MYSQL_SKIP_NOTICE: Once = Once::new();

/// The server URL for `backend`'s suite, or None after saying once (on
/// stderr, which the harness does not swallow) that the suite is skipped.
pub fn server_url(backend: Backend) -> Option<String> {
    let variable = backend.url_variable()?;
    let url = std::env::var(variable).ok().filter(|s| !s.is_empty());
    if url.is_none() {
        let notice = match backend {
            Backend::Mysql => &MYSQL_SKIP_NOTICE,
            _ => &SKIP_NOTICE,
        };
        notice.call_once(|| {
            let _ = writeln!(
                std::io::stderr(),
                "skipped: no {suite} (set {variable} to run the {suite} suite)",
                suite = backend.suite()
            );
        });
    }
    url
}

/// Spawns an app on SQLite, or on PostgreSQL if asked and configured.
/// Returns None (after saying so on the terminal) when PostgreSQL is asked
/// for but `TIDINGS_TEST_POSTGRES_URL` is not set.
pub async fn spawn(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, HashMap::new()).await
}

/// Like `spawn`, with extra `TIDINGS_*` variables for the settings.
pub async fn spawn_with(backend: Backend, extra_env: HashMap<String, String>) -> Option<TestApp> {
    spawn_configured(backend, None, extra_env).await
}

/// Like `spawn_with`, with a `TIDINGS_CONFIG` file holding `toml` (for
/// the settings that are TOML tables, such as notification types).
pub async fn spawn_with_toml(
    backend: Backend,
    toml: &str,
    extra_env: HashMap<String, String>,
) -> Option<TestApp> {
    spawn_configured(backend, Some(toml), extra_env).await
}

async fn spawn_configured(
    backend: Backend,
    toml: Option<&str>,
    mut extra_env: HashMap<String, String>,
) -> Option<TestApp> {
    let dir = tempfile::tempdir().expect("temp dir");
    if let Some(toml) = toml {
        let path = dir.path().join("tidings.toml");
        std::fs::write(&path, toml).expect("write the config file");
        extra_env.insert("TIDINGS_CONFIG".into(), path.display().to_string());
    }
    let database = match backend {
        Backend::Sqlite => None,
        Backend::Postgres | Backend::Mysql => {
            let admin_url = server_url(backend)?;
            Some(TestDatabase::create(&admin_url).await)
        }
    };
    let url = match &database {
        Some(db) => db.url.clone(),
        None => format!("sqlite://{}/tidings.db?mode=rwc", dir.path().display()),
    };
    let mut app = build(backend, dir, url, extra_env).await;
    app.database = database.map(Arc::new);
    Some(app)
}

/// A second app on an existing database (a restart).
pub async fn spawn_on(
    backend: Backend,
    database_url: &str,
    extra_env: HashMap<String, String>,
) -> TestApp {
    build(
        backend,
        tempfile::tempdir().expect("temp dir"),
        database_url.to_string(),
        extra_env,
    )
    .await
}

async fn build(
    backend: Backend,
    dir: tempfile::TempDir,
    database_url: String,
    extra_env: HashMap<String, String>,
) -> TestApp {
    let mut env: HashMap<String, String> = HashMap::new();
    env.insert("TIDINGS_BIND".into(), "127.0.0.1:0".into());
    env.insert("TIDINGS_DATABASE_URL".into(), database_url.clone());
    env.insert(
        "TIDINGS_MAIL_URL".into(),
        format!("file:{}/mail", dir.path().display()),
    );
    env.insert("TIDINGS_LOG".into(), "warn".into());
    env.extend(extra_env);
    let settings = Settings::from_env_map(&env).expect("test settings");
    let clock = ManualClock::new();
    let options = BuildOptions {
        clock: clock.clone(),
        background_workers: false,
    };
    let app = Application::build(settings, options)
        .await
        .expect("build app");
    let port = app.port();
    let state = app.state().clone();
    let dispatcher = app.dispatcher();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        state,
        clock,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        dir,
        backend,
        dispatcher,
        database_url,
        database: None,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A request with the Zaqar headers python-zaqarclient sends.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("Client-ID", CLIENT_ID)
            .header("X-Project-ID", PROJECT)
    }

    /// A request with no headers at all (a browser, a scanner).
    pub fn bare(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub async fn send_json(&self, method: Method, path: &str, body: &Value) -> Response {
        self.req(method, path)
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let resp = self.req(Method::GET, path).send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Runs the delivery worker until nothing is due (no sleeping).
    pub async fn drain(&self) -> usize {
        self.dispatcher.drain().await.expect("drain deliveries")
    }

    pub async fn create_queue(&self, name: &str) {
        let resp = self
            .req(Method::PUT, &format!("/v2/queues/{name}"))
            .send()
            .await
            .expect("request");
        assert!(
            matches!(resp.status().as_u16(), 201 | 204),
            "create queue {name}: {}",
            resp.status()
        );
    }

    /// Posts messages and returns their ids.
    pub async fn post_messages(&self, queue: &str, messages: Value) -> Vec<String> {
        let resp = self
            .send_json(
                Method::POST,
                &format!("/v2/queues/{queue}/messages"),
                &serde_json::json!({"messages": messages}),
            )
            .await;
        assert_eq!(resp.status().as_u16(), 201, "post messages");
        let body: Value = resp.json().await.expect("json");
        body["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .map(|r| r.as_str().unwrap().rsplit('/').next().unwrap().to_string())
            .collect()
    }

    /// A snapshot of every table's row count, to assert that a refused
    /// request changed nothing.
    pub async fn row_counts(&self) -> Vec<(String, i64)> {
        let mut out = Vec::new();
        for table in TABLES {
            let sql = format!("SELECT COUNT(*) AS n FROM {table}");
            let row = self
                .state
                .db
                .query_one_raw(sea_orm::Statement::from_string(
                    self.state.db.get_database_backend(),
                    sql,
                ))
                .await
                .expect("count query")
                .expect("a row");
            out.push((
                table.to_string(),
                row.try_get::<i64>("", "n").expect("count"),
            ));
        }
        out
    }
}

/// Tables whose row counts `row_counts` reports.
pub const TABLES: &[&str] = &[
    "queues",
    "messages",
    "claims",
    "subscriptions",
    "confirm_tokens",
    "server_secrets",
    "api_tokens",
    "confirmation_sends",
    "suppressions",
    "bounces",
    "bounce_streaks",
    "bounce_tokens",
    "template_sets",
];

/// Runs one async test body on SQLite and, when configured, on PostgreSQL
/// and MariaDB:
/// `db_test!(name)` expects `async fn name(app: TestApp)` in scope.
#[macro_export]
macro_rules! db_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::spawn($crate::helpers::Backend::Sqlite)
                    .await
                    .expect("sqlite app");
                super::$name(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::helpers::spawn($crate::helpers::Backend::Postgres).await
                {
                    super::$name(app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                if let Some(app) = $crate::helpers::spawn($crate::helpers::Backend::Mysql).await {
                    super::$name(app).await;
                }
            }
        }
    };
}

/// Like `db_test!`, with extra `TIDINGS_*` settings:
/// `db_test_env!(name, "TIDINGS_REQUIRE_CONFIRMATION" => "all")`.
#[macro_export]
macro_rules! db_test_env {
    ($name:ident, $($k:literal => $v:literal),+) => {
        mod $name {
            fn env() -> std::collections::HashMap<String, String> {
                [$(($k.to_string(), $v.to_string())),+].into_iter().collect()
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::spawn_with($crate::helpers::Backend::Sqlite, env())
                    .await
                    .expect("sqlite app");
                super::$name(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) =
                    $crate::helpers::spawn_with($crate::helpers::Backend::Postgres, env()).await
                {
                    super::$name(app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                if let Some(app) =
                    $crate::helpers::spawn_with($crate::helpers::Backend::Mysql, env()).await
                {
                    super::$name(app).await;
                }
            }
        }
    };
}

/// Like `db_test!`, for tests that spawn their own app (they need sinks
/// started first): expects `async fn name(backend: Backend)`; the PostgreSQL
/// variant returns early (with the skip notice) when it is not configured.
#[macro_export]
macro_rules! backend_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::helpers::postgres_configured() {
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                if $crate::helpers::server_url($crate::helpers::Backend::Mysql).is_some() {
                    super::$name($crate::helpers::Backend::Mysql).await;
                }
            }
        }
    };
}

/// True when `TIDINGS_TEST_POSTGRES_URL` is set; says so once when not.
pub fn postgres_configured() -> bool {
    server_url(Backend::Postgres).is_some()
}

/// Environment for delivery tests: loopback sinks allowed.
pub fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    let mut map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    map.entry("TIDINGS_WEBHOOK_ALLOW_NETS".into())
        .or_insert_with(|| "127.0.0.0/8".into());
    map
}
