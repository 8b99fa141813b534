//! Console actions: plain CSRF-protected form posts that change something,
//! role-checked as the API is, answered with a redirect back to the page
//! they came from (post, redirect, get).
use actix_web::{web, HttpRequest, HttpResponse};

use super::csrf;
use super::form::Form;
use super::respond::{self, segment, Outcome};
use super::session;
use super::views::queue_url;
use crate::api::state::AppState;
use crate::domain::{QueueName, Role};
use crate::store;

/// Reads the form and checks its CSRF field and the viewer's role.
async fn guarded(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
    raw_project: &str,
    needed: Role,
) -> Result<(crate::domain::ProjectId, Form), Outcome> {
    let form = Form::read(req, payload).await.ok_or(Outcome::BadForm)?;
    if !csrf::accepts(req, &state.secret, form.get(csrf::FIELD)) {
        return Err(Outcome::CrossSite);
    }
    let viewer = session::viewer(state, req).await?;
    let project = viewer.project(raw_project)?;
    if !viewer.role.allows(needed) {
        return Err(Outcome::Forbidden(format!(
            "This needs a {} token; yours is a {} token.",
            needed.as_str(),
            viewer.role.as_str()
        )));
    }
    Ok((project, form))
}

/// Queues a failed (dead-lettered) delivery again, as
/// `POST .../deliveries/{id}/retry` does, and goes back to the
/// subscription page.
pub async fn redeliver(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String, String, String)>,
    payload: web::Payload,
) -> HttpResponse {
    let (project, queue, id, delivery) = path.into_inner();
    match redeliver_one(&state, &req, payload, &project, &queue, &id, &delivery).await {
        Ok(back) => respond::see_other(&back),
        Err(outcome) => respond::outcome(&state, &req, outcome),
    }
}

async fn redeliver_one(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
    raw_project: &str,
    raw_queue: &str,
    id: &str,
    raw_delivery: &str,
) -> Result<String, Outcome> {
    let (project, _form) = guarded(state, req, payload, raw_project, Role::Subscriber).await?;
    let name = QueueName::parse(raw_queue).ok_or(Outcome::NotFound)?;
    let now = state.now();
    store::subscriptions::get_live(&state.db, &project, &name, id, now)
        .await?
        .ok_or(Outcome::NotFound)?;
    let did: i64 = raw_delivery.parse().map_err(|_| Outcome::NotFound)?;
    let row = store::deliveries::get(&state.db, did)
        .await?
        .ok_or(Outcome::NotFound)?;
    if row.subscription_id != id || row.project != project.as_str() {
        return Err(Outcome::NotFound);
    }
    let back = format!(
        "{}/subscriptions/{}",
        queue_url(&project, name.as_str()),
        segment(id)
    );
    // Already queued again (a second click, or another operator): the
    // page shows its new state either way.
    if store::deliveries::requeue_failed(&state.db, did, now).await? {
        state.wake.notify_one();
    }
    Ok(back)
}
