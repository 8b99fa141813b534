//! The two Keystone v3 calls tidings makes: `POST /v3/auth/tokens` for its
//! own service token (password, scoped to the service project), and
//! `GET /v3/auth/tokens` with `X-Subject-Token` to validate a caller's.
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;

use crate::config::{KeystoneSettings, Secret};
use crate::domain::iso_time::parse_iso8601;

/// Keystone did not answer usefully; the request gets a 503.
#[derive(Debug, thiserror::Error)]
pub enum KeystoneError {
    #[error("Keystone at {url} could not be reached: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("Keystone refused tidings' service credentials (user {user:?}, project {project:?}): HTTP {status}")]
    ServiceLogin {
        user: String,
        project: String,
        status: u16,
    },
    #[error("Keystone answered token validation with HTTP {status}; the service user needs the service or admin role")]
    Validation { status: u16 },
    #[error("Keystone's answer could not be read: {0}")]
    Answer(String),
}

/// The parts of a validated token tidings uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidToken {
    pub project_id: Option<String>,
    pub roles: Vec<String>,
    pub user_name: String,
    pub expires_ms: Option<i64>,
}

#[derive(Deserialize)]
struct TokenBody {
    token: TokenFields,
}

#[derive(Deserialize)]
struct TokenFields {
    expires_at: Option<String>,
    #[serde(default)]
    user: Option<Named>,
    #[serde(default)]
    project: Option<Identified>,
    #[serde(default)]
    roles: Vec<Named>,
}

#[derive(Deserialize)]
struct Named {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct Identified {
    id: String,
}

struct ServiceToken {
    token: Secret,
    /// Renewed a minute before this.
    expires_ms: i64,
}

pub struct KeystoneClient {
    http: reqwest::Client,
    url: String,
    user: String,
    password: Secret,
    project: String,
    domain: String,
    service: Mutex<Option<ServiceToken>>,
}

const SUBJECT_TOKEN: &str = "x-subject-token";
const RENEW_MARGIN_MS: i64 = 60_000;

impl KeystoneClient {
    pub fn new(settings: &KeystoneSettings) -> anyhow::Result<KeystoneClient> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(KeystoneClient {
            http,
            url: settings.url.clone(),
            user: settings.user.clone(),
            password: settings.password.clone(),
            project: settings.project.clone(),
            domain: settings.domain.clone(),
            service: Mutex::new(None),
        })
    }

    fn tokens_url(&self) -> String {
        format!("{}/auth/tokens", self.url)
    }

    fn unreachable(&self, source: reqwest::Error) -> KeystoneError {
        KeystoneError::Unreachable {
            url: self.url.clone(),
            source: source.without_url(),
        }
    }

    /// `Some` for a valid token, `None` for one Keystone does not accept.
    pub async fn validate(
        &self,
        token: &str,
        now_ms: i64,
    ) -> Result<Option<ValidToken>, KeystoneError> {
        // A header value that cannot be sent cannot be a Keystone token.
        if token.is_empty() || reqwest::header::HeaderValue::from_str(token).is_err() {
            return Ok(None);
        }
        for attempt in 0..2 {
            let service = self.service_token(now_ms, attempt > 0).await?;
            let answer = self
                .http
                .get(self.tokens_url())
                .header("x-auth-token", service.expose())
                .header(SUBJECT_TOKEN, token)
                .send()
                .await
                .map_err(|e| self.unreachable(e))?;
            match answer.status().as_u16() {
                200 => return read_token(answer).await.map(Some),
                // Unknown, expired or revoked (Keystone says 404).
                404 => return Ok(None),
                // Our service token lapsed or was revoked: log in again once.
                401 if attempt == 0 => continue,
                status => return Err(KeystoneError::Validation { status }),
            }
        }
        Err(KeystoneError::Validation { status: 401 })
    }

    /// The service token, fetched when there is none, it is about to
    /// expire, or `renew` says Keystone stopped taking it.
    async fn service_token(&self, now_ms: i64, renew: bool) -> Result<Secret, KeystoneError> {
        let mut held = self.service.lock().await;
        if let Some(current) = held.as_ref() {
            if !renew && current.expires_ms - RENEW_MARGIN_MS > now_ms {
                return Ok(current.token.clone());
            }
        }
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": self.user,
                "domain": {"name": self.domain},
                "password": self.password.expose(),
            }}},
            "scope": {"project": {"name": self.project, "domain": {"name": self.domain}}},
        }});
        let answer = self
            .http
            .post(self.tokens_url())
            .json(&body)
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        if answer.status().as_u16() != 201 {
            return Err(KeystoneError::ServiceLogin {
                user: self.user.clone(),
                project: self.project.clone(),
                status: answer.status().as_u16(),
            });
        }
        let token = answer
            .headers()
            .get(SUBJECT_TOKEN)
            .and_then(|v| v.to_str().ok())
            .map(|v| Secret::new(v.to_string()))
            .ok_or_else(|| {
                KeystoneError::Answer("no X-Subject-Token on the service login".into())
            })?;
        let fields = read_token(answer).await?;
        // No expiry given: renew after five minutes.
        let expires_ms = fields
            .expires_ms
            .unwrap_or(now_ms + 5 * 60_000 + RENEW_MARGIN_MS);
        *held = Some(ServiceToken {
            token: token.clone(),
            expires_ms,
        });
        Ok(token)
    }
}

async fn read_token(answer: reqwest::Response) -> Result<ValidToken, KeystoneError> {
    let body: TokenBody = answer
        .json()
        .await
        .map_err(|e| KeystoneError::Answer(e.without_url().to_string()))?;
    let t = body.token;
    Ok(ValidToken {
        project_id: t.project.map(|p| p.id),
        roles: t.roles.into_iter().map(|r| r.name).collect(),
        user_name: t.user.map(|u| u.name).unwrap_or_default(),
        expires_ms: t.expires_at.as_deref().and_then(parse_iso8601),
    })
}
