//! The read-only console pages: projects, a project's queues, one queue,
//! one subscription with its delivery log.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::respond::{self, segment, Outcome};
use super::session::{self, Viewer};
use super::PREFIX;
use crate::api::state::AppState;
use crate::api::subscriptions;
use crate::clock::iso8601;
use crate::domain::{ProjectId, QueueName, Role, TokenScope};
use crate::store;
use crate::store::deliveries::STATUS_FAILED;
use crate::store::entities::{delivery, delivery_attempt};

/// Rows per console list; the pages link to the next ones.
const PAGE: u64 = 50;

type Page = Result<HttpResponse, Outcome>;

/// Runs a page handler and turns its `Outcome` into the matching page.
async fn answer(state: &AppState, req: &HttpRequest, page: Page) -> HttpResponse {
    page.unwrap_or_else(|outcome| respond::outcome(state, req, outcome))
}

fn queue_name(raw: &str) -> Result<QueueName, Outcome> {
    QueueName::parse(raw).ok_or(Outcome::NotFound)
}

pub fn project_url(project: &ProjectId) -> String {
    format!("{PREFIX}/{}", segment(project.as_str()))
}

pub fn queue_url(project: &ProjectId, queue: &str) -> String {
    format!("{}/queues/{}", project_url(project), segment(queue))
}

/// Metadata as rows of key and JSON text, reserved `_` keys included.
fn metadata_rows(metadata: &Map<String, Value>) -> Vec<Value> {
    metadata
        .iter()
        .map(|(k, v)| json!({"key": k, "value": v.to_string()}))
        .collect()
}

pub async fn home(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let page = home_page(&state, &req).await;
    answer(&state, &req, page).await
}

async fn home_page(state: &AppState, req: &HttpRequest) -> Page {
    let viewer = session::viewer(state, req).await?;
    if let TokenScope::Project(project) = &viewer.scope {
        return Ok(respond::see_other(&project_url(project)));
    }
    let asked = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "project")
        .map(|(_, v)| v.trim().to_string());
    if let Some(project) = asked.and_then(|p| ProjectId::parse(&p)) {
        return Ok(respond::see_other(&project_url(&project)));
    }
    let projects: Vec<Value> = store::queues::projects(&state.db, 200)
        .await?
        .into_iter()
        .filter_map(|p| ProjectId::parse(&p))
        .map(|p| json!({"name": p.as_str(), "url": project_url(&p)}))
        .collect();
    Ok(respond::page(
        state,
        req,
        StatusCode::OK,
        "console/home.html",
        json!({"title": "Projects", "projects": projects}),
    ))
}

pub async fn queues(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let page = queues_page(&state, &req, &path).await;
    answer(&state, &req, page).await
}

async fn queues_page(state: &AppState, req: &HttpRequest, raw_project: &str) -> Page {
    let viewer = session::viewer(state, req).await?;
    let project = viewer.project(raw_project)?;
    let marker = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "marker")
        .map(|(_, v)| v.into_owned());
    let now = state.now();
    let rows = store::queues::list_page(
        &state.db,
        &project,
        crate::domain::Namespace::Queue,
        marker.as_deref(),
        None,
        PAGE,
    )
    .await?;
    let mut queues = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(name) = QueueName::parse(&row.name) else {
            continue;
        };
        let stats = store::messages::stats(&state.db, &project, &name, now).await?;
        let subs = store::subscriptions::count_live(&state.db, &project, &name, now).await?;
        queues.push(json!({
            "name": row.name,
            "url": queue_url(&project, &row.name),
            "messages": stats.total,
            "claimed": stats.claimed,
            "subscriptions": subs,
        }));
    }
    let next = match rows.last() {
        Some(last) if rows.len() as u64 == PAGE => {
            format!("{}?marker={}", project_url(&project), segment(&last.name))
        }
        _ => String::new(),
    };
    Ok(respond::page(
        state,
        req,
        StatusCode::OK,
        "console/queues.html",
        json!({
            "title": format!("Queues of {}", project.as_str()),
            "project": project.as_str(),
            "project_url": project_url(&project),
            "queues": queues,
            "next": next,
            "viewer": viewer_json(&viewer),
        }),
    ))
}

fn viewer_json(viewer: &Viewer) -> Value {
    json!({"role": viewer.role.as_str(), "token": viewer.token_prefix})
}

pub async fn queue(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (project, queue) = path.into_inner();
    let page = queue_page(&state, &req, &project, &queue).await;
    answer(&state, &req, page).await
}

