//! Zaqar's before-hooks, in Zaqar's order, as one extractor: content type,
//! `Accept`, `Client-ID`, then project. Handlers that take a `RequestContext`
//! first see only requests that passed all of them.
use std::future::{ready, Ready};

use actix_web::http::header;
use actix_web::{dev::Payload, FromRequest, HttpRequest};

use crate::domain::{ClientId, ProjectId, QueueName};
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct RequestContext {
    pub project: ProjectId,
    pub client_id: ClientId,
}

impl FromRequest for RequestContext {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(check_request(req))
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

    let raw_project = header_str(req, "x-project-id")
        .or_else(|| header_str(req, "x-tenant-id"))
        .or_else(|| header_str(req, "x-tenant"));
    let project = match raw_project.map(str::trim) {
        None => return Err(ApiError::bad_request("Project-Id Missing", "The header X-PROJECT-ID was missing")),
        Some("") => {
            return Err(ApiError::bad_request(
                "Empty project header not allowed",
                "X-PROJECT-ID cannot be an empty string. Specify the right header X-PROJECT-ID and retry.",
            ))
        }
        Some(raw) => ProjectId::parse(raw).ok_or_else(invalid_identification)?,
    };

    Ok(RequestContext { project, client_id })
}

fn invalid_identification() -> ApiError {
    ApiError::bad_request(
        "Invalid queue identification",
        "The format of the submitted queue name or project id is not valid.",
    )
}

/// Parses the `{queue_name}` path segment (Zaqar's last before-hook).
pub fn queue_name(raw: &str) -> Result<QueueName, ApiError> {
    QueueName::parse(raw).ok_or_else(invalid_identification)
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
