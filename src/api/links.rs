//! The links in emails, opened by a browser with no API headers: the
//! confirmation link (on the subscription collection path, see
//! `subscriptions::collection_get`) and the unsubscribe link.
//!
//! GET only shows a page (mail scanners prefetch links); POST acts. Bad
//! links get the error page: 400 when the link is malformed, 404 when it is
//! unknown (wrong token, deleted or expired subscription), 410 when it was
//! valid once (token expired or already used). A database failure is a 500
//! page; nothing internal is shown.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::body;
use super::page_texts::{self, t, Text};
use super::pages::{self, Page, PageContext};
use super::state::AppState;
use crate::domain::{Namespace, QueueName, Subscriber};
use crate::error::error_chain;
use crate::service::link_actions::{self, ConfirmView, LinkProblem, UnsubscribeView};
use crate::store::entities::subscription;

/// Form bodies here hold one token; anything bigger is not ours.
const MAX_FORM_BODY: usize = 4096;

fn error_page(lang: &'static str, status: StatusCode, message: Text) -> HttpResponse {
    pages::render(
        Page::Error,
        status,
        &PageContext {
            lang,
            title: t(lang, Text::LinkUnusable).into(),
            message: t(lang, message).into(),
            ..Default::default()
        },
    )
}

fn problem_page(lang: &'static str, problem: LinkProblem) -> HttpResponse {
    match problem {
        LinkProblem::Unknown => error_page(lang, StatusCode::NOT_FOUND, Text::LinkUnknown),
        LinkProblem::Expired => error_page(lang, StatusCode::GONE, Text::LinkExpired),
        LinkProblem::Used => error_page(lang, StatusCode::GONE, Text::LinkUsed),
    }
}

fn db_failure(lang: &'static str, err: sea_orm::DbErr) -> HttpResponse {
    tracing::error!(error = %error_chain(&err), "link handling failed");
    error_page(lang, StatusCode::INTERNAL_SERVER_ERROR, Text::OurFailure)
}

fn masked(sub: &subscription::Model) -> String {
    Subscriber::parse(&sub.subscriber)
        .map(|s| s.masked())
        .unwrap_or_else(|_| "***".into())
}

/// The request's own path and query: the page's form posts back to it.
fn self_url(req: &HttpRequest) -> String {
    match req.uri().path_and_query() {
        Some(pq) => pq.as_str().to_string(),
        None => req.path().to_string(),
    }
}

/// One urlencoded value, verbatim. Not `Params`: Zaqar's comma splitting
/// would cut a multi-address `mailto:a@x,b@y` subscriber in pieces.
fn value(encoded: &str, key: &str) -> Option<String> {
    url::form_urlencoded::parse(encoded.as_bytes())
        .find(|(k, v)| k == key && !v.is_empty())
        .map(|(_, v)| v.into_owned())
}

async fn read_form(req: &HttpRequest, payload: web::Payload) -> String {
    match body::read(req, payload, MAX_FORM_BODY, || {
        crate::error::ApiError::bad_body("too large")
    })
    .await
    {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    }
}

fn confirm_page(
    lang: &'static str,
    view: ConfirmView,
    queue: &str,
    just_now: bool,
) -> HttpResponse {
    let (sub, message) = match view {
        ConfirmView::Ready(sub) if just_now => (sub, t(lang, Text::ConfirmedNow)),
        ConfirmView::Ready(sub) => (sub, ""),
        ConfirmView::AlreadyConfirmed(sub) => (sub, t(lang, Text::AlreadyConfirmed)),
    };
    pages::render(
        Page::Confirmed,
        StatusCode::OK,
        &PageContext {
            lang,
            title: t(lang, Text::ConfirmedTitle).into(),
            queue: queue.into(),
            address: masked(&sub),
            message: message.into(),
            ..Default::default()
        },
    )
}

/// The queue (or topic) a link's path names.
fn link_queue(req: &HttpRequest, raw: &str) -> Option<QueueName> {
    QueueName::parse_in(Namespace::of_path(req.path()), raw)
}

