//! Who is looking at the console. With `TIDINGS_AUTH=none` everyone is an
//! admin of every project, as for the API. With tokens, the sign-in form
//! takes an API token (from `tidings token create`) and keeps it in an
//! HttpOnly, Secure, SameSite=Strict cookie scoped to `/console`; every
//! page checks it again, so a revoked or expired token signs out at once.
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::form::Form;
use super::respond::{self, Outcome};
use super::{csrf, PREFIX};
use crate::api::state::AppState;
use crate::config::AuthMode;
use crate::domain::{ProjectId, Role, TokenScope};
use crate::service::api_tokens;

pub const COOKIE: &str = "tidings_console_token";

#[derive(Debug, Clone)]
pub struct Viewer {
    pub scope: TokenScope,
    pub role: Role,
    /// The token's public prefix; None when authentication is off.
    pub token_prefix: Option<String>,
}

impl Viewer {
    /// The project a console path names, if this viewer may see it.
    pub fn project(&self, raw: &str) -> Result<ProjectId, Outcome> {
        let project = ProjectId::parse(raw).ok_or(Outcome::NotFound)?;
        match &self.scope {
            TokenScope::AllProjects => Ok(project),
            TokenScope::Project(mine) if *mine == project => Ok(project),
            TokenScope::Project(_) => Err(Outcome::Forbidden(
                "Your token is for another project.".into(),
            )),
        }
    }
}

/// The viewer of this request, or `SignIn` when there is none.
pub async fn viewer(state: &AppState, req: &HttpRequest) -> Result<Viewer, Outcome> {
    if state.settings.auth_mode() == AuthMode::None {
        return Ok(Viewer {
            scope: TokenScope::AllProjects,
            role: Role::Admin,
            token_prefix: None,
        });
    }
    let cookie = req.cookie(COOKIE).ok_or(Outcome::SignIn)?;
    match api_tokens::authenticate(&state.db, cookie.value(), state.now()).await? {
        Ok(principal) => Ok(Viewer {
            scope: principal.scope,
            role: principal.role,
            token_prefix: Some(principal.prefix),
        }),
        Err(_) => Err(Outcome::SignIn),
    }
}

fn token_cookie(value: String) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path(PREFIX)
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .finish()
}

fn sign_in_page(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    problem: &str,
) -> HttpResponse {
    respond::page(
        state,
        req,
        status,
        "console/sign_in.html",
        json!({"title": "Sign in", "problem": problem}),
    )
}

pub async fn show_sign_in(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if state.settings.auth_mode() == AuthMode::None {
        return respond::see_other(PREFIX);
    }
    sign_in_page(&state, &req, StatusCode::OK, "")
}

pub async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let Some(form) = Form::read(&req, payload).await else {
        return respond::outcome(&state, &req, Outcome::BadForm);
    };
    if !csrf::accepts(&req, &state.secret, form.get(csrf::FIELD)) {
        return respond::outcome(&state, &req, Outcome::CrossSite);
    }
    if state.settings.auth_mode() == AuthMode::None {
        return respond::see_other(PREFIX);
    }
    let token = form.get("token").unwrap_or("").trim().to_string();
    match api_tokens::authenticate(&state.db, &token, state.now()).await {
        Err(err) => respond::outcome(&state, &req, Outcome::Database(err)),
        Ok(Err(problem)) => {
            sign_in_page(&state, &req, StatusCode::UNAUTHORIZED, problem.describe())
        }
        Ok(Ok(principal)) => {
            let home = match &principal.scope {
                TokenScope::Project(p) => format!("{PREFIX}/{}", respond::segment(p.as_str())),
                TokenScope::AllProjects => PREFIX.to_string(),
            };
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, home))
                .cookie(token_cookie(token))
                .finish()
        }
    }
}

pub async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let Some(form) = Form::read(&req, payload).await else {
        return respond::outcome(&state, &req, Outcome::BadForm);
    };
    if !csrf::accepts(&req, &state.secret, form.get(csrf::FIELD)) {
        return respond::outcome(&state, &req, Outcome::CrossSite);
    }
    let mut gone = token_cookie(String::new());
    gone.make_removal();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("{PREFIX}/sign-in")))
        .cookie(gone)
        .finish()
}
