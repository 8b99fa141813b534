//! `POST /v2/queues/{q}/share`: Zaqar's pre-signed URL generator (§5),
//! signing with the same key that verifies them.
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::body;
use super::context::RequestContext;
use super::openapi::schemas;
use super::state::AppState;
use crate::domain::{iso_time, signed_url};
use crate::error::{ApiError, ApiResult};

const RESOURCES: [&str; 3] = ["messages", "subscriptions", "claims"];
const METHODS: [&str; 6] = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE"];
const DEFAULT_EXPIRY_MS: i64 = 86_400 * 1000;

fn string_list(doc: &serde_json::Map<String, Value>, key: &str) -> ApiResult<Option<Vec<String>>> {
    match doc.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(String::from)
                    .ok_or_else(|| ApiError::invalid(format!("{key} must be a list of strings.")))
            })
            .collect::<ApiResult<Vec<_>>>()
            .map(Some),
        Some(_) => Err(ApiError::invalid(format!(
            "{key} must be a list of strings."
        ))),
    }
}

/// How Zaqar words a set of names in its errors: `{'a', 'b'}`.
fn python_set(items: &[&String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("'{s}'")).collect();
    format!("{{{}}}", quoted.join(", "))
}

/// `expires` as Zaqar's `create_signed_url` takes it: absent means a day
/// from now; any ISO 8601 time in the future, normalised to UTC.
fn expires(value: Option<&Value>, now: i64) -> ApiResult<String> {
    let not_integer = |n: &dyn std::fmt::Display| {
        ApiError::invalid(format!(
            "`expires` should be date format, for example 2016-01-01T00:00:00, not integer value: {n}"
        ))
    };
    let at = match value {
        None | Some(Value::Null) => return Ok(signed_url::format_expires(now + DEFAULT_EXPIRY_MS)),
        Some(Value::Number(n)) => return Err(not_integer(n)),
        Some(Value::String(s)) => {
            if let Ok(n) = s.trim().parse::<i64>() {
                return Err(not_integer(&n));
            }
            iso_time::parse_iso8601(s)
                .ok_or_else(|| ApiError::invalid(format!("Unable to parse date string '{s}'")))?
        }
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "Unable to parse date string '{other}'"
            )))
        }
    };
    if at <= now {
        return Err(ApiError::invalid(
            "`expires` is lower than the current time",
        ));
    }
    Ok(signed_url::format_expires(at))
}

#[utoipa::path(
    post,
    path = "/v2/queues/{queue}/share",
    tag = "queues",
    summary = "A pre-signed URL for a queue",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
    ),
    request_body(content = schemas::Share),
    responses(
        (status = 200, description = "The signature and what it signs", body = Object),
    ),
)]
pub async fn share(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let queue = ctx.queue_name(&path)?;
    let raw = body::read(&req, payload, 64 * 1024, || {
        ApiError::invalid("Request body is too large.")
    })
    .await?;
    let doc = body::expect_object(body::require_json(&req, &raw)?)?;
    let unknown: Vec<&String> = doc
        .keys()
        .filter(|k| !matches!(k.as_str(), "paths" | "methods" | "expires"))
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::invalid(format!(
            "Unknown keys: {}",
            python_set(&unknown)
        )));
    }
    let requested = string_list(&doc, "paths")?.filter(|p| !p.is_empty());
    let requested = requested.unwrap_or_else(|| vec!["messages".into()]);
    let invalid: Vec<&String> = requested
        .iter()
        .filter(|p| !RESOURCES.contains(&p.as_str()))
        .collect();
    if !invalid.is_empty() {
        return Err(ApiError::invalid(format!(
            "Invalid paths: {}",
            python_set(&invalid)
        )));
    }
    let mut paths: Vec<String> = requested
        .iter()
        .map(|p| format!("/v2/queues/{queue}/{p}"))
        .collect();
    let mut methods = string_list(&doc, "methods")?.unwrap_or_else(|| vec!["GET".into()]);
    for m in &methods {
        if !METHODS.contains(&m.as_str()) {
            return Err(ApiError::invalid(format!(
                "Invalid methods: must be a subset of {METHODS:?}."
            )));
        }
    }
    let now = state.now();
    let expires = expires(doc.get("expires"), now)?;
    paths.sort();
    methods.sort();
    let project = ctx.project.as_str();
    let signature = signed_url::sign(state.secret.bytes(), &paths, &methods, project, &expires);
    Ok(HttpResponse::Ok().json(json!({
        "paths": paths,
        "methods": methods,
        "project": project,
        "expires": expires,
        "signature": signature,
    })))
}
