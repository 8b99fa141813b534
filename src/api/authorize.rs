//! `TIDINGS_AUTH=token` or `keystone`: every request shows a token before
//! its handler runs, except the public ones (version discovery, the links in emails,
//! whose signed token is the credential) and pre-signed URL requests
//! (whose signature is checked here and again by `RequestContext`).
//!
//! The token decides the project: `RequestContext` takes it from the
//! `Granted` this middleware leaves in the request, and an `X-Project-Id`
//! that names another project is refused. A `*` token acts in the project
//! the request names. 401 means "no usable token", 403 "this token may not
//! do that"; both carry Zaqar's error body.
//!
//! In keystone mode a token that does not look like one of ours
//! (`tdg_...`) goes to Keystone (`service::keystone`), which decides its
//! project and, through `keystone_roles`, its role; ours keep working
//! there too, so a `*` admin token still opens the server-wide views.
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest};

use super::access_policy::{requirement, Requirement};
use super::context;
use super::state::AppState;
use super::subscriptions::is_link_request;
use crate::config::AuthMode;
use crate::domain::{ProjectId, Role, TokenScope};
use crate::error::{error_chain, ApiError};
use crate::service::api_tokens::{self, Principal};
use crate::service::keystone::{Keystone, Refusal};

/// What the token granted this request.
#[derive(Debug, Clone)]
pub struct Granted {
    /// The project the token is for; None for a `*` token (the request
    /// names the project) and for server-wide views.
    pub project: Option<ProjectId>,
    pub role: Role,
}

pub async fn authorize(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    if let Some(state) = state.filter(|s| s.settings.auth_mode() != AuthMode::None) {
        let needed = requirement(
            req.method(),
            req.match_pattern().as_deref(),
            is_link_request(req.request()),
        );
        match check(&state, req.request(), needed).await {
            Ok(Some(granted)) => {
                req.extensions_mut().insert(granted);
            }
            Ok(None) => {}
            Err(err) => return Ok(req.error_response(err).map_into_right_body()),
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// The token a request presents: `X-Auth-Token` (python-zaqarclient) or
/// `Authorization: Bearer`.
fn presented_token(req: &HttpRequest) -> Option<&str> {
    if let Some(token) = req
        .headers()
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
    {
        return Some(token.trim());
    }
    let auth = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = auth.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

fn forbidden(description: String) -> ApiError {
    ApiError::forbidden("Forbidden", description)
}

async fn check(
    state: &AppState,
    req: &HttpRequest,
    needed: Requirement,
) -> Result<Option<Granted>, ApiError> {
    let (role, server_wide) = match needed {
        Requirement::Public => return Ok(None),
        Requirement::Project(_) if req.headers().contains_key("url-signature") => {
            // Zaqar's pre-signed URLs: the signature binds project, paths,
            // methods and expiry, so it stands in for a token.
            context::check_pre_signed(req)?;
            return Ok(None);
        }
        Requirement::Project(role) => (role, false),
        Requirement::Server(role) => (role, true),
    };
    let Some(presented) = presented_token(req).filter(|t| !t.is_empty()) else {
        return Err(ApiError::Unauthorized {
            description: "This request needs an API token: send it as X-Auth-Token or as Authorization: Bearer.",
        });
    };
    let principal = match &state.keystone {
        Some(keystone) if !presented.starts_with(api_tokens::TOKEN_PREFIX) => {
            keystone_principal(keystone, presented, state.now()).await?
        }
        _ => api_tokens::authenticate(&state.db, presented, state.now())
            .await?
            .map_err(|problem| ApiError::Unauthorized {
                description: problem.describe(),
            })?,
    };
    grant(&principal, req, role, server_wide).map(Some)
}

/// A Keystone token as a principal of one project.
async fn keystone_principal(
    keystone: &Keystone,
    presented: &str,
    now: i64,
) -> Result<Principal, ApiError> {
    let outcome = keystone.authenticate(presented, now).await.map_err(|err| {
        tracing::warn!(error = %error_chain(&err), "Keystone token validation failed");
        ApiError::unavailable(
            "The token could not be validated: Keystone did not answer. Try again shortly.",
        )
    })?;
    match outcome {
        Ok(found) => Ok(Principal {
            scope: TokenScope::Project(found.project),
            role: found.role,
            prefix: format!("of Keystone user {:?}", found.user),
        }),
        Err(Refusal::Invalid) => Err(ApiError::Unauthorized {
            description: "The Keystone token is not valid (unknown, expired or revoked).",
        }),
        Err(Refusal::NoProject) => Err(ApiError::Unauthorized {
            description: "The Keystone token is not scoped to a project: ask Keystone for a project-scoped token.",
        }),
        Err(Refusal::NoMappedRole { roles }) => Err(forbidden(format!(
            "None of this token's Keystone roles ({}) maps to a tidings role (TIDINGS_KEYSTONE_ROLES).",
            roles.join(", ")
        ))),
    }
}

fn grant(
    principal: &Principal,
    req: &HttpRequest,
    role: Role,
    server_wide: bool,
) -> Result<Granted, ApiError> {
    if !principal.role.allows(role) {
        return Err(forbidden(format!(
            "This needs a token with the {role} role; token {} has the {} role.",
            principal.prefix, principal.role
        )));
    }
    match &principal.scope {
        TokenScope::AllProjects => Ok(Granted {
            project: None,
            role: principal.role,
        }),
        TokenScope::Project(_) if server_wide => Err(forbidden(format!(
            "Server-wide views need a token of project *; token {} is for one project.",
            principal.prefix
        ))),
        TokenScope::Project(mine) => {
            if let Some(named) = context::raw_project(req).map(str::trim) {
                if named != mine.as_str() {
                    return Err(forbidden(format!(
                        "Token {} is not valid for the project named in X-Project-Id.",
                        principal.prefix
                    )));
                }
            }
            Ok(Granted {
                project: Some(mine.clone()),
                role: principal.role,
            })
        }
    }
}
