//! The webhook driver: one HTTP POST per attempt, classified into an
//! `AttemptOutcome`. Never retries, never follows redirects, never reaches an
//! internal address the operator did not allow (see `ssrf`).
pub mod body;
pub mod classify;
pub mod signing;
pub mod ssrf;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use url::{Host, Url};

use super::{AttemptOutcome, Verdict};
pub use body::zaqar_body;
pub use signing::{parse_secret, sign, signature_headers, SigningError};
use ssrf::{AddressPolicy, GuardedResolver, Refused};

/// A slow TCP/TLS handshake means the peer is down or filtered; 5 s leaves
/// room for a distant peer without tying up a worker.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Whole exchange, body read included: receivers should acknowledge quickly
/// and process asynchronously (Standard Webhooks recommends the same).
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(15);
/// Bytes of the response body kept for the attempt log; the rest is never read.
pub const RESPONSE_EXCERPT_BYTES: usize = 4096;
pub const USER_AGENT: &str = concat!("tidings/", env!("CARGO_PKG_VERSION"));

/// One POST. `url` is the subscriber URI and may carry `user:pass@`.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookRequest {
    pub url: String,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

// Hand-written so credentials in the URL never reach a log via `{:?}`.
impl std::fmt::Debug for WebhookRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookRequest")
            .field("url", &"<redacted>")
            .field("body_len", &self.body.len())
            .field("headers", &self.headers.len())
            .finish()
    }
}

/// Holds one shared client (connection reuse) whose resolver enforces the
/// SSRF policy.
#[derive(Debug, Clone)]
pub struct WebhookDriver {
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
    connect_timeout: Duration,
    total_timeout: Duration,
}

impl WebhookDriver {
    /// `allow_nets`: the CIDRs of TIDINGS_WEBHOOK_ALLOW_NETS.
    pub fn new(allow_nets: &[String]) -> anyhow::Result<Self> {
        let policy = Arc::new(AddressPolicy::new(allow_nets)?);
        Self::build(policy, CONNECT_TIMEOUT, TOTAL_TIMEOUT)
    }

    /// Same driver with other timeouts (tests; operators with slow peers).
    pub fn with_timeouts(self, connect: Duration, total: Duration) -> anyhow::Result<Self> {
        Self::build(self.policy, connect, total)
    }

    fn build(
        policy: Arc<AddressPolicy>,
        connect_timeout: Duration,
        total_timeout: Duration,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would connect on our behalf, past the resolver's check.
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                policy: Arc::clone(&policy),
            }))
            .connect_timeout(connect_timeout)
            .timeout(total_timeout)
            .build()
            .context("building the webhook HTTP client")?;
        Ok(Self {
            client,
            policy,
            connect_timeout,
            total_timeout,
        })
    }

    pub async fn send(&self, req: &WebhookRequest) -> AttemptOutcome {
        let started = Instant::now();
        let mut outcome = self.attempt(req).await;
        outcome.duration = started.elapsed();
        outcome
    }

    async fn attempt(&self, req: &WebhookRequest) -> AttemptOutcome {
        let target = match Target::parse(&req.url) {
            Ok(t) => t,
            Err(detail) => return permanent(detail),
        };
        if let Some(ip) = target.literal_ip {
            // IP literals bypass the resolver, so they are vetted here.
            if let Err(refused) = self.policy.check(ip) {
                return permanent(refused.to_string());
            }
        }
        let mut builder = self.client.post(target.url).body(req.body.clone());
        for (name, value) in &req.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some((user, pass)) = &target.credentials {
            builder = builder.basic_auth(user, Some(pass));
        }
        match builder.send().await {
            Ok(response) => classify::response(response).await,
            Err(err) => self.transport_error(&err),
        }
    }

    fn transport_error(&self, err: &reqwest::Error) -> AttemptOutcome {
        if let Some(refused) = find_source::<Refused>(err) {
            return permanent(refused.to_string());
        }
        if err.is_builder() {
            return permanent("invalid request (bad header name or value)".into());
        }
        let detail = if err.is_timeout() {
            if err.is_connect() {
                format!("connect timed out after {:?}", self.connect_timeout)
            } else {
                format!("timed out after {:?}", self.total_timeout)
            }
        } else if let Some(io) = find_source::<std::io::Error>(err) {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
                std::io::ErrorKind::ConnectionReset => "connection reset".to_owned(),
                _ => format!("connection failed: {io}"),
            }
        } else {
            // The innermost cause, never reqwest's top line (it has the URL).
            format!("request failed: {}", root_cause(err))
        };
        AttemptOutcome {
            verdict: Verdict::Transient { retry_after: None },
            code: None,
            detail,
            duration: Duration::ZERO,
        }
    }
}

fn permanent(detail: String) -> AttemptOutcome {
    AttemptOutcome {
        verdict: Verdict::Permanent,
        code: None,
        detail,
        duration: Duration::ZERO,
    }
}

fn find_source<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(hit) = e.downcast_ref::<T>() {
            return Some(hit);
        }
        cur = e.source();
    }
    None
}

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = err;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// The URL actually requested (credentials stripped) and what was stripped.
struct Target {
    url: Url,
    literal_ip: Option<std::net::IpAddr>,
    credentials: Option<(String, String)>,
}

impl Target {
    fn parse(raw: &str) -> Result<Self, String> {
        // The parse error text does not echo the URL.
        let mut url = Url::parse(raw).map_err(|e| format!("invalid webhook URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("unsupported webhook scheme {:?}", url.scheme()));
        }
        let literal_ip = match url.host() {
            Some(Host::Ipv4(ip)) => Some(ip.into()),
            Some(Host::Ipv6(ip)) => Some(ip.into()),
            Some(Host::Domain(_)) => None,
            None => return Err("webhook URL has no host".into()),
        };
        let credentials = if url.username().is_empty() && url.password().is_none() {
            None
        } else {
            let user = percent_decode(url.username());
            let pass = percent_decode(url.password().unwrap_or(""));
            // Cannot fail for http(s) URLs with a host.
            let _ = url.set_username("");
            let _ = url.set_password(None);
            Some((user, pass))
        };
        Ok(Self {
            url,
            literal_ip,
            credentials,
        })
    }
}

/// RFC 3986 percent-decoding of userinfo (no `+` to space, unlike forms);
/// a `%` not followed by two hex digits stays as it is.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests;
