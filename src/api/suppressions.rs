//! The suppression lists (a tidings extension beside the Zaqar routes):
//! `/v2/suppressions` for the request's project and `/v2/server/suppressions`
//! for the server-wide list (a `*` admin token in token mode).
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::body;
use super::context::{check_content_negotiation, RequestContext};
use super::openapi::schemas;
use super::params::Params;
use super::state::AppState;
use crate::domain::iso_time;
use crate::domain::limits::{DEFAULT_PER_PAGE, MAX_PER_PAGE};
use crate::domain::suppression::{parse_address, SuppressionReason, SuppressionScope};
use crate::error::{ApiError, ApiResult};
use crate::service::suppressions::{self, Entry};
use crate::store::entities::suppression;

/// What a path segment must escape of an address (`/`, `?`, `#`, `%`
/// and the rest of atext); the usual characters stay readable.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'+')
    .remove(b'@');

/// Room for a bare `{"reason": ..., "expires": ...}` and nothing silly.
const MAX_BODY: usize = 4096;

fn base(scope: &SuppressionScope) -> &'static str {
    match scope {
        SuppressionScope::Project(_) => "/v2/suppressions",
        SuppressionScope::Server => "/v2/server/suppressions",
    }
}

fn entry_json(scope: &SuppressionScope, row: &suppression::Model) -> Value {
    let href = format!(
        "{}/{}",
        base(scope),
        percent_encoding::utf8_percent_encode(&row.address, SEGMENT)
    );
    json!({
        "address": row.address,
        "reason": row.reason,
        "created": crate::clock::iso8601(row.created_at),
        "expires": row.expires_at.map(crate::clock::iso8601),
        "source": row.source,
        "scope": match scope { SuppressionScope::Project(_) => "project", SuppressionScope::Server => "server" },
        "href": href,
    })
}

fn project_scope(ctx: &RequestContext) -> SuppressionScope {
    SuppressionScope::Project(ctx.project.as_str().to_string())
}

fn address(raw: &str) -> ApiResult<String> {
    parse_address(raw).map_err(ApiError::invalid)
}

#[utoipa::path(
    get,
    path = "/v2/suppressions",
    tag = "suppressions",
    summary = "The project's suppression list",
    params(
        ("limit" = Option<i64>, Query, description = "Items per page (1 to 20)"),
        ("marker" = Option<String>, Query, description = "Where the previous page ended (its `next` link carries it)"),
    ),
    responses(
        (status = 200, description = "A page of entries", body = schemas::SuppressionList),
    ),
)]
pub async fn list(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    list_scope(&state, project_scope(&ctx), &req).await
}

#[utoipa::path(
    get,
    path = "/v2/server/suppressions",
    tag = "suppressions",
    summary = "The server-wide suppression list (admin of *)",
    params(
        ("limit" = Option<i64>, Query, description = "Items per page (1 to 20)"),
        ("marker" = Option<String>, Query, description = "Where the previous page ended (its `next` link carries it)"),
    ),
    responses(
        (status = 200, description = "A page of entries", body = schemas::SuppressionList),
    ),
)]
pub async fn server_list(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    check_content_negotiation(&req)?;
    list_scope(&state, SuppressionScope::Server, &req).await
}

async fn list_scope(
    state: &AppState,
    scope: SuppressionScope,
    req: &HttpRequest,
) -> ApiResult<HttpResponse> {
    let params = Params::parse(req.query_string());
    let limit = params.limit(DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
    let marker = params.str("marker");
    let rows = suppressions::list(&state.db, &scope, marker, limit as u64, state.now()).await?;
    let links = match rows.last() {
        Some(last) if rows.len() as i64 == limit => {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("marker", &last.address)
                .append_pair("limit", &limit.to_string())
                .finish();
            json!([{"rel": "next", "href": format!("{}?{query}", base(&scope))}])
        }
        _ => json!([]),
    };
    let items: Vec<Value> = rows.iter().map(|r| entry_json(&scope, r)).collect();
    Ok(HttpResponse::Ok().json(json!({"suppressions": items, "links": links})))
}

#[utoipa::path(
    get,
    path = "/v2/suppressions/{address}",
    tag = "suppressions",
    summary = "One entry of the project's list",
    params(
        ("address" = String, Path, description = "An email address (the domain part compares in any letter case)", example = "ann@example.com"),
    ),
    responses(
        (status = 200, description = "The entry", body = schemas::Suppression),
    ),
)]
pub async fn get(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    get_scope(&state, project_scope(&ctx), &path).await
}

#[utoipa::path(
    get,
    path = "/v2/server/suppressions/{address}",
    tag = "suppressions",
    summary = "One entry of the server-wide list",
    params(
        ("address" = String, Path, description = "An email address (the domain part compares in any letter case)", example = "ann@example.com"),
    ),
    responses(
        (status = 200, description = "The entry", body = schemas::Suppression),
    ),
)]
pub async fn server_get(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    check_content_negotiation(&req)?;
    get_scope(&state, SuppressionScope::Server, &path).await
}

async fn get_scope(
    state: &AppState,
    scope: SuppressionScope,
    raw: &str,
) -> ApiResult<HttpResponse> {
    let address = address(raw)?;
    match suppressions::get(&state.db, &scope, &address, state.now()).await? {
        Some(row) => Ok(HttpResponse::Ok().json(entry_json(&scope, &row))),
        None => Err(not_suppressed()),
    }
}

