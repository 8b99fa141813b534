//! Claims: create (claim up to `limit` free messages), get, update, release.
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::body;
use super::context::RequestContext;
use super::messages::format_message;
use super::openapi::schemas;
use super::params::Params;
use super::state::AppState;
use crate::domain::limits::*;
use crate::domain::QueueName;
use crate::error::{ApiError, ApiResult};
use crate::service::claims::{self, ClaimError, ClaimTerms};
use crate::store;

const CLAIM_BODY_LIMIT: usize = 64 * 1024;

fn too_large() -> ApiError {
    ApiError::bad_body("Request body is too large.")
}

/// `{"ttl","grace"}` with defaults for absent fields; explicit nulls and
/// non-integers are refused as Zaqar's sanitizer does.
fn ttl_and_grace(doc: Option<Value>) -> ApiResult<(i64, i64)> {
    let map = match doc {
        None => Map::new(),
        Some(v) => body::expect_object(v)?,
    };
    let ttl = body::int_field(&map, "ttl")?.unwrap_or(DEFAULT_CLAIM_TTL);
    let grace = body::int_field(&map, "grace")?.unwrap_or(DEFAULT_CLAIM_GRACE);
    Ok((ttl, grace))
}

fn claim_not_found(id: &str, queue: &QueueName, ctx: &RequestContext) -> ApiError {
    ApiError::not_found(format!(
        "Claim {id} does not exist in queue {queue} for project {}",
        ctx.project.as_str()
    ))
}

fn check_ttl(ttl: i64) -> ApiResult<()> {
    if !(MIN_CLAIM_TTL..=MAX_CLAIM_TTL).contains(&ttl) {
        return Err(ApiError::invalid(format!(
            "The TTL for a claim may not exceed {MAX_CLAIM_TTL} seconds, and must be at least {MIN_CLAIM_TTL} seconds long."
        )));
    }
    Ok(())
}

#[utoipa::path(
    post,
    path = "/v2/queues/{queue}/claims",
    tag = "claims",
    summary = "Claim messages",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("limit" = Option<i64>, Query, description = "How many to claim (1 to 20)"),
    ),
    request_body(content = schemas::ClaimRequest),
    responses(
        (status = 201, description = "The claimed messages", body = schemas::MessageList),
        (status = 204, description = "Nothing to claim"),
    ),
)]
#[tracing::instrument(skip_all, fields(queue = %path))]
pub async fn create(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let name = ctx.queue_name(&path)?;
    let params = Params::parse(req.query_string());
    let limit = match params.int("limit")? {
        None => DEFAULT_CLAIM_LIMIT,
        Some(n) if (1..=MAX_MESSAGES_PER_CLAIM_OR_POP).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::invalid(format!(
            "Limit must be at least 1 and may not be greater than {MAX_MESSAGES_PER_CLAIM_OR_POP}."
        )))
        }
    };
    let raw = body::read(&req, payload, CLAIM_BODY_LIMIT, too_large).await?;
    let (ttl, grace) = ttl_and_grace(body::parse_json(&raw)?)?;
    check_ttl(ttl)?;
    if !(MIN_CLAIM_GRACE..=MAX_CLAIM_GRACE).contains(&grace) {
        return Err(ApiError::invalid(format!(
            "The grace for a claim may not exceed {MAX_CLAIM_GRACE} seconds, and must be at least {MIN_CLAIM_GRACE} seconds long."
        )));
    }

    let now = state.now();
    let terms = ClaimTerms {
        limit: limit as u64,
        ttl,
        grace,
    };
    let outcome = claims::create(
        &state.db,
        &state.fanout_targets,
        &state.keys,
        &ctx.project,
        &name,
        terms,
        now,
    )
    .await?;
    if outcome.fanned_out {
        state.fanouts_ready.notify_one();
    }
    let Some(claimed) = outcome.claimed else {
        return Ok(HttpResponse::NoContent().finish());
    };
    let claim_id = &claimed.id;
    let messages: Vec<Value> = claimed
        .messages
        .iter()
        .map(|m| format_message(&state.keys, &name, m, now))
        .collect();
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/v2/queues/{name}/claims/{claim_id}"),
        ))
        .json(json!({"messages": messages})))
}

#[utoipa::path(
    get,
    path = "/v2/queues/{queue}/claims/{claim_id}",
    tag = "claims",
    summary = "A claim",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("claim_id" = String, Path, description = "The claim id"),
    ),
    responses(
        (status = 200, description = "The claim", body = schemas::Claim),
    ),
)]
pub async fn get(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (queue, id) = path.into_inner();
    let name = ctx.queue_name(&queue)?;
    let now = state.now();
    let claim = store::claims::get_live(&state.db, &ctx.project, &name, &id, now)
        .await?
        .ok_or_else(|| claim_not_found(&id, &name, &ctx))?;
    let messages = store::messages::claimed_by(&state.db, &id, now).await?;
    let messages: Vec<Value> = messages
        .iter()
        .map(|m| format_message(&state.keys, &name, m, now))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "age": (now - claim.created_at).max(0) / 1000,
        "ttl": claim.ttl,
        "messages": messages,
        "href": format!("/v2/queues/{name}/claims/{id}"),
    })))
}

#[utoipa::path(
    patch,
    path = "/v2/queues/{queue}/claims/{claim_id}",
    tag = "claims",
    summary = "Renew a claim",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("claim_id" = String, Path, description = "The claim id"),
    ),
    request_body(content = schemas::ClaimRequest),
    responses(
        (status = 204, description = "Renewed"),
    ),
)]
#[tracing::instrument(skip_all, fields(queue = %path.0))]
pub async fn update(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let (queue, id) = (path.0.clone(), path.1.clone());
    let name = ctx.queue_name(&queue)?;
    let raw = body::read(&req, payload, CLAIM_BODY_LIMIT, too_large).await?;
    // Unlike create, an update needs a body (Zaqar deserializes it
    // unconditionally); `{}` means the defaults.
    let (ttl, grace) = ttl_and_grace(Some(body::require_json(&req, &raw)?))?;
    check_ttl(ttl)?;
    let grace = grace.max(0);
    let now = state.now();
    claims::update(&state.db, &ctx.project, &name, &id, ttl, grace, now)
        .await
        .map_err(|err| match err {
            ClaimError::NotFound => claim_not_found(&id, &name, &ctx),
            ClaimError::Db(err) => err.into(),
        })?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    delete,
    path = "/v2/queues/{queue}/claims/{claim_id}",
    tag = "claims",
    summary = "Release a claim",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("claim_id" = String, Path, description = "The claim id"),
    ),
    responses(
        (status = 204, description = "Released"),
    ),
)]
#[tracing::instrument(skip_all, fields(queue = %path.0))]
pub async fn release(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (queue, id) = (path.0.clone(), path.1.clone());
    let name = ctx.queue_name(&queue)?;
    claims::release(&state.db, &ctx.project, &name, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
