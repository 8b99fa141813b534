//! Bounce intake and its audit trail: `POST /v2/bounces` (a `*` admin in
//! token mode) takes one raw message (a DSN or an ARF report),
//! `GET /v2/bounces` lists what came in, `GET /v2/bounces/{id}` shows one
//! with the raw report. A project's admin sees its own project's bounces
//! only; a `*` admin sees every one, unmatched reports included.
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::authorize::Granted;
use super::body;
use super::context::check_content_negotiation;
use super::openapi::schemas;
use super::params::Params;
use super::state::AppState;
use crate::config::AuthMode;
use crate::domain::bounce_report;
use crate::domain::limits::{DEFAULT_PER_PAGE, MAX_PER_PAGE};
use crate::error::{ApiError, ApiResult};
use crate::service::bounces;
use crate::store::entities::bounce;

/// A DSN returns the original message; a few MiB is plenty.
const MAX_REPORT: usize = 4 * 1024 * 1024;

fn bounce_json(row: &bounce::Model, with_raw: bool) -> Value {
    let mut out = json!({
        "id": row.id,
        "href": format!("/v2/bounces/{}", row.id),
        "received": crate::clock::iso8601(row.received_at),
        "kind": row.kind,
        "classification": row.classification,
        "project": row.project,
        "delivery_id": row.delivery_id.map(|id| id.to_string()),
        "details": serde_json::from_str::<Value>(&row.details).unwrap_or(Value::Null),
    });
    if with_raw {
        out["raw"] = json!(row.raw);
    }
    out
}

#[utoipa::path(
    post,
    path = "/v2/bounces",
    tag = "bounces",
    summary = "Take in a bounce (RFC 3464 DSN or RFC 5965 ARF, raw; admin of *)",
    params(
        ("recipient" = Option<String>, Query, description = "The address the MTA received it for (carries the VERP token)"),
    ),
    request_body(content = String, content_type = "message/rfc822"),
    responses(
        (status = 201, description = "Recorded (and acted on when it matched a delivery)", body = schemas::Bounce),
    ),
)]
pub async fn post(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    check_content_negotiation(&req)?;
    let raw = body::read(&req, payload, MAX_REPORT, || {
        ApiError::bad_body(format!(
            "A bounce may be at most {} MiB.",
            MAX_REPORT / 1024 / 1024
        ))
    })
    .await?;
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_body(
            "Request body can not be empty: send the bounce message as it arrived (message/rfc822).",
        ));
    }
    if let Err(why) = bounce_report::parse(&raw) {
        return Err(ApiError::invalid(format!("{why}.")));
    }
    let params = Params::parse(req.query_string());
    let processed = bounces::intake(
        &state.db,
        &bounces::Settings {
            bounce_address: state.settings.bounce_address.as_deref(),
            soft_bounce_limit: state.settings.soft_bounce_limit,
        },
        &raw,
        params.str("recipient"),
        state.now(),
    )
    .await?;
    tracing::info!("{}", bounces::summary(&processed.row));
    Ok(HttpResponse::Created().json(bounce_json(&processed.row, false)))
}

/// Which project's bounces the caller may read: `Ok(None)` is every
/// bounce (a `*` admin, or no authentication), `Ok(Some(p))` only
/// project `p`'s (a project's admin; the token decides, and a `?project=`
/// naming another project is a 403).
fn visible_project(
    state: &AppState,
    req: &HttpRequest,
    asked: Option<&str>,
) -> ApiResult<Option<String>> {
    let granted = req.extensions().get::<Granted>().cloned();
    match granted {
        Some(Granted {
            project: Some(mine),
            ..
        }) => match asked {
            Some(other) if other != mine.as_str() => Err(ApiError::forbidden(
                "Forbidden",
                "A project's token reads its own project's bounces only.",
            )),
            _ => Ok(Some(mine.as_str().to_string())),
        },
        Some(Granted { project: None, .. }) => Ok(asked.map(String::from)),
        // No token was checked: fine without authentication; otherwise
        // (a pre-signed URL) not for the audit trail.
        None if state.settings.auth_mode() == AuthMode::None => Ok(asked.map(String::from)),
        None => Err(ApiError::forbidden(
            "Forbidden",
            "The bounce audit trail needs an admin token.",
        )),
    }
}

#[utoipa::path(
    get,
    path = "/v2/bounces",
    tag = "bounces",
    summary = "The bounce audit trail (a project's admin: its own)",
    params(
        ("limit" = Option<i64>, Query, description = "Items per page (1 to 20)"),
        ("marker" = Option<String>, Query, description = "Where the previous page ended (its `next` link carries it)"),
        ("project" = Option<String>, Query, description = "Only this project's"),
    ),
    responses(
        (status = 200, description = "Newest first", body = schemas::BounceList),
    ),
)]
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    check_content_negotiation(&req)?;
    let params = Params::parse(req.query_string());
    let limit = params.limit(DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
    let project = visible_project(&state, &req, params.str("project"))?;
    let project = project.as_deref();
    let rows = bounces::list(&state.db, project, params.str("marker"), limit as u64).await?;
    let links = match rows.last() {
        Some(last) if rows.len() as i64 == limit => {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            query
                .append_pair("marker", &last.id)
                .append_pair("limit", &limit.to_string());
            if let Some(project) = project {
                query.append_pair("project", project);
            }
            json!([{"rel": "next", "href": format!("/v2/bounces?{}", query.finish())}])
        }
        _ => json!([]),
    };
    let items: Vec<Value> = rows.iter().map(|r| bounce_json(r, false)).collect();
    Ok(HttpResponse::Ok().json(json!({"bounces": items, "links": links})))
}

#[utoipa::path(
    get,
    path = "/v2/bounces/{bounce_id}",
    tag = "bounces",
    summary = "One bounce with its raw report",
    params(
        ("bounce_id" = String, Path, description = "The bounce id"),
    ),
    responses(
        (status = 200, description = "The bounce", body = schemas::Bounce),
    ),
)]
pub async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    check_content_negotiation(&req)?;
    let visible = visible_project(&state, &req, None)?;
    let row = bounces::get(&state.db, &path)
        .await?
        .filter(|row| visible.is_none() || row.project == visible);
    match row {
        Some(row) => Ok(HttpResponse::Ok().json(bounce_json(&row, true))),
        None => Err(ApiError::not_found(format!(
            "Bounce {} does not exist",
            path.as_str()
        ))),
    }
}
