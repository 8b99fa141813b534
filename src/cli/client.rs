//! The HTTP client of the API: where the server is, who is asking, and the
//! Zaqar headers every request needs. Errors come back as `CliError`s that
//! say what the server said, or which URL could not be reached.
use std::time::Duration;

use clap::Args;
use reqwest::{header, Method};
use serde_json::Value;
use url::Url;

use super::error::{CliError, CliResult};

/// Where the API is and who is asking; flags win over the environment.
#[derive(Args, Debug, Clone)]
pub struct Connection {
    /// Base URL of the tidings API
    #[arg(
        long = "api-url",
        env = "TIDINGS_URL",
        default_value = "http://127.0.0.1:8888",
        value_name = "URL",
        global = true,
        help_heading = "Connection"
    )]
    pub api_url: String,
    /// Project to work in (sent as X-Project-Id)
    #[arg(
        long,
        env = "TIDINGS_PROJECT",
        value_name = "PROJECT",
        global = true,
        help_heading = "Connection"
    )]
    pub project: Option<String>,
    /// API token (sent as X-Auth-Token); prefer the variable, which `ps` does not show
    #[arg(
        long,
        env = "TIDINGS_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN",
        global = true,
        help_heading = "Connection"
    )]
    pub token: Option<String>,
}

/// One answer of the API: its status and its JSON body (`Null` when empty).
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

/// Items gathered over the pages of a list, and whether more were left.
pub struct Pages {
    pub first: Value,
    pub items: Vec<Value>,
    pub truncated: bool,
}

pub struct Client {
    http: reqwest::Client,
    base: Url,
    project: Option<String>,
    token: Option<String>,
    client_id: String,
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

impl Client {
    pub fn new(conn: &Connection) -> CliResult<Client> {
        let base = Url::parse(conn.api_url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                CliError::usage(format!(
                    "--api-url/TIDINGS_URL must be an http(s) URL such as http://127.0.0.1:8888, not {:?}",
                    conn.api_url
                ))
            })?;
        let project = conn.project.clone().filter(|p| !p.is_empty());
        let token = conn.token.clone().filter(|t| !t.is_empty());
        if project.is_none() && token.is_none() {
            return Err(CliError::usage(
                "no project: set TIDINGS_PROJECT or pass --project (every API call belongs to a project)",
            ));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("tidings-cli/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| CliError::other(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            http,
            base,
            project,
            token,
            // One Client-ID per invocation, as python-zaqarclient sends it
            // (32 hex digits, no dashes).
            client_id: uuid::Uuid::new_v4().simple().to_string(),
        })
    }

    /// The URL of an API path given as segments (each percent-encoded),
    /// under the base URL's own path, if it has one.
    pub fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.set_query(None);
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// The URL of a `links[].href` the server returned (a path and query).
    fn link(&self, href: &str) -> Option<Url> {
        let (path, query) = href.split_once('?').unwrap_or((href, ""));
        let mut url = self.base.clone();
        let prefix = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{prefix}{path}"));
        url.set_query(Some(query).filter(|q| !q.is_empty()));
        Some(url).filter(|_| path.starts_with('/'))
    }

    pub async fn call(&self, method: Method, url: Url, body: Option<&Value>) -> CliResult<Reply> {
        let body = body.map(|b| ("application/json", b.to_string()));
        self.call_raw(method, url, body).await
    }

