//! API tokens: issue, authenticate, list, revoke.
//!
//! A token reads `tdg_<8 public characters>_<43 secret characters>`: the
//! secret part is 32 bytes (256 bits) from the OS RNG, URL-safe base64.
//! Only the SHA-256 of the whole token is stored (a token this random needs
//! no slow hash: nobody can guess one to test against the digest). The
//! public part, the prefix, names the token in `tidings token list` and
//! `tidings token revoke`.
use rand::distributions::{Alphanumeric, DistString};
use sea_orm::{ConnectionTrait, DbErr};

use crate::domain::tokens;
use crate::domain::{Role, TokenScope};
use crate::store::api_tokens;
use crate::store::entities::api_token;

pub const TOKEN_PREFIX: &str = "tdg_";
const PUBLIC_CHARS: usize = 8;
/// Nothing longer is hashed or looked up: it cannot be one of ours.
const MAX_TOKEN_LEN: usize = 128;

/// A freshly created token: `secret` is shown once and never stored.
pub struct IssuedToken {
    pub secret: String,
    pub row: api_token::Model,
}

/// Who a valid token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub scope: TokenScope,
    pub role: Role,
    pub prefix: String,
}

/// Why a presented token was refused (each is a 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    Unknown,
    Expired,
    Revoked,
}

impl TokenProblem {
    pub fn describe(self) -> &'static str {
        match self {
            TokenProblem::Unknown => "The token is not valid.",
            TokenProblem::Expired => "The token has expired.",
            TokenProblem::Revoked => "The token has been revoked.",
        }
    }
}

pub async fn create(
    db: &impl ConnectionTrait,
    scope: &TokenScope,
    role: Role,
    expires_at: Option<i64>,
    description: &str,
    now: i64,
) -> Result<IssuedToken, DbErr> {
    let public = Alphanumeric
        .sample_string(&mut rand::rngs::OsRng, PUBLIC_CHARS)
        .to_ascii_lowercase();
    let prefix = format!("{TOKEN_PREFIX}{public}");
    let secret = format!("{prefix}_{}", tokens::generate());
    let row = api_token::Model {
        id: uuid::Uuid::new_v4().to_string(),
        prefix,
        token_hash: tokens::hash(&secret),
        project: scope.as_str().to_string(),
        role: role.as_str().to_string(),
        description: description.to_string(),
        created_at: now,
        expires_at,
        revoked_at: None,
    };
    api_tokens::insert(db, row.clone()).await?;
    Ok(IssuedToken { secret, row })
}

/// The principal behind `presented`, or why there is none.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    presented: &str,
    now: i64,
) -> Result<Result<Principal, TokenProblem>, DbErr> {
    let presented = presented.trim();
    if presented.is_empty() || presented.len() > MAX_TOKEN_LEN {
        return Ok(Err(TokenProblem::Unknown));
    }
    let Some(row) = api_tokens::find_by_hash(db, &tokens::hash(presented)).await? else {
        return Ok(Err(TokenProblem::Unknown));
    };
    if !tokens::hash_matches(&row.token_hash, presented) {
        return Ok(Err(TokenProblem::Unknown));
    }
    if row.revoked_at.is_some() {
        return Ok(Err(TokenProblem::Revoked));
    }
    if row.expires_at.is_some_and(|at| at <= now) {
        return Ok(Err(TokenProblem::Expired));
    }
    let (Some(scope), Some(role)) = (TokenScope::parse(&row.project), Role::parse(&row.role))
    else {
        // Written by this module only; a row that does not parse is
        // treated as no token rather than trusted.
        return Ok(Err(TokenProblem::Unknown));
    };
    Ok(Ok(Principal {
        scope,
        role,
        prefix: row.prefix,
    }))
}

pub async fn list(
    db: &impl ConnectionTrait,
    project: Option<&str>,
) -> Result<Vec<api_token::Model>, DbErr> {
    api_tokens::list(db, project).await
}

/// Revokes by prefix (`tdg_xxxxxxxx`); a whole token is accepted too and
/// cut to its prefix, so a leaked token can be pasted as it is.
pub async fn revoke(db: &impl ConnectionTrait, prefix: &str, now: i64) -> Result<bool, DbErr> {
    api_tokens::revoke(db, prefix_of(prefix), now).await
}

/// The public prefix of a token or prefix.
pub fn prefix_of(token: &str) -> &str {
    let token = token.trim();
    let end = TOKEN_PREFIX.len() + PUBLIC_CHARS;
    if token.starts_with(TOKEN_PREFIX) && token.len() >= end && token.is_char_boundary(end) {
        &token[..end]
    } else {
        token
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_of;

    #[test]
    fn prefixes() {
        assert_eq!(prefix_of("tdg_abcd1234_secretsecret"), "tdg_abcd1234");
        assert_eq!(prefix_of(" tdg_abcd1234 "), "tdg_abcd1234");
        assert_eq!(prefix_of("other"), "other");
    }
}
