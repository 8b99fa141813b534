//! A queue's template sets (a tidings extension beside the Zaqar routes):
//! `GET /v2/queues/{queue}/templates`, `PUT`, `GET`, `DELETE`
//! `/v2/queues/{queue}/templates/{name}`, and `POST .../{name}/preview`,
//! which renders a set with a sample message body and sends nothing.
//! A set that does not compile is a 400 naming the part and line, and
//! nothing is stored.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::body;
use super::context::RequestContext;
use super::openapi::schemas;
use super::params::Params;
use super::state::AppState;
use crate::domain::limits::{DEFAULT_PER_PAGE, MAX_MESSAGES_POST_SIZE, MAX_PER_PAGE};
use crate::domain::links;
use crate::domain::locale::{self, Locale};
use crate::domain::render_context::{self, NotificationFacts};
use crate::domain::template_set::{TemplateName, TemplateSet, DEFAULT_SET, MAX_PART_LEN};
use crate::domain::QueueName;
use crate::error::{ApiError, ApiResult};
use crate::routing::EventTypeTemplate;
use crate::service::template_sets::{self as service, TemplateSetError};
use crate::store::entities::template_set;
use crate::store::{subscriptions, template_sets};
use crate::templates::{sandbox, EmailKind, RenderedEmail, SetSources, TemplateError};

/// Three parts at their largest, escaped, and the braces around them.
const MAX_SET_BODY: usize = 3 * 2 * MAX_PART_LEN + 1024;

fn href(queue: &QueueName, name: &str) -> String {
    format!("/v2/queues/{}/templates/{name}", queue.as_str())
}

fn set_json(queue: &QueueName, row: &template_set::Model) -> Value {
    json!({
        "name": row.name,
        "subject": row.subject,
        "text": row.text,
        "html": row.html,
        "created": crate::clock::iso8601(row.created_at),
        "updated": crate::clock::iso8601(row.updated_at),
        "href": href(queue, &row.name),
    })
}

fn template_name(raw: &str) -> ApiResult<TemplateName> {
    TemplateName::parse(raw).map_err(ApiError::invalid)
}

fn no_such_set(name: &TemplateName) -> ApiError {
    ApiError::not_found(format!(
        "The queue has no template set named {:?}.",
        name.as_str()
    ))
}

fn template_error(err: &TemplateError) -> ApiError {
    ApiError::invalid(format!("The template does not work: {err}."))
}

fn sources(set: &TemplateSet) -> SetSources<'_> {
    SetSources {
        subject: &set.subject,
        text: &set.text,
        html: set.html.as_deref(),
    }
}

#[utoipa::path(
    get,
    path = "/v2/queues/{queue}/templates",
    tag = "templates",
    summary = "A queue's template sets",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("limit" = Option<i64>, Query, description = "Items per page (1 to 20)"),
        ("marker" = Option<String>, Query, description = "Where the previous page ended (its `next` link carries it)"),
    ),
    responses(
        (status = 200, description = "A page of sets", body = schemas::TemplateSetList),
    ),
)]
pub async fn list(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let queue = ctx.queue_name(&path)?;
    let params = Params::parse(req.query_string());
    let limit = params.limit(DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
    let rows = template_sets::list(
        &state.db,
        ctx.project.as_str(),
        queue.as_str(),
        params.str("marker"),
        limit as u64,
    )
    .await?;
    let links = match rows.last() {
        Some(last) if rows.len() as i64 == limit => {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("marker", &last.name)
                .append_pair("limit", &limit.to_string())
                .finish();
            json!([{"rel": "next", "href": format!("/v2/queues/{}/templates?{query}", queue.as_str())}])
        }
        _ => json!([]),
    };
    let items: Vec<Value> = rows.iter().map(|r| set_json(&queue, r)).collect();
    Ok(HttpResponse::Ok().json(json!({"templates": items, "links": links})))
}

#[utoipa::path(
    get,
    path = "/v2/queues/{queue}/templates/{name}",
    tag = "templates",
    summary = "One template set",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("name" = String, Path, description = "The template set: 1 to 64 of a-z, 0-9, _ and -", example = "default"),
    ),
    responses(
        (status = 200, description = "The set", body = schemas::TemplateSetEntry),
    ),
)]
pub async fn get(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let queue = ctx.queue_name(&path.0)?;
    let name = template_name(&path.1)?;
    match template_sets::get(
        &state.db,
        ctx.project.as_str(),
        queue.as_str(),
        name.as_str(),
    )
    .await?
    {
        Some(row) => Ok(HttpResponse::Ok().json(set_json(&queue, &row))),
        None => Err(no_such_set(&name)),
    }
}

