//! Tests that run the real `tidings serve` binary as separate processes:
//! a SIGKILL with deliveries pending, and two processes on one database.
use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::helpers::{CLIENT_ID, PROJECT};
use crate::sink::HttpSink;

pub(crate) struct Server {
    child: Child,
    base: String,
    client: reqwest::Client,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// A server with a 3 s delivery lease, so that work a killed process held
    /// is taken over within seconds.
    pub(crate) async fn start(database_url: &str) -> Server {
        Server::start_configured(database_url, 3, Stdio::null(), "warn").await
    }

    pub(crate) async fn start_with_lease(database_url: &str, lease_secs: u64) -> Server {
        Server::start_configured(database_url, lease_secs, Stdio::null(), "warn").await
    }

    /// Like `start`, with the server's log (at `level`) going to `stdout`.
    pub(crate) async fn start_logging(database_url: &str, stdout: Stdio, level: &str) -> Server {
        Server::start_configured(database_url, 3, stdout, level).await
    }

    async fn start_configured(
        database_url: &str,
        lease_secs: u64,
        stdout: Stdio,
        level: &str,
    ) -> Server {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_tidings"))
            .arg("serve")
            .env("TIDINGS_BIND", format!("127.0.0.1:{port}"))
            .env("TIDINGS_DATABASE_URL", database_url)
            .env("TIDINGS_WEBHOOK_ALLOW_NETS", "127.0.0.0/8")
            .env("TIDINGS_DELIVERY_LEASE_SECS", lease_secs.to_string())
            .env("TIDINGS_LOG", level)
            .env("TIDINGS_LOG_FORMAT", "text")
            .env_remove("TIDINGS_CONFIG")
            .stdout(stdout)
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn tidings serve");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
        };
        for _ in 0..200 {
            if let Ok(r) = server.req(reqwest::Method::GET, "/v2/ping").send().await {
                if r.status().as_u16() == 204 {
                    return server;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("tidings serve did not come up");
    }

    pub(crate) fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{}", self.base, path))
            .header("Client-ID", CLIENT_ID)
            .header("X-Project-ID", PROJECT)
            .header("Content-Type", "application/json")
    }

    async fn subscribe(&self, queue: &str, url: &str) {
        let r = self
            .req(
                reqwest::Method::POST,
                &format!("/v2/queues/{queue}/subscriptions"),
            )
            .body(json!({"subscriber": url, "ttl": 3600}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
    }

    async fn post(&self, queue: &str, from: usize, count: usize) {
        let messages: Vec<_> = (from..from + count)
            .map(|i| json!({"body": {"seq": i}}))
            .collect();
        let r = self
            .req(
                reqwest::Method::POST,
                &format!("/v2/queues/{queue}/messages"),
            )
            .body(json!({"messages": messages}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
    }

    /// SIGTERM, then wait for the process to exit; returns its exit status.
    fn terminate(&mut self) -> std::process::ExitStatus {
        self.signal("TERM")
    }

    /// Sends `kill -NAME`, then waits for the process to exit.
    fn signal(&mut self, name: &str) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status();
        assert!(status.map(|s| s.success()).unwrap_or(false), "kill -{name}");
        self.child.wait().expect("wait for tidings serve")
    }

    pub(crate) fn kill(&mut self) {
        // SIGKILL: no graceful shutdown, no chance to finish anything.
        self.child.kill().expect("kill");
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (subscriber path, seq) pairs that reached the sink, and how many
/// arrivals were duplicates.
fn unique_arrivals(sink: &HttpSink) -> (HashSet<(String, i64)>, usize) {
    let mut seen = HashSet::new();
    let mut duplicates = 0;
    for r in sink.received() {
        let seq = r.json()["body"]["seq"].as_i64().unwrap();
        if !seen.insert((r.path.clone(), seq)) {
            duplicates += 1;
        }
    }
    (seen, duplicates)
}

async fn wait_unique(sink: &HttpSink, want: usize, timeout: Duration) -> usize {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let have = unique_arrivals(sink).0.len();
        if have >= want || tokio::time::Instant::now() > deadline {
            return have;
        }
        sink.wait_for(sink.received().len() + 1, Duration::from_millis(500))
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_with_pending_deliveries_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/crash.db?mode=rwc", dir.path().display());
    let sink = HttpSink::start().await;
    sink.set_mode(crate::sink::Mode::Status(200));
    let (subscribers, messages) = (20, 150);
    let want = subscribers * messages;

    let mut first = Server::start(&db).await;
    for s in 0..subscribers {
        first.subscribe("crash", &sink.url(&format!("/s{s}"))).await;
    }
    for batch in 0..messages / 50 {
        first.post("crash", batch * 50, 50).await;
    }
    // Kill as soon as delivery is under way, with most of it still pending.
    sink.wait_for(50, Duration::from_secs(30)).await;
    first.kill();
    let before_restart = unique_arrivals(&sink).0.len();
    assert!(
        before_restart < want,
        "the kill came too late to test anything"
    );

    let _second = Server::start(&db).await;
    let have = wait_unique(&sink, want, Duration::from_secs(90)).await;
    let (_, duplicates) = unique_arrivals(&sink);
    assert_eq!(
        have, want,
        "every committed message reaches every subscriber after a restart"
    );
    eprintln!(
        "crash test: {before_restart} before the kill, {want} in the end, {duplicates} duplicates"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_postgres_database() {
    if let Some(admin) = crate::helpers::server_url(crate::helpers::Backend::Postgres) {
        two_processes_share_one_database(&admin).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_mariadb_database() {
    if let Some(admin) = crate::helpers::server_url(crate::helpers::Backend::Mysql) {
        two_processes_share_one_database(&admin).await;
    }
}

async fn two_processes_share_one_database(admin: &str) {
    let db = crate::helpers::pg_databases::TestDatabase::create(admin).await;
    let sink = HttpSink::start().await;
    // The default lease (120 s): "no duplicates" is a claim about the normal
    // configuration; a 3 s lease can lapse under a loaded machine while an
    // attempt is still queued, and the other node then rightly retries it.
    let a = Server::start_with_lease(&db.url, 120).await;
    let b = Server::start_with_lease(&db.url, 120).await;
    let (subscribers, messages) = (10, 100);
    for s in 0..subscribers {
        a.subscribe("shared", &sink.url(&format!("/s{s}"))).await;
    }
    a.post("shared", 0, 50).await;
    b.post("shared", 50, 50).await;
    let want = subscribers * messages;
    let have = wait_unique(&sink, want, Duration::from_secs(60)).await;
    let (_, duplicates) = unique_arrivals(&sink);
    assert_eq!(have, want, "all delivered");
    assert_eq!(duplicates, 0, "no delivery sent twice in the normal case");
    let mut per_path: HashMap<String, usize> = HashMap::new();
    for r in sink.received() {
        *per_path.entry(r.path).or_default() += 1;
    }
    assert_eq!(per_path.len(), subscribers);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_attempts_in_flight_finish_and_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/graceful.db?mode=rwc", dir.path().display());
    let sink = HttpSink::start().await;
    sink.set_mode(crate::sink::Mode::Slow(1500));
    let mut server = Server::start(&db).await;
    server.subscribe("graceful", &sink.url("/slow")).await;
    server.post("graceful", 0, 1).await;
    // The attempt is under way (the sink has the request, the answer is
    // 1.5 s away) when the stop arrives.
    sink.wait_for(1, Duration::from_secs(10)).await;
    let status = server.terminate();
    assert!(status.success(), "graceful exit: {status:?}");

    let after = Server::start(&db).await;
    let subs: serde_json::Value = after
        .req(reqwest::Method::GET, "/v2/queues/graceful/subscriptions")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = subs["subscriptions"][0]["id"].as_str().unwrap().to_string();
    let log: serde_json::Value = after
        .req(
            reqwest::Method::GET,
            &format!("/v2/queues/graceful/subscriptions/{id}/deliveries"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log["deliveries"][0]["status"], "delivered", "{log}");
    assert_eq!(
        log["deliveries"][0]["attempts"].as_array().unwrap().len(),
        1
    );
    assert_eq!(sink.received().len(), 1);
}

/// Ctrl-C stops as gracefully as SIGTERM, and the log says so in our words
/// (not actix's "starting forced shutdown"), after a start line that names
/// the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_stops_gracefully_and_says_what_happens() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/sigint.db?mode=rwc", dir.path().display());
    let log_path = dir.path().join("tidings.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut server = Server::start_logging(&db, Stdio::from(log), "info").await;
    let status = server.signal("INT");
    assert!(status.success(), "graceful exit on SIGINT: {status:?}");
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.contains(&format!("database={db}")) && log.contains("tidings is serving"),
        "{log}"
    );
    assert!(
        log.contains("SIGINT received: stopping; requests and delivery attempts in flight finish"),
        "{log}"
    );
    assert!(log.contains("tidings stopped"), "{log}");
    assert!(!log.contains("forced shutdown"), "{log}");
}
