//! Zaqar's before-hooks, in Zaqar's order, as one extractor: content type,
//! `Accept`, `Client-ID`, then project. Handlers that take a `RequestContext`
//! first see only requests that passed all of them.
use std::future::{ready, Ready};

use actix_web::http::header;
use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};

use super::authorize::Granted;
use super::state::AppState;
use crate::domain::signed_url;
use crate::domain::{ClientId, Namespace, ProjectId, QueueName};
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct RequestContext {
    pub project: ProjectId,
    pub client_id: ClientId,
    /// Queues or topics: which of Zaqar's two namespaces the path is in.
    pub namespace: Namespace,
}

impl FromRequest for RequestContext {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(check_request(req))
    }
}

impl RequestContext {
    /// The same checks for handlers that first decide whether the request
    /// is an API call at all (the confirmation link shares a path with the
    /// subscription list).
    pub fn from_http(req: &HttpRequest) -> Result<RequestContext, ApiError> {
        check_request(req)
    }

    /// Parses the `{queue}` path segment in the request's namespace (Zaqar's
    /// last before-hook): a queue name under `/v2/queues`, a topic name
    /// under `/v2/topics`.
    pub fn queue_name(&self, raw: &str) -> Result<QueueName, ApiError> {
        name_in(self.namespace, raw)
    }
}

fn header_str<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Rejects form-encoded bodies and `Accept` headers that exclude JSON: the
/// hooks that run on every path, `/` included.
pub fn check_content_negotiation(req: &HttpRequest) -> Result<(), ApiError> {
    let has_body = header_str(req, "content-length")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0)
        > 0
        || req.headers().contains_key(header::TRANSFER_ENCODING);
    let form = header_str(req, "content-type")
        .map(|ct| {
            ct.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
        .unwrap_or(false);
    if has_body && form {
        return Err(ApiError::bad_request(
            "Invalid Content-Type",
            "Endpoint does not accept `application/x-www-form-urlencoded` content; currently supported media type is `application/json`; specify proper client-side media type with the \"Content-Type\" header.",
        ));
    }
    if let Some(accept) = header_str(req, "accept") {
        if !accepts_json(accept) {
            return Err(ApiError::not_acceptable());
        }
    }
    Ok(())
}

fn accepts_json(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let media = part
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        media.is_empty() || matches!(media.as_str(), "*/*" | "application/*" | "application/json")
    })
}

fn check_request(req: &HttpRequest) -> Result<RequestContext, ApiError> {
    let namespace = Namespace::of_path(req.path());
    check_pre_signed(req)?;
    check_content_negotiation(req)?;

    let client_id = match header_str(req, "client-id") {
        None => {
            return Err(ApiError::bad_request(
                "Missing header value",
                "The \"Client-Id\" header is required.",
            ));
        }
        Some(raw) => ClientId::parse(raw.trim()).ok_or_else(|| {
            ApiError::bad_request("Wrong UUID value", "Malformed hexadecimal UUID.")
        })?,
    };

    // In token mode the token decides the project (`authorize` has
    // refused a header that names another one).
    let granted = req
        .extensions()
        .get::<Granted>()
        .and_then(|g| g.project.clone());
    if let Some(project) = granted {
        return Ok(RequestContext {
            project,
            client_id,
            namespace,
        });
    }
    let project = match raw_project(req).map(str::trim) {
        None => return Err(ApiError::bad_request("Project-Id Missing", "The header X-PROJECT-ID was missing")),
        Some("") => {
            return Err(ApiError::bad_request(
                "Empty project header not allowed",
                "X-PROJECT-ID cannot be an empty string. Specify the right header X-PROJECT-ID and retry.",
            ))
        }
        Some(raw) => ProjectId::parse(raw).ok_or_else(|| invalid_identification(namespace))?,
    };

    Ok(RequestContext {
        project,
        client_id,
        namespace,
    })
}

/// The project a request names (`X-Project-Id`, or the older tenant
/// headers Zaqar also reads).
pub(super) fn raw_project(req: &HttpRequest) -> Option<&str> {
    header_str(req, "x-project-id")
        .or_else(|| header_str(req, "x-tenant-id"))
        .or_else(|| header_str(req, "x-tenant"))
}

/// Zaqar's first before-hook: only when `URL-Signature` is present, the
/// request must match a pre-signed URL (zaqar-v2.md §5). Any failure is the
/// bare 404, so a prober learns nothing about which check failed.
///
/// Zaqar matches `URL-Paths` as regular expressions searched in the request
/// path; tidings matches them as plain substrings (no regex meta-characters
/// from a client), which accepts every path Zaqar itself signs.
pub(super) fn check_pre_signed(req: &HttpRequest) -> Result<(), ApiError> {
    let Some(presented) = header_str(req, "url-signature") else {
        return Ok(());
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(ApiError::plain_not_found)?;
    let list = |name: &str| -> Vec<String> {
        header_str(req, name)
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    };
    let methods = list("url-methods");
    let paths = list("url-paths");
    let project = header_str(req, "x-project-id").unwrap_or("");
    let expires = header_str(req, "url-expires").unwrap_or("");
    let method_ok = methods.iter().any(|m| m == req.method().as_str());
    let path_ok = paths.iter().any(|p| req.path().contains(p.as_str()));
    let fresh = signed_url::parse_expires(expires)
        .map(|at| at > state.now())
        .unwrap_or(false);
    if !(method_ok && path_ok && fresh) {
        return Err(ApiError::plain_not_found());
    }
    let expected = signed_url::sign(state.secret.bytes(), &paths, &methods, project, expires);
    if !signed_url::signature_matches(&expected, presented.trim()) {
        return Err(ApiError::plain_not_found());
    }
    Ok(())
}

fn invalid_identification(namespace: Namespace) -> ApiError {
    let word = namespace.word();
    let title = match namespace {
        Namespace::Queue => "Invalid queue identification",
        Namespace::Topic => "Invalid topic identification",
    };
    ApiError::bad_request(
        title,
        format!("The format of the submitted {word} name or project id is not valid."),
    )
}

/// Parses the `{queue_name}` path segment in a namespace (Zaqar's last
/// before-hook).
pub fn name_in(namespace: Namespace, raw: &str) -> Result<QueueName, ApiError> {
    QueueName::parse_in(namespace, raw).ok_or_else(|| invalid_identification(namespace))
}

#[cfg(test)]
mod tests {
    use super::accepts_json;

    #[test]
    fn accept_header_matching() {
        assert!(accepts_json("*/*"));
        assert!(accepts_json("application/json; q=0.9"));
        assert!(accepts_json("text/html, application/*"));
        assert!(!accepts_json("text/html"));
        assert!(!accepts_json("application/xml"));
    }
}