fn not_suppressed() -> ApiError {
    ApiError::not_found("The address is not on the suppression list.")
}

#[utoipa::path(
    put,
    path = "/v2/suppressions/{address}",
    tag = "suppressions",
    summary = "Suppress an address in the project",
    params(
        ("address" = String, Path, description = "An email address (the domain part compares in any letter case)", example = "ann@example.com"),
    ),
    request_body(content = schemas::SuppressionRequest),
    responses(
        (status = 200, description = "Replaced", body = schemas::Suppression),
        (status = 201, description = "Suppressed", body = schemas::Suppression),
    ),
)]
pub async fn put(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    put_scope(&state, project_scope(&ctx), &req, &path, payload).await
}

#[utoipa::path(
    put,
    path = "/v2/server/suppressions/{address}",
    tag = "suppressions",
    summary = "Suppress an address everywhere",
    params(
        ("address" = String, Path, description = "An email address (the domain part compares in any letter case)", example = "ann@example.com"),
    ),
    request_body(content = schemas::SuppressionRequest),
    responses(
        (status = 200, description = "Replaced", body = schemas::Suppression),
        (status = 201, description = "Suppressed", body = schemas::Suppression),
    ),
)]
pub async fn server_put(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    check_content_negotiation(&req)?;
    put_scope(&state, SuppressionScope::Server, &req, &path, payload).await
}

async fn put_scope(
    state: &AppState,
    scope: SuppressionScope,
    req: &HttpRequest,
    raw: &str,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let address = address(raw)?;
    let bytes = body::read(req, payload, MAX_BODY, || {
        ApiError::bad_body(format!("The request body may be at most {MAX_BODY} bytes."))
    })
    .await?;
    let doc = match body::parse_json(&bytes)? {
        None => Map::new(),
        Some(value) => body::expect_object(value)?,
    };
    let now = state.now();
    let (reason, expires_at) = entry_fields(&doc, now)?;
    let existed = suppressions::get(&state.db, &scope, &address, now)
        .await?
        .is_some();
    let row = suppressions::suppress(
        &state.db,
        Entry {
            scope: scope.clone(),
            address,
            reason,
            expires_at,
            source: None,
        },
        now,
    )
    .await?;
    let status = if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(HttpResponse::build(status).json(entry_json(&scope, &row)))
}

/// `reason` (default `manual`) and `expires` (ISO 8601, in the future, or
/// null); any other key is a mistake worth reporting.
fn entry_fields(doc: &Map<String, Value>, now: i64) -> ApiResult<(SuppressionReason, Option<i64>)> {
    if let Some(key) = doc
        .keys()
        .find(|k| !["reason", "expires"].contains(&k.as_str()))
    {
        return Err(ApiError::invalid(format!(
            "Unknown key {key:?}: a suppression takes \"reason\" and \"expires\"."
        )));
    }
    let reasons = SuppressionReason::ALL
        .map(SuppressionReason::as_str)
        .join(", ");
    let reason = match doc.get("reason") {
        None | Some(Value::Null) => SuppressionReason::Manual,
        Some(Value::String(s)) => SuppressionReason::parse(s).ok_or_else(|| {
            ApiError::invalid(format!("reason must be one of {reasons}, not {s:?}."))
        })?,
        Some(_) => {
            return Err(ApiError::invalid(format!(
                "reason must be a string: one of {reasons}."
            )))
        }
    };
    let expires_at = match doc.get("expires") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            let at = iso_time::parse_iso8601(s).ok_or_else(|| {
                ApiError::invalid(format!(
                    "expires must be an ISO 8601 time such as 2030-01-01T00:00:00Z, not {s:?}."
                ))
            })?;
            if at <= now {
                return Err(ApiError::invalid("expires must be in the future."));
            }
            Some(at)
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "expires must be an ISO 8601 time such as 2030-01-01T00:00:00Z, or null.",
            ))
        }
    };
    Ok((reason, expires_at))
}

#[utoipa::path(
    delete,
    path = "/v2/suppressions/{address}",
    tag = "suppressions",
    summary = "Lift a suppression",
    params(
        ("address" = String, Path, description = "An email address (the domain part compares in any letter case)", example = "ann@example.com"),
    ),
    responses(
        (status = 204, description = "Lifted"),
    ),
)]
pub async fn delete(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    delete_scope(&state, project_scope(&ctx), &path).await
}

#[utoipa::path(
    delete,
    path = "/v2/server/suppressions/{address}",
    tag = "suppressions",
    summary = "Lift a server-wide suppression",
    params(
        ("address" = String, Path, description = "An email address (the domain part compares in any letter case)", example = "ann@example.com"),
    ),
    responses(
        (status = 204, description = "Lifted"),
    ),
)]
pub async fn server_delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    check_content_negotiation(&req)?;
    delete_scope(&state, SuppressionScope::Server, &path).await
}

async fn delete_scope(
    state: &AppState,
    scope: SuppressionScope,
    raw: &str,
) -> ApiResult<HttpResponse> {
    let address = address(raw)?;
    if suppressions::unsuppress(&state.db, &scope, &address).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(not_suppressed())
    }
}