/// GET of the confirmation link: the page with one Confirm button.
pub async fn show_confirm(state: &AppState, raw_queue: &str, req: &HttpRequest) -> HttpResponse {
    let lang = page_texts::language(req);
    let query = req.query_string();
    let (Some(subscriber), Some(token), Some(name)) = (
        value(query, "subscriber"),
        value(query, "confirm_token"),
        link_queue(req, raw_queue),
    ) else {
        return error_page(lang, StatusCode::BAD_REQUEST, Text::LinkIncomplete);
    };
    let queue = name.name();
    match link_actions::inspect_confirm(&state.deps(), name.as_str(), &subscriber, &token).await {
        Err(err) => db_failure(lang, err),
        Ok(Err(problem)) => problem_page(lang, problem),
        Ok(Ok(ConfirmView::Ready(sub))) => pages::render(
            Page::Confirm,
            StatusCode::OK,
            &PageContext {
                lang,
                title: t(lang, Text::ConfirmTitle).into(),
                queue: queue.into(),
                address: masked(&sub),
                action_url: self_url(req),
                token,
                message: String::new(),
            },
        ),
        Ok(Ok(view)) => confirm_page(lang, view, queue, false),
    }
}

/// POST of the confirmation link (the page's button): token and subscriber
/// from the query, or from the form body.
pub async fn do_confirm(
    state: &AppState,
    raw_queue: &str,
    req: &HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let lang = page_texts::language(req);
    let form = read_form(req, payload).await;
    let pick = |key: &str| value(req.query_string(), key).or_else(|| value(&form, key));
    let (Some(subscriber), Some(token), Some(name)) = (
        pick("subscriber"),
        pick("confirm_token"),
        link_queue(req, raw_queue),
    ) else {
        return error_page(lang, StatusCode::BAD_REQUEST, Text::LinkIncomplete);
    };
    let queue = name.name();
    match link_actions::confirm(&state.deps(), name.as_str(), &subscriber, &token).await {
        Err(err) => db_failure(lang, err),
        Ok(Err(problem)) => problem_page(lang, problem),
        Ok(Ok(view)) => confirm_page(lang, view, queue, true),
    }
}

fn unsubscribed_page(lang: &'static str, view: UnsubscribeView, queue: &str) -> HttpResponse {
    let message = if view.already {
        t(lang, Text::AlreadyUnsubscribed)
    } else {
        t(lang, Text::UnsubscribedNow)
    };
    pages::render(
        Page::Unsubscribed,
        StatusCode::OK,
        &PageContext {
            lang,
            title: t(lang, Text::UnsubscribedTitle).into(),
            queue: queue.into(),
            address: masked(&view.subscription),
            message: message.into(),
            ..Default::default()
        },
    )
}

/// GET of the unsubscribe link: a page with one button.
pub async fn show_unsubscribe(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> HttpResponse {
    let lang = page_texts::language(&req);
    let (raw_queue, id) = path.into_inner();
    let (Some(token), Some(name)) = (
        value(req.query_string(), "token"),
        link_queue(&req, &raw_queue),
    ) else {
        return error_page(lang, StatusCode::BAD_REQUEST, Text::LinkIncomplete);
    };
    let queue = name.name().to_string();
    match link_actions::inspect_unsubscribe(&state.deps(), name.as_str(), &id, &token).await {
        Err(err) => db_failure(lang, err),
        Ok(Err(problem)) => problem_page(lang, problem),
        Ok(Ok(view)) if view.already => unsubscribed_page(lang, view, &queue),
        Ok(Ok(view)) => pages::render(
            Page::Unsubscribe,
            StatusCode::OK,
            &PageContext {
                lang,
                title: t(lang, Text::UnsubscribeTitle).into(),
                queue: queue.clone(),
                address: masked(&view.subscription),
                action_url: self_url(&req),
                token,
                message: String::new(),
            },
        ),
    }
}

/// POST of the unsubscribe link: the page's button, or RFC 8058 one-click
/// (`List-Unsubscribe=One-Click` form body, token in the query). Both answer
/// 200 with the result page.
pub async fn do_unsubscribe(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let lang = page_texts::language(&req);
    let (raw_queue, id) = path.into_inner();
    let form = read_form(&req, payload).await;
    let token = value(req.query_string(), "token").or_else(|| value(&form, "token"));
    let (Some(token), Some(name)) = (token, link_queue(&req, &raw_queue)) else {
        return error_page(lang, StatusCode::BAD_REQUEST, Text::LinkIncomplete);
    };
    let queue = name.name().to_string();
    match link_actions::unsubscribe(&state.deps(), name.as_str(), &id, &token).await {
        Err(err) => db_failure(lang, err),
        Ok(Err(problem)) => problem_page(lang, problem),
        Ok(Ok(view)) => unsubscribed_page(lang, view, &queue),
    }
}