#[utoipa::path(
    put,
    path = "/v2/queues/{queue}/templates/{name}",
    tag = "templates",
    summary = "Store a template set (checked in the sandbox first)",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("name" = String, Path, description = "The template set: 1 to 64 of a-z, 0-9, _ and -", example = "default"),
    ),
    request_body(content = schemas::TemplateSetRequest),
    responses(
        (status = 200, description = "Replaced", body = schemas::TemplateSetEntry),
        (status = 201, description = "Stored", body = schemas::TemplateSetEntry),
    ),
)]
pub async fn put(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let queue = ctx.queue_name(&path.0)?;
    let name = template_name(&path.1)?;
    let bytes = body::read(&req, payload, MAX_SET_BODY, || {
        ApiError::bad_body(format!(
            "A template set may be at most {MAX_SET_BODY} bytes."
        ))
    })
    .await?;
    let doc = match body::parse_json(&bytes)? {
        Some(value) => body::expect_object(value)?,
        None => return Err(ApiError::bad_body("A template set is a JSON object.")),
    };
    let set = TemplateSet::parse(&doc).map_err(ApiError::invalid)?;
    sandbox::check(&sources(&set)).map_err(|err| template_error(&err))?;
    let (row, created) = service::put(&state.db, &ctx.project, &queue, &name, set, state.now())
        .await
        .map_err(|err| match err {
            TemplateSetError::TooMany => ApiError::invalid(err.to_string()),
            TemplateSetError::Db(err) => err.into(),
        })?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status)
        .insert_header(("Location", href(&queue, name.as_str())))
        .json(set_json(&queue, &row)))
}