async fn queue_page(state: &AppState, req: &HttpRequest, raw_project: &str, raw: &str) -> Page {
    let viewer = session::viewer(state, req).await?;
    let project = viewer.project(raw_project)?;
    let name = queue_name(raw)?;
    let row = store::queues::get(&state.db, &project, &name)
        .await?
        .ok_or(Outcome::NotFound)?;
    let now = state.now();
    let metadata = store::queues::parse_metadata(&row.metadata);
    let policy = state.router.policy_for(&metadata).to_json();
    let stats = store::messages::stats(&state.db, &project, &name, now).await?;
    let subs: Vec<Value> =
        store::subscriptions::list_page(&state.db, &project, &name, None, 200, now)
            .await?
            .iter()
            .map(|row| {
                let mut item = subscriptions::to_json(row, now);
                item["url"] = format!(
                    "{}/subscriptions/{}",
                    queue_url(&project, name.as_str()),
                    segment(&row.id)
                )
                .into();
                item
            })
            .collect();
    let event_types: Vec<Value> = policy["event_types"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(event, types)| json!({"event": event, "types": types}))
                .collect()
        })
        .unwrap_or_default();
    Ok(respond::page(
        state,
        req,
        StatusCode::OK,
        "console/queue.html",
        json!({
            "title": format!("Queue {}", name.as_str()),
            "project": project.as_str(),
            "project_url": project_url(&project),
            "queue": name.as_str(),
            "queue_url": queue_url(&project, name.as_str()),
            "metadata": metadata_rows(&metadata),
            "policy_source": policy["source"],
            "event_types": event_types,
            "messages": {"total": stats.total, "claimed": stats.claimed},
            "subscriptions": subs,
            "viewer": viewer_json(&viewer),
        }),
    ))
}

pub async fn subscription(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> HttpResponse {
    let (project, queue, id) = path.into_inner();
    let page = subscription_page(&state, &req, &project, &queue, &id).await;
    answer(&state, &req, page).await
}

fn delivery_json(
    d: &delivery::Model,
    attempts: &[delivery_attempt::Model],
    subscription_url: &str,
) -> Value {
    let mine: Vec<Value> = attempts
        .iter()
        .filter(|a| a.delivery_id == d.id)
        .map(|a| {
            json!({
                "at": iso8601(a.at),
                "outcome": a.outcome,
                "code": a.code,
                "detail": a.detail,
                "duration_ms": a.duration_ms,
            })
        })
        .collect();
    json!({
        "id": d.id.to_string(),
        "kind": d.kind,
        "message_id": d.message_id,
        "status": d.status,
        "dead": d.status == STATUS_FAILED,
        "redeliver_url": format!("{subscription_url}/deliveries/{}/redeliver", d.id),
        "reason": d.last_error,
        "attempts": mine,
    })
}

async fn subscription_page(
    state: &AppState,
    req: &HttpRequest,
    raw_project: &str,
    raw_queue: &str,
    id: &str,
) -> Page {
    let viewer = session::viewer(state, req).await?;
    let project = viewer.project(raw_project)?;
    let name = queue_name(raw_queue)?;
    let now = state.now();
    let row = store::subscriptions::get_live(&state.db, &project, &name, id, now)
        .await?
        .ok_or(Outcome::NotFound)?;
    let shown = subscriptions::to_json(&row, now);
    let rows =
        store::deliveries::list_for_subscription(&state.db, &row.id, None, None, PAGE).await?;
    let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
    let attempts = store::deliveries::attempts_for(&state.db, &ids).await?;
    let here = format!(
        "{}/subscriptions/{}",
        queue_url(&project, name.as_str()),
        segment(&row.id)
    );
    let deliveries: Vec<Value> = rows
        .iter()
        .map(|d| delivery_json(d, &attempts, &here))
        .collect();
    let options = serde_json::to_string_pretty(&shown["options"]).unwrap_or_default();
    Ok(respond::page(
        state,
        req,
        StatusCode::OK,
        "console/subscription.html",
        json!({
            "title": format!("Subscription {}", row.id),
            "project": project.as_str(),
            "project_url": project_url(&project),
            "queue": name.as_str(),
            "queue_url": queue_url(&project, name.as_str()),
            "subscription": shown,
            "options": options,
            "expires": iso8601(row.expires_at),
            "deliveries": deliveries,
            "can_redeliver": viewer.role.allows(Role::Subscriber),
            "viewer": viewer_json(&viewer),
        }),
    ))
}
