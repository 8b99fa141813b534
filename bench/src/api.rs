//! Zaqar v2 API calls used to set up and tear down workloads (queues,
//! subscriptions, seed data). Setup traffic is not measured, so this favours
//! simplicity: one `ApiClient` per connection, and `run_requests` to keep a
//! fixed number of them busy over a list of requests.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};

use crate::http_client::{build_request, Conn, HttpError, Response};
use crate::target::Target;

/// Who we are to the server: base URL, `Client-ID` and `X-Project-Id`.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub target: Target,
    pub client_id: String,
    pub project: String,
    pub timeout: Duration,
}

impl ApiConfig {
    pub fn new(base_url: &str, project: &str) -> Result<Self> {
        Ok(ApiConfig {
            target: Target::parse(base_url)?,
            client_id: crate::ids::client_id(),
            project: project.to_string(),
            timeout: Duration::from_secs(60),
        })
    }

    /// The header lines every API request carries.
    pub fn headers(&self) -> String {
        format!(
            "Client-ID: {}\r\nX-Project-Id: {}\r\nAccept: application/json\r\n",
            self.client_id, self.project
        )
    }
}

#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: &'static str,
    pub path: String,
    pub body: Option<Vec<u8>>,
}

pub struct ApiClient {
    cfg: ApiConfig,
    headers: String,
    conn: Option<Conn>,
}

impl ApiClient {
    pub fn new(cfg: ApiConfig) -> Self {
        let headers = cfg.headers();
        ApiClient {
            cfg,
            headers,
            conn: None,
        }
    }

    pub async fn send(&mut self, req: &ApiRequest) -> Result<Response, HttpError> {
        let mut headers = self.headers.clone();
        if req.body.is_some() {
            headers.push_str("Content-Type: application/json\r\n");
        }
        let wire = build_request(
            req.method,
            &self.cfg.target.host,
            &self.cfg.target.path(&req.path),
            &headers,
            req.body.as_deref().unwrap_or_default(),
        );
        // A kept-alive connection may have been closed by the server while
        // idle; one retry on a fresh connection covers that without hiding
        // a server that really fails.
        let reused = self.conn.is_some();
        match self.send_once(&wire, req.method == "HEAD").await {
            Err(_) if reused => self.send_once(&wire, req.method == "HEAD").await,
            other => other,
        }
    }

    async fn send_once(&mut self, wire: &[u8], head: bool) -> Result<Response, HttpError> {
        let mut conn = match self.conn.take() {
            Some(c) => c,
            None => Conn::connect(self.cfg.target.addr, self.cfg.timeout).await?,
        };
        let resp = conn.roundtrip(wire, head, self.cfg.timeout).await?;
        if resp.keep_alive {
            self.conn = Some(conn);
        }
        Ok(resp)
    }

