//! One `tidings serve` process on a fixed port (so that a restart after a
//! kill answers where the clients already point).
use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use serde_json::{json, Value};

pub const PROJECT: &str = "faults";
const CLIENT_ID: &str = "3381af922b9e11e3b19171861300734c";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A retry schedule of one attempt a second for a thousand seconds, so a
/// fault that ends is seen at once (the default schedule spans hours).
pub fn fast_retries() -> Value {
    json!({"retries_with_no_delay": 0, "minimum_delay_retries": 1000,
           "minimum_delay": 1, "maximum_delay": 11, "maximum_delay_retries": 0,
           "retry_backoff_function": "linear"})
}

pub struct Node {
    child: Option<Child>,
    pub port: u16,
    database_url: String,
    env: HashMap<String, String>,
    log: std::path::PathBuf,
    pub client: reqwest::Client,
}

impl Node {
    /// Starts `tidings serve` on `port` with `env` (beside the database,
    /// the bind address and loopback webhooks); its log goes to `log_dir`.
    pub async fn start(
        database_url: &str,
        port: u16,
        env: &[(&str, &str)],
        log_dir: &Path,
    ) -> Node {
        let mut node = Node {
            child: None,
            port,
            database_url: database_url.to_string(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            log: log_dir.join(format!("tidings-{port}.log")),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
        };
        node.restart().await;
        node
    }

    /// Starts the process again (after `kill`), and waits until it answers.
    pub async fn restart(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open the node's log");
        let child = Command::new(env!("CARGO_BIN_EXE_tidings"))
            .arg("serve")
            .env_remove("TIDINGS_CONFIG")
            .env("TIDINGS_BIND", format!("127.0.0.1:{}", self.port))
            .env("TIDINGS_DATABASE_URL", &self.database_url)
            .env("TIDINGS_WEBHOOK_ALLOW_NETS", "127.0.0.0/8")
            .env("TIDINGS_LOG", "warn")
            .env("TIDINGS_LOG_FORMAT", "text")
            .envs(&self.env)
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("spawn tidings serve");
        self.child = Some(child);
        for _ in 0..600 {
            if let Ok(r) = self.req(reqwest::Method::GET, "/v2/ping").send().await {
                if r.status().as_u16() == 204 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("tidings serve did not come up on port {}", self.port);
    }

    /// SIGKILL: no shutdown, nothing finished.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    pub fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("Client-ID", CLIENT_ID)
            .header("X-Project-ID", PROJECT)
            .header("Content-Type", "application/json")
    }

    pub async fn create_queue(&self, queue: &str, metadata: Value) {
        let r = self
            .req(reqwest::Method::PUT, &format!("/v2/queues/{queue}"))
            .body(metadata.to_string())
            .send()
            .await
            .expect("create queue");
        assert!(matches!(r.status().as_u16(), 201 | 204), "create queue");
    }

    /// Creates a subscription; returns its id.
    pub async fn subscribe(&self, queue: &str, subscriber: &str) -> String {
        let r = self
            .req(
                reqwest::Method::POST,
                &format!("/v2/queues/{queue}/subscriptions"),
            )
            .body(json!({"subscriber": subscriber, "ttl": 86400}).to_string())
            .send()
            .await
            .expect("subscribe");
        assert_eq!(r.status().as_u16(), 201, "subscribe {subscriber}");
        let body: Value = r.json().await.expect("subscription JSON");
        body["subscription_id"]
            .as_str()
            .expect("subscription_id")
            .to_string()
    }

    /// Posts `bodies` as one batch; true on a 201 (then every one is owed).
    pub async fn post(&self, queue: &str, bodies: &[Value]) -> bool {
        let messages: Vec<Value> = bodies
            .iter()
            .map(|b| json!({"body": b, "ttl": 86400}))
            .collect();
        let sent = self
            .req(
                reqwest::Method::POST,
                &format!("/v2/queues/{queue}/messages"),
            )
            .body(json!({"messages": messages}).to_string())
            .send()
            .await;
        matches!(sent, Ok(r) if r.status().as_u16() == 201)
    }

    /// The sum of `tidings_delivery_attempts_total` lines whose labels
    /// contain `labels` (e.g. `channel="email"`), leaving out successes
    /// when `failures_only`.
    pub async fn attempts(&self, labels: &str, failures_only: bool) -> u64 {
        let Ok(r) = self.req(reqwest::Method::GET, "/metrics").send().await else {
            return 0;
        };
        let text = r.text().await.unwrap_or_default();
        text.lines()
            .filter(|l| l.starts_with("tidings_delivery_attempts_total{") && l.contains(labels))
            .filter(|l| !failures_only || !l.contains("outcome=\"delivered\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}
