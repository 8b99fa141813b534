//! Zaqar v2 API calls used to set up workloads. Setup traffic is not
//! measured, so this favours simplicity: one `ApiClient` per connection.
use std::time::Duration;

use anyhow::{bail, Context, Result};

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
    pub async fn expect(&mut self, req: &ApiRequest, ok: &[u16]) -> Result<Response> {
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
        self.expect(&put_queue(queue), &[201, 204]).await.map(drop)
    }
}

pub fn put_queue(queue: &str) -> ApiRequest {
    ApiRequest {
        method: "PUT",
        path: format!("/v2/queues/{queue}"),
        body: Some(b"{}".to_vec()),
    }
}
