//! `POST /v2/queues/{q}/share`: Zaqar's pre-signed URL generator (§5),
//! signing with the same key that verifies them.
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::body;
use super::context::{queue_name, RequestContext};
use super::state::AppState;
use crate::domain::signed_url;
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

pub async fn share(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let queue = queue_name(&path)?;
    let raw = body::read(&req, payload, 64 * 1024, || {
        ApiError::invalid("Request body is too large.")
    })
    .await?;
    let doc = match body::parse_json(&raw)? {
        None => serde_json::Map::new(),
        Some(v) => body::expect_object(v)?,
    };
    if let Some(key) = doc
        .keys()
        .find(|k| !matches!(k.as_str(), "paths" | "methods" | "expires"))
    {
        return Err(ApiError::invalid(format!("Invalid key: {key}.")));
    }
    let mut paths = Vec::new();
    for p in string_list(&doc, "paths")?.unwrap_or_else(|| vec!["messages".into()]) {
        if !RESOURCES.contains(&p.as_str()) {
            return Err(ApiError::invalid(format!(
                "Invalid paths: must be a subset of {RESOURCES:?}."
            )));
        }
        paths.push(format!("/v2/queues/{queue}/{p}"));
    }
    let mut methods = string_list(&doc, "methods")?.unwrap_or_else(|| vec!["GET".into()]);
    for m in &methods {
        if !METHODS.contains(&m.as_str()) {
            return Err(ApiError::invalid(format!(
                "Invalid methods: must be a subset of {METHODS:?}."
            )));
        }
    }
    let now = state.now();
    let expires = match doc.get("expires") {
        None | Some(Value::Null) => signed_url::format_expires(now + DEFAULT_EXPIRY_MS),
        Some(Value::String(s)) => match signed_url::parse_expires(s) {
            Some(at) if at > now => s.clone(),
            Some(_) => return Err(ApiError::invalid("Expiration date must be in the future.")),
            None => {
                return Err(ApiError::invalid(
                    "Expiration must be formatted as %Y-%m-%dT%H:%M:%S.",
                ))
            }
        },
        Some(_) => {
            return Err(ApiError::invalid(
                "Expiration must be formatted as %Y-%m-%dT%H:%M:%S.",
            ))
        }
    };
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
