//! Zaqar v2 subscriptions (zaqar-v2.md §1.4). The collection path also
//! serves the emailed confirmation link, which a browser opens without API
//! headers: `collection_get`/`collection_post` dispatch on the link's
//! `confirm_token` before any Zaqar header check.
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::body;
use super::context::RequestContext;
use super::links;
use super::openapi::schemas;
use super::params::Params;
use super::state::AppState;
use crate::domain::limits::{DEFAULT_PER_PAGE, MAX_PER_PAGE};
use crate::domain::masking::{mask_options, mask_password};
use crate::domain::subscription::{NewSubscription, Status, SubscriptionPatch};
use crate::error::{ApiError, ApiResult};
use crate::service::subscriptions::{self as service, SubscriptionError};
use crate::store;
use crate::store::entities::subscription;

/// Subscription bodies are small; anything bigger is a mistake or abuse.
const MAX_SUBSCRIPTION_BODY: usize = 64 * 1024;

fn too_large() -> ApiError {
    ApiError::invalid(format!(
        "Subscription body is too large. Max size: {MAX_SUBSCRIPTION_BODY}"
    ))
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Subscription {id} does not exist"))
}

fn service_error(err: SubscriptionError, id: &str) -> ApiError {
    match err {
        SubscriptionError::NotFound => not_found(id),
        SubscriptionError::Conflict => ApiError::conflict(
            "Such subscription already exists.Subscriptions are unique by project + queue + subscriber URI.",
        ),
        SubscriptionError::Invalid(why) => ApiError::invalid(why),
        SubscriptionError::ConfirmationsCapped { retry_after } => ApiError::TooManyRequests {
            description: "This address has been sent as many confirmation emails as it may get in an hour; nothing was changed. Try again later.",
            retry_after,
        },
        SubscriptionError::Db(err) => err.into(),
    }
}

fn is_form(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            ct.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
        .unwrap_or(false)
}

pub fn to_json(row: &subscription::Model, now: i64) -> Value {
    let options: Value = serde_json::from_str(&row.options).unwrap_or_else(|_| json!({}));
    let options = mask_options(options);
    json!({
        "id": row.id,
        "source": crate::domain::display_name(&row.queue),
        // A password in the URI (basic auth, broker credentials) is never
        // echoed; the rest stays as the subscriber typed it.
        "subscriber": mask_password(&row.subscriber),
        "ttl": row.ttl,
        "age": (now - row.created_at).max(0) / 1000,
        "options": options,
        // Zaqar's `confirmed` means "confirmed by its owner", not "receiving":
        // a webhook that is active without confirmation reads false there,
        // and clients (re-create returns the same id) rely on that.
        "confirmed": Status::parse(&row.status) == Status::Active && row.confirmed_at.is_some(),
        // tidings' own lifecycle state; python-zaqarclient ignores keys it
        // does not know on subscriptions.
        "status": Status::parse(&row.status).as_str(),
    })
}

/// The emailed confirmation link (and its page's form post), which shares
/// the collection path with the API: the link's token is its credential.
pub fn is_link_request(req: &HttpRequest) -> bool {
    req.match_pattern()
        .is_some_and(|p| COLLECTION_PATTERNS.contains(&p.as_str()))
        && (Params::parse(req.query_string()).has("confirm_token")
            || (req.method() == actix_web::http::Method::POST && is_form(req)))
}

const COLLECTION_PATTERNS: [&str; 2] = [
    "/v2/queues/{queue}/subscriptions",
    "/v2/topics/{queue}/subscriptions",
];

#[utoipa::path(
    get,
    path = "/v2/queues/{queue}/subscriptions",
    tag = "subscriptions",
    summary = "List subscriptions",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("limit" = Option<i64>, Query, description = "Items per page (1 to 20)"),
        ("marker" = Option<String>, Query, description = "Where the previous page ended (its `next` link carries it)"),
    ),
    responses(
        (status = 200, description = "A page of subscriptions", body = schemas::SubscriptionList),
    ),
)]
pub async fn collection_get(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    if is_link_request(&req) {
        return Ok(links::show_confirm(&state, &path, &req).await);
    }
    let ctx = RequestContext::from_http(&req)?;
    list(&state, ctx, &path, &req).await
}

#[utoipa::path(
    post,
    path = "/v2/queues/{queue}/subscriptions",
    tag = "subscriptions",
    summary = "Subscribe (a webhook, an email address or an AMQP exchange)",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
    ),
    request_body(content = schemas::SubscriptionRequest),
    responses(
        (status = 201, description = "Subscribed (an email address is sent a confirmation first)", body = schemas::Subscribed),
    ),
)]
pub async fn collection_post(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    // A form post is the confirm page's button; the API never takes forms.
    if is_link_request(&req) {
        return Ok(links::do_confirm(&state, &path, &req, payload).await);
    }
    let ctx = RequestContext::from_http(&req)?;
    create(&state, ctx, &path, &req, payload).await
}

#[tracing::instrument(skip_all, fields(queue = %raw_queue))]
async fn create(
    state: &AppState,
    ctx: RequestContext,
    raw_queue: &str,
    req: &HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let queue = ctx.queue_name(raw_queue)?;
    let raw = body::read(req, payload, MAX_SUBSCRIPTION_BODY, too_large).await?;
    let doc = match body::parse_json(&raw)? {
        None => return Err(ApiError::invalid("Missing parameter subscriber in body.")),
        Some(v) => body::expect_object(v)?,
    };
    let new = NewSubscription::from_json(&doc).map_err(ApiError::invalid)?;
    let created = service::create(&state.deps(), &ctx.project, &queue, new)
        .await
        .map_err(|e| service_error(e, ""))?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, req.path().to_string()))
        .json(json!({"subscription_id": created.id})))
}