    /// A request with a body of the given content type (metadata PATCH
    /// needs Zaqar's json-patch type).
    pub async fn call_raw(
        &self,
        method: Method,
        url: Url,
        body: Option<(&str, String)>,
    ) -> CliResult<Reply> {
        let shown = display_url(&url);
        let mut request = self
            .http
            .request(method, url)
            .header("Client-ID", &self.client_id)
            .header(header::ACCEPT, "application/json");
        if let Some(project) = &self.project {
            request = request.header("X-Project-Id", project);
        }
        if let Some(token) = &self.token {
            request = request.header("X-Auth-Token", token);
        }
        if let Some((content_type, text)) = body {
            request = request
                .header(header::CONTENT_TYPE, content_type)
                .body(text);
        }
        let response = request.send().await.map_err(|e| transport(&shown, &e))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| transport(&shown, &e))?;
        if status.is_success() {
            let body = if text.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).map_err(|e| {
                    CliError::other(format!("the server's answer to {shown} is not JSON: {e}"))
                })?
            };
            return Ok(Reply {
                status: status.as_u16(),
                body,
            });
        }
        Err(api_error(status, &text))
    }

    pub async fn get(&self, url: Url) -> CliResult<Value> {
        Ok(self.call(Method::GET, url, None).await?.body)
    }

    /// Follows `links[rel=next]` from `first`, gathering `body[key]`, until
    /// a page is short or empty, or `cap` items are in hand.
    pub async fn pages(
        &self,
        method: Method,
        first: Url,
        body: Option<&Value>,
        key: &str,
        page_size: usize,
        cap: Option<usize>,
    ) -> CliResult<Pages> {
        let mut url = first;
        let mut out = Pages {
            first: Value::Null,
            items: Vec::new(),
            truncated: false,
        };
        loop {
            let page = self.call(method.clone(), url.clone(), body).await?.body;
            let items = page
                .get(key)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let next = next_link(&page).and_then(|href| self.link(&href));
            if out.first.is_null() {
                out.first = page;
            }
            let full = items.len() >= page_size;
            for item in items {
                if cap.is_some_and(|c| out.items.len() >= c) {
                    out.truncated = true;
                    return Ok(out);
                }
                out.items.push(item);
            }
            match next {
                Some(n) if full && n != url => url = n,
                _ => return Ok(out),
            }
        }
    }
}

fn next_link(page: &Value) -> Option<String> {
    page.get("links")?
        .as_array()?
        .iter()
        .find(|l| l.get("rel").and_then(Value::as_str) == Some("next"))?
        .get("href")?
        .as_str()
        .map(str::to_string)
}

/// The URL as it may be shown: no query, no password.
fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    shown.to_string()
}

fn transport(url: &str, err: &reqwest::Error) -> CliError {
    let mut refused = false;
    let mut deepest = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
        }
        deepest = cause.to_string();
        source = cause.source();
    }
    let reason = if refused {
        "connection refused (is `tidings serve` running there? the URL comes from --api-url or TIDINGS_URL)"
            .to_string()
    } else if err.is_timeout() {
        "timed out".to_string()
    } else {
        deepest
    };
    CliError::Transport {
        url: url.to_string(),
        reason,
    }
}

fn api_error(status: reqwest::StatusCode, text: &str) -> CliError {
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(name))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    match field("title") {
        Some(title) => CliError::Api {
            status: status.as_u16(),
            title,
            description: field("description"),
        },
        // Not a Zaqar error body (a proxy in between, say): show its start.
        None => CliError::Api {
            status: status.as_u16(),
            title: status
                .canonical_reason()
                .unwrap_or("Unexpected answer")
                .to_string(),
            description: Some(text.trim().chars().take(200).collect::<String>())
                .filter(|d| !d.is_empty()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> Client {
        Client::new(&Connection {
            api_url: base.into(),
            project: Some("p".into()),
            token: None,
        })
        .unwrap()
    }

    #[test]
    fn paths_are_encoded_under_the_base_path() {
        let c = client("https://example.com/tidings/");
        assert_eq!(
            c.url(&["v2", "queues", "a b/c"]).as_str(),
            "https://example.com/tidings/v2/queues/a%20b%2Fc"
        );
        let c = client("http://127.0.0.1:8888");
        assert_eq!(
            c.url(&["v2", "queues"]).as_str(),
            "http://127.0.0.1:8888/v2/queues"
        );
    }

    #[test]
    fn next_links_keep_the_base_path() {
        let c = client("https://example.com/tidings");
        assert_eq!(
            c.link("/v2/queues?marker=b&limit=20").unwrap().as_str(),
            "https://example.com/tidings/v2/queues?marker=b&limit=20"
        );
    }

    #[test]
    fn a_project_or_a_token_is_required_and_the_url_must_be_http() {
        let err = Client::new(&Connection {
            api_url: "http://127.0.0.1:8888".into(),
            project: None,
            token: None,
        })
        .err()
        .unwrap();
        assert!(matches!(err, CliError::Usage(_)));
        let err = Client::new(&Connection {
            api_url: "ftp://x".into(),
            project: Some("p".into()),
            token: None,
        })
        .err()
        .unwrap();
        assert!(err.to_string().contains("http(s) URL"), "{err}");
    }

    #[test]
    fn non_zaqar_error_bodies_still_read_well() {
        let err = api_error(
            reqwest::StatusCode::BAD_GATEWAY,
            "<html>upstream down</html>",
        );
        assert_eq!(
            err.to_string(),
            "Bad Gateway: <html>upstream down</html> (HTTP 502)"
        );
    }
}
