//! `TIDINGS_AUTH=keystone`: a presented `X-Auth-Token` is validated the
//! way keystonemiddleware does it, with `GET /v3/auth/tokens` carrying a
//! service token of tidings' own. Answers are remembered for
//! `keystone_cache_secs` (never past the token's expiry), refusals too,
//! so a flood of bad tokens does not become a flood on Keystone.
mod cache;
mod client;

use std::sync::Arc;

use crate::config::KeystoneSettings;
use crate::domain::{ProjectId, Role};
pub use client::{KeystoneClient, KeystoneError, ValidToken};

use cache::TokenCache;

/// Who a valid Keystone token speaks for, in tidings' terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeystonePrincipal {
    pub project: ProjectId,
    pub role: Role,
    pub user: String,
}

/// Why a Keystone token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Keystone does not know it (or it expired or was revoked): a 401.
    Invalid,
    /// Valid, but not scoped to a project: a 401 too, it cannot act here.
    NoProject,
    /// Valid, but none of its roles maps to a tidings role: a 403.
    NoMappedRole { roles: Vec<String> },
}

pub type Outcome = Result<KeystonePrincipal, Refusal>;

pub struct Keystone {
    settings: KeystoneSettings,
    client: KeystoneClient,
    cache: TokenCache,
}

impl Keystone {
    pub fn new(settings: KeystoneSettings) -> anyhow::Result<Arc<Keystone>> {
        let client = KeystoneClient::new(&settings)?;
        Ok(Arc::new(Keystone {
            cache: TokenCache::new(settings.cache_ms),
            settings,
            client,
        }))
    }

    /// What `token` is worth at `now_ms`: from the cache, else from
    /// Keystone. `Err` only when Keystone could not answer.
    pub async fn authenticate(&self, token: &str, now_ms: i64) -> Result<Outcome, KeystoneError> {
        let key = crate::domain::tokens::hash(token);
        if let Some(known) = self.cache.get(&key, now_ms) {
            return Ok(known);
        }
        let (outcome, expires_ms) = match self.client.validate(token, now_ms).await? {
            None => (Err(Refusal::Invalid), None),
            Some(valid) => (self.judge(&valid), valid.expires_ms),
        };
        self.cache.put(key, outcome.clone(), now_ms, expires_ms);
        Ok(outcome)
    }

    fn judge(&self, valid: &ValidToken) -> Outcome {
        let Some(project) = valid.project_id.as_deref().and_then(ProjectId::parse) else {
            return Err(Refusal::NoProject);
        };
        let Some(role) = self
            .settings
            .role_for(valid.roles.iter().map(String::as_str))
        else {
            return Err(Refusal::NoMappedRole {
                roles: valid.roles.clone(),
            });
        };
        Ok(KeystonePrincipal {
            project,
            role,
            user: valid.user_name.clone(),
        })
    }
}