    /// Sends and insists on one of `ok` statuses.
    pub async fn send_ok(&mut self, req: &ApiRequest, ok: &[u16]) -> Result<Response> {
        let resp = self
            .send(req)
            .await
            .with_context(|| format!("{} {}", req.method, req.path))?;
        if !ok.contains(&resp.status) {
            bail!(
                "{} {} answered {}: {}",
                req.method,
                req.path,
                resp.status,
                String::from_utf8_lossy(&resp.body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            );
        }
        Ok(resp)
    }

    pub async fn create_queue(&mut self, queue: &str) -> Result<()> {
        self.send_ok(&put_queue(queue), &[201, 204]).await.map(drop)
    }

    pub async fn delete_queue(&mut self, queue: &str) -> Result<()> {
        let req = ApiRequest {
            method: "DELETE",
            path: format!("/v2/queues/{queue}"),
            body: None,
        };
        self.send_ok(&req, &[204, 404]).await.map(drop)
    }

    /// IDs of every subscription of `queue`, following `next` links.
    pub async fn list_subscription_ids(&mut self, queue: &str) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        let mut marker: Option<String> = None;
        // Bounded: a server that keeps sending the same page must not loop us.
        for _ in 0..100_000 {
            let mut path = format!("/v2/queues/{queue}/subscriptions?limit=20");
            if let Some(m) = &marker {
                path.push_str(&format!("&marker={m}"));
            }
            let req = ApiRequest {
                method: "GET",
                path,
                body: None,
            };
            let resp = self.send_ok(&req, &[200, 204]).await?;
            if resp.status == 204 || resp.body.is_empty() {
                break;
            }
            let doc: Value = serde_json::from_slice(&resp.body).context("subscription list")?;
            let page: Vec<String> = doc["subscriptions"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s["id"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let Some(last) = page.last().cloned() else {
                break;
            };
            if marker.as_deref() == Some(last.as_str()) {
                break;
            }
            ids.extend(page);
            marker = Some(last);
        }
        Ok(ids)
    }
}

pub fn put_queue(queue: &str) -> ApiRequest {
    ApiRequest {
        method: "PUT",
        path: format!("/v2/queues/{queue}"),
        body: Some(b"{}".to_vec()),
    }
}

pub fn subscribe(queue: &str, subscriber: &str, ttl: u64) -> ApiRequest {
    subscribe_with(queue, subscriber, ttl, json!({}))
}

/// A subscription with `options` (routing: `event_types`, `filter`, ...).
pub fn subscribe_with(queue: &str, subscriber: &str, ttl: u64, options: Value) -> ApiRequest {
    let body = json!({"subscriber": subscriber, "ttl": ttl, "options": options});
    ApiRequest {
        method: "POST",
        path: format!("/v2/queues/{queue}/subscriptions"),
        body: Some(body.to_string().into_bytes()),
    }
}

pub fn delete_subscription(queue: &str, id: &str) -> ApiRequest {
    ApiRequest {
        method: "DELETE",
        path: format!("/v2/queues/{queue}/subscriptions/{id}"),
        body: None,
    }
}

pub fn post_messages(queue: &str, body: Vec<u8>) -> ApiRequest {
    ApiRequest {
        method: "POST",
        path: format!("/v2/queues/{queue}/messages"),
        body: Some(body),
    }
}

/// The `subscription_id` of a 201 answer to a subscribe request.
pub fn subscription_id(resp: &Response) -> Result<String> {
    let doc: Value = serde_json::from_slice(&resp.body).context("subscribe answer")?;
    doc["subscription_id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no subscription_id in {doc}"))
}

pub type RequestMaker = Arc<dyn Fn(usize) -> ApiRequest + Send + Sync>;

/// Sends requests `make(0) .. make(n-1)` with `concurrency` connections busy,
/// and returns each outcome at its index. Requests are made lazily so a
/// million-message seed never sits in memory at once. Dropping the future
/// (e.g. on a timeout) aborts the workers: a JoinSet owns them.
pub async fn run_requests(
    cfg: &ApiConfig,
    n: usize,
    concurrency: usize,
    make: RequestMaker,
) -> Vec<Result<Response, HttpError>> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.clamp(1, n.max(1)) {
        let cfg = cfg.clone();
        let next = next.clone();
        let make = make.clone();
        tasks.spawn(async move {
            let mut client = ApiClient::new(cfg);
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                done.push((i, client.send(&make(i)).await));
            }
            done
        });
    }
    let mut out: Vec<Option<Result<Response, HttpError>>> = (0..n).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        // A panicked task leaves its slots empty; they become errors below.
        if let Ok(done) = joined {
            for (i, r) in done {
                out[i] = Some(r);
            }
        }
    }
    out.into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(HttpError::new(
                    crate::http_client::ErrorKind::Read,
                    "worker task failed",
                ))
            })
        })
        .collect()
}

/// Short description of the first failure among `results`, for the output.
pub fn first_failure(results: &[Result<Response, HttpError>], ok: &[u16]) -> Option<String> {
    results.iter().find_map(|r| match r {
        Err(e) => Some(e.to_string()),
        Ok(resp) if !ok.contains(&resp.status) => Some(format!(
            "{}: {}",
            resp.status,
            String::from_utf8_lossy(&resp.body)
                .chars()
                .take(200)
                .collect::<String>()
        )),
        Ok(_) => None,
    })
}
