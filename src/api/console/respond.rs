//! How console pages answer: the template rendered with the fields every
//! page has, the security headers, and the error pages.
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Value};

use super::{csrf, session, PREFIX};
use crate::api::state::AppState;
use crate::config::AuthMode;
use crate::error::error_chain;

/// No inline script or style, nothing from elsewhere, no framing, forms
/// post only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Why a handler did not render its page.
#[derive(Debug)]
pub enum Outcome {
    /// No (valid) sign-in: go to the sign-in form.
    SignIn,
    NotFound,
    Forbidden(String),
    /// A form post without this site's CSRF token.
    CrossSite,
    /// A form that could not be read (too large).
    BadForm,
    Database(sea_orm::DbErr),
}

impl From<sea_orm::DbErr> for Outcome {
    fn from(err: sea_orm::DbErr) -> Outcome {
        Outcome::Database(err)
    }
}

/// RFC 3986 unreserved characters stay as they are.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A path segment, percent-encoded (queue names and ids are plain, project
/// names may hold anything).
pub fn segment(raw: &str) -> String {
    utf8_percent_encode(raw, SEGMENT).to_string()
}

fn secured(mut builder: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    builder
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    builder
}

/// Renders `template` with `ctx` plus `csrf` (the form field), `auth`
/// (whether sign-in is on) and `signed_in`.
pub fn page(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    template: &str,
    mut ctx: Value,
) -> HttpResponse {
    let seed = csrf::seed(req);
    let auth = state.settings.auth_mode() == AuthMode::Token;
    if let Value::Object(map) = &mut ctx {
        map.insert(
            "csrf".into(),
            csrf::field_value(&state.secret, &seed.value).into(),
        );
        map.insert("auth".into(), auth.into());
        map.insert(
            "signed_in".into(),
            (auth && req.cookie(session::COOKIE).is_some()).into(),
        );
    }
    let html = match state.templates.render_console(template, &ctx) {
        Ok(html) => html,
        Err(err) => {
            tracing::error!(error = %error_chain(err.as_ref()), template, "console page failed");
            return secured(HttpResponse::InternalServerError())
                .content_type("text/plain; charset=utf-8")
                .body("The console page could not be rendered; the server log says why.");
        }
    };
    let mut builder = secured(HttpResponse::build(status));
    if seed.fresh {
        builder.cookie(csrf::cookie(&seed.value));
    }
    builder.content_type("text/html; charset=utf-8").body(html)
}

pub fn see_other(location: &str) -> HttpResponse {
    secured(HttpResponse::SeeOther())
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

fn error_page(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    message: &str,
) -> HttpResponse {
    page(
        state,
        req,
        status,
        "console/error.html",
        json!({"title": status.canonical_reason().unwrap_or("Error"), "message": message}),
    )
}

pub fn outcome(state: &AppState, req: &HttpRequest, outcome: Outcome) -> HttpResponse {
    match outcome {
        Outcome::SignIn => see_other(&format!("{PREFIX}/sign-in")),
        Outcome::NotFound => error_page(
            state,
            req,
            StatusCode::NOT_FOUND,
            "There is nothing here. It may have been deleted.",
        ),
        Outcome::Forbidden(why) => error_page(state, req, StatusCode::FORBIDDEN, &why),
        Outcome::CrossSite => error_page(
            state,
            req,
            StatusCode::FORBIDDEN,
            "This form was not sent from a console page (its security token is missing or stale). Reload the page and try again.",
        ),
        Outcome::BadForm => error_page(
            state,
            req,
            StatusCode::PAYLOAD_TOO_LARGE,
            "This form is too large.",
        ),
        Outcome::Database(err) => {
            tracing::error!(error = %error_chain(&err), "console page failed");
            error_page(
                state,
                req,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side; the server log says what.",
            )
        }
    }
}

pub async fn not_found(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    outcome(&state, &req, Outcome::NotFound)
}

pub async fn stylesheet(state: web::Data<AppState>) -> HttpResponse {
    match state
        .templates
        .render_console("console/console.css", &json!({}))
    {
        Ok(css) => secured(HttpResponse::Ok())
            .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
            .content_type("text/css; charset=utf-8")
            .body(css),
        Err(err) => {
            tracing::error!(error = %error_chain(err.as_ref()), "console stylesheet failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}