async fn list(
    state: &AppState,
    ctx: RequestContext,
    raw_queue: &str,
    req: &HttpRequest,
) -> ApiResult<HttpResponse> {
    let queue = ctx.queue_name(raw_queue)?;
    let params = Params::parse(req.query_string());
    let limit = params.limit(DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
    let now = state.now();
    let rows = store::subscriptions::list_page(
        &state.db,
        &ctx.project,
        &queue,
        params.str("marker"),
        limit as u64,
        now,
    )
    .await?;
    let links = match rows.last() {
        None => json!([]),
        Some(last) => {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("marker", &last.id)
                .append_pair("limit", &limit.to_string())
                .finish();
            json!([{"rel": "next", "href": format!("{}?{query}", req.path())}])
        }
    };
    let items: Vec<Value> = rows.iter().map(|r| to_json(r, now)).collect();
    Ok(HttpResponse::Ok().json(json!({"subscriptions": items, "links": links})))
}

#[utoipa::path(
    get,
    path = "/v2/queues/{queue}/subscriptions/{subscription_id}",
    tag = "subscriptions",
    summary = "A subscription (secrets masked)",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("subscription_id" = String, Path, description = "The subscription id"),
    ),
    responses(
        (status = 200, description = "The subscription", body = schemas::Subscription),
    ),
)]
pub async fn get(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (raw_queue, id) = path.into_inner();
    let queue = ctx.queue_name(&raw_queue)?;
    let now = state.now();
    let row = store::subscriptions::get_live(&state.db, &ctx.project, &queue, &id, now)
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(HttpResponse::Ok().json(to_json(&row, now)))
}

#[utoipa::path(
    patch,
    path = "/v2/queues/{queue}/subscriptions/{subscription_id}",
    tag = "subscriptions",
    summary = "Change a subscription",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("subscription_id" = String, Path, description = "The subscription id"),
    ),
    request_body(content = schemas::SubscriptionPatch),
    responses(
        (status = 204, description = "Changed"),
    ),
)]
#[tracing::instrument(skip_all, fields(queue = %path.0, subscription_id = %path.1))]
pub async fn patch(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let (raw_queue, id) = path.into_inner();
    let queue = ctx.queue_name(&raw_queue)?;
    let raw = body::read(&req, payload, MAX_SUBSCRIPTION_BODY, too_large).await?;
    let doc = match body::parse_json(&raw)? {
        None => serde_json::Map::new(),
        Some(Value::Object(map)) => map,
        Some(Value::Array(items)) if items.is_empty() => serde_json::Map::new(),
        Some(_) => return Err(ApiError::invalid("Subscriptions must be a dict.")),
    };
    let patch = SubscriptionPatch::from_json(&doc)
        .map_err(ApiError::invalid)?
        .ok_or_else(|| ApiError::invalid("No subscription to create."))?;
    // Zaqar's storage refuses an update that names none of the fields (an
    // unknown key alone, or only nulls) rather than answering 204 for it.
    let names_a_field = ["subscriber", "ttl", "options"]
        .iter()
        .any(|k| doc.get(*k).is_some_and(|v| !v.is_null()));
    if !names_a_field {
        return Err(ApiError::bad_request(
            "Unable to update subscription",
            format!("Subscription {id} could not be updated."),
        ));
    }
    service::update(&state.deps(), &ctx.project, &queue, &id, patch)
        .await
        .map_err(|e| match e {
            // The storage layer's wording, which has a space the create
            // handler's lacks.
            SubscriptionError::Conflict => ApiError::conflict(
                "Such subscription already exists. Subscriptions are unique by project + queue + subscriber URI.",
            ),
            other => service_error(other, &id),
        })?;
    Ok(HttpResponse::NoContent()
        .insert_header((header::LOCATION, req.path().to_string()))
        .finish())
}

#[utoipa::path(
    delete,
    path = "/v2/queues/{queue}/subscriptions/{subscription_id}",
    tag = "subscriptions",
    summary = "Delete a subscription",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("subscription_id" = String, Path, description = "The subscription id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
    ),
)]
#[tracing::instrument(skip_all, fields(queue = %path.0, subscription_id = %path.1))]
pub async fn delete(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (raw_queue, id) = path.into_inner();
    let queue = ctx.queue_name(&raw_queue)?;
    service::delete(&state.deps(), &ctx.project, &queue, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `PUT .../confirm {"confirmed": bool}`, also reached with Zaqar's
/// pre-signed headers from a webhook confirmation (checked by the context).
#[utoipa::path(
    put,
    path = "/v2/queues/{queue}/subscriptions/{subscription_id}/confirm",
    tag = "subscriptions",
    summary = "Confirm (or unconfirm) a subscription",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("subscription_id" = String, Path, description = "The subscription id"),
    ),
    request_body(content = schemas::Confirm),
    responses(
        (status = 204, description = "Done"),
    ),
)]
#[tracing::instrument(skip_all, fields(queue = %path.0, subscription_id = %path.1))]
pub async fn confirm(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let (raw_queue, id) = path.into_inner();
    let queue = ctx.queue_name(&raw_queue)?;
    let raw = body::read(&req, payload, MAX_SUBSCRIPTION_BODY, too_large).await?;
    let confirmed = body::parse_json(&raw)?
        .and_then(|v| v.get("confirmed").and_then(Value::as_bool))
        .ok_or_else(|| ApiError::invalid("The 'confirmed' should be boolean."))?;
    service::set_confirmed(&state.deps(), &ctx.project, &queue, &id, confirmed)
        .await
        .map_err(|e| service_error(e, &id))?;
    Ok(HttpResponse::NoContent()
        .insert_header((header::LOCATION, req.path().to_string()))
        .finish())
}
