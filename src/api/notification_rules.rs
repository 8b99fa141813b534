//! The Providence notification-rule API (seed 004), a facade over
//! alert-mode subscriptions: `POST /api/notificationRules` (201), `GET`
//! the list (200), and `GET` (200), `PUT` (204), `DELETE` (202)
//! `/api/notificationRules/{id}`. Scoped by `X-Project-Id` like `/v2`;
//! no `Client-ID` is asked for (Providence clients send none). Errors are
//! JSON (`{"title", "description"}`): 400 for a bad payload or id, 404
//! for an unknown rule or environment.
use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde_json::Value;

use super::authorize::Granted;
use super::body;
use super::context::check_content_negotiation;
use super::state::AppState;
use crate::alerts::providence::RuleSpec;
use crate::domain::ProjectId;
use crate::error::{ApiError, ApiResult};
use crate::service::notification_rules::{self as service, RuleError};

const COLLECTION: &str = "/api/notificationRules";
/// Rule bodies are small; anything bigger is a mistake or abuse.
const MAX_RULE_BODY: usize = 64 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(COLLECTION)
            .route(web::post().to(create))
            .route(web::get().to(list))
            .default_service(web::to(|| not_allowed("GET, POST"))),
    )
    .service(
        web::resource(format!("{COLLECTION}/{{id}}"))
            .route(web::get().to(get))
            .route(web::put().to(update))
            .route(web::delete().to(delete))
            .default_service(web::to(|| not_allowed("DELETE, GET, PUT"))),
    );
}

async fn not_allowed(allow: &'static str) -> ApiResult<HttpResponse> {
    Err(ApiError::MethodNotAllowed { allow })
}

fn service_error(err: RuleError) -> ApiError {
    match err {
        RuleError::NotFound(why) => ApiError::not_found(why),
        RuleError::Invalid(why) => ApiError::invalid(why),
        RuleError::ConfirmationsCapped { retry_after } => ApiError::TooManyRequests {
            description: "An address has been sent as many confirmation emails as it may get in an hour; nothing was changed. Try again later.",
            retry_after,
        },
        RuleError::Db(err) => ApiError::Unexpected(err.into()),
    }
}

/// The project, as `/v2` reads it (`X-Project-Id`).
fn project(req: &HttpRequest) -> ApiResult<ProjectId> {
    check_content_negotiation(req)?;
    // In token mode the token decides the project (see `authorize`).
    if let Some(project) = req
        .extensions()
        .get::<Granted>()
        .and_then(|g| g.project.clone())
    {
        return Ok(project);
    }
    let raw = ["x-project-id", "x-tenant-id", "x-tenant"]
        .iter()
        .find_map(|name| req.headers().get(*name))
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    match raw {
        None => Err(ApiError::bad_request(
            "Project-Id Missing",
            "The header X-PROJECT-ID was missing",
        )),
        Some("") => Err(ApiError::bad_request(
            "Empty project header not allowed",
            "X-PROJECT-ID cannot be an empty string.",
        )),
        Some(raw) => ProjectId::parse(raw).ok_or_else(|| {
            ApiError::bad_request(
                "Invalid project identification",
                "The format of the submitted project id is not valid.",
            )
        }),
    }
}

/// Rule ids are UUIDs; anything else is a bad URL (400), not a missing rule.
fn rule_id(raw: &str) -> ApiResult<String> {
    uuid::Uuid::parse_str(raw)
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| ApiError::invalid(format!("{raw:?} is not a notification rule id (a UUID).")))
}

async fn spec(req: &HttpRequest, payload: web::Payload) -> ApiResult<RuleSpec> {
    let too_large =
        || ApiError::invalid(format!("The rule is too large. Max size: {MAX_RULE_BODY}"));
    let raw = body::read(req, payload, MAX_RULE_BODY, too_large).await?;
    let doc = body::parse_json(&raw)?.unwrap_or(Value::Null);
    RuleSpec::parse(&doc).map_err(ApiError::invalid)
}

#[tracing::instrument(skip_all)]
async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let project = project(&req)?;
    let spec = spec(&req, payload).await?;
    let rule = service::create(&state.deps(), &project, spec)
        .await
        .map_err(service_error)?;
    let location = format!("{COLLECTION}/{}", rule["id"].as_str().unwrap_or_default());
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(rule))
}

#[tracing::instrument(skip_all)]
async fn list(req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let project = project(&req)?;
    let rules = service::list(&state.deps(), &project)
        .await
        .map_err(service_error)?;
    Ok(HttpResponse::Ok().json(rules))
}

#[tracing::instrument(skip_all)]
async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let project = project(&req)?;
    let id = rule_id(&path)?;
    let rule = service::get(&state.deps(), &project, &id)
        .await
        .map_err(service_error)?;
    Ok(HttpResponse::Ok().json(rule))
}

#[tracing::instrument(skip_all)]
async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let project = project(&req)?;
    let id = rule_id(&path)?;
    let spec = spec(&req, payload).await?;
    service::update(&state.deps(), &project, &id, spec)
        .await
        .map_err(service_error)?;
    Ok(HttpResponse::NoContent().finish())
}

#[tracing::instrument(skip_all)]
async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let project = project(&req)?;
    let id = rule_id(&path)?;
    service::delete(&state.deps(), &project, &id)
        .await
        .map_err(service_error)?;
    Ok(HttpResponse::Accepted().finish())
}