#[utoipa::path(
    delete,
    path = "/v2/queues/{queue}/templates/{name}",
    tag = "templates",
    summary = "Delete a template set",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("name" = String, Path, description = "The template set: 1 to 64 of a-z, 0-9, _ and -", example = "default"),
    ),
    responses(
        (status = 204, description = "Deleted"),
    ),
)]
pub async fn delete(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let queue = ctx.queue_name(&path.0)?;
    let name = template_name(&path.1)?;
    // As Zaqar's deletes: 204 whether or not there was one.
    template_sets::delete(
        &state.db,
        ctx.project.as_str(),
        queue.as_str(),
        name.as_str(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `{"body": <a message body>, "subscription_id": "...", "locale": "de"}`
/// (the id is optional: with it, the subscription's masked address, its
/// language and its real unsubscribe link are used, so the preview is
/// what it would receive from this set; `locale` overrides the language).
/// The `default` name previews the built-in (or operator's) email when
/// the queue has no `default` set.
#[utoipa::path(
    post,
    path = "/v2/queues/{queue}/templates/{name}/preview",
    tag = "templates",
    summary = "Render a set with a sample body (sends nothing)",
    params(
        ("queue" = String, Path, description = "The queue: 1 to 64 of A-Z, a-z, 0-9, _ and -", example = "orders"),
        ("name" = String, Path, description = "The template set: 1 to 64 of a-z, 0-9, _ and -", example = "default"),
    ),
    request_body(content = Object),
    responses(
        (status = 200, description = "The rendered email", body = schemas::Preview),
    ),
)]
pub async fn preview(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let queue = ctx.queue_name(&path.0)?;
    let name = template_name(&path.1)?;
    let bytes = body::read(&req, payload, MAX_MESSAGES_POST_SIZE as usize, || {
        ApiError::bad_body(format!(
            "A preview request may be at most {MAX_MESSAGES_POST_SIZE} bytes."
        ))
    })
    .await?;
    let doc = match body::parse_json(&bytes)? {
        Some(value) => body::expect_object(value)?,
        None => return Err(ApiError::bad_body("A preview request is a JSON object.")),
    };
    if let Some(key) = doc
        .keys()
        .find(|k| !["body", "subscription_id", "locale"].contains(&k.as_str()))
    {
        return Err(ApiError::invalid(format!(
            "{key:?} is not a preview field (body, subscription_id, locale)."
        )));
    }
    let asked_locale = match doc.get("locale") {
        None | Some(Value::Null) => None,
        Some(Value::String(raw)) => Some(Locale::parse(raw).map_err(ApiError::invalid)?),
        Some(_) => return Err(ApiError::invalid("locale must be a language tag.")),
    };
    let sample = doc
        .get("body")
        .ok_or_else(|| ApiError::invalid("A preview needs a sample message body (\"body\")."))?;
    let now = state.now();
    let subscription = match doc.get("subscription_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(
            subscriptions::get_live(&state.db, &ctx.project, &queue, id, now)
                .await?
                .ok_or_else(|| ApiError::not_found("No such subscription on this queue."))?,
        ),
        Some(_) => return Err(ApiError::invalid("subscription_id must be a string.")),
    };
    let stored = template_sets::get(
        &state.db,
        ctx.project.as_str(),
        queue.as_str(),
        name.as_str(),
    )
    .await?;
    if stored.is_none() && name.as_str() != DEFAULT_SET {
        return Err(no_such_set(&name));
    }
    let metadata = state.metadata.get(&state.db, &ctx.project, &queue).await?;
    let event_type = EventTypeTemplate::for_queue(&metadata).derive(sample);
    let unsubscribe = subscription.as_ref().map(|sub| {
        links::unsubscribe_url(
            &state.settings.public_url(),
            &state.secret,
            &sub.queue,
            &sub.id,
        )
    });
    // The asked language, else the subscription's.
    let locale = asked_locale.or_else(|| {
        subscription.as_ref().and_then(|sub| {
            serde_json::from_str::<serde_json::Map<String, Value>>(&sub.options)
                .ok()
                .and_then(|options| locale::of_options(&options))
        })
    });
    let chain = locale.as_ref().map(Locale::fallbacks).unwrap_or_default();
    let context = render_context::notification(&NotificationFacts {
        locale: locale.as_ref(),
        queue: queue.as_str(),
        project: ctx.project.as_str(),
        body: sample,
        event_type: event_type.as_deref(),
        posted_at_ms: Some(now),
        subscription_id: subscription.as_ref().map(|s| s.id.as_str()),
        subscriber: subscription.as_ref().map(|s| s.subscriber.as_str()),
        unsubscribe_url: unsubscribe.as_deref(),
        preferences_url: None,
    });
    let rendered: RenderedEmail = match stored {
        Some(row) => {
            let set = TemplateSet {
                subject: row.subject,
                text: row.text,
                html: row.html,
            };
            sandbox::render(&sources(&set), &context).map_err(|err| template_error(&err))?
        }
        None => state
            .templates
            .render_email_in(EmailKind::Notification, &chain, &context)
            .map_err(ApiError::Unexpected)?,
    };
    Ok(HttpResponse::Ok().json(json!({
        "template": name.as_str(),
        "event_type": event_type,
        "subject": rendered.subject,
        "text": rendered.text,
        "html": rendered.html,
    })))
}
