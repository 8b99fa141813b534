//! `auth = keystone`: where Keystone is, who tidings is there, and how
//! Keystone roles map to tidings roles.
use anyhow::bail;

use super::{Secret, Settings};
use crate::domain::Role;

/// The Keystone settings, checked.
#[derive(Debug, Clone)]
pub struct KeystoneSettings {
    /// The identity v3 endpoint, without a trailing slash (`.../v3`).
    pub url: String,
    pub user: String,
    pub password: Secret,
    pub project: String,
    pub domain: String,
    /// Keystone role name (lower case) to tidings role.
    pub roles: Vec<(String, Role)>,
    pub cache_ms: i64,
}

impl KeystoneSettings {
    /// The highest tidings role any of `keystone_roles` maps to.
    pub fn role_for<'a>(&self, keystone_roles: impl IntoIterator<Item = &'a str>) -> Option<Role> {
        keystone_roles
            .into_iter()
            .filter_map(|name| {
                let name = name.to_ascii_lowercase();
                self.roles
                    .iter()
                    .find(|(mapped, _)| *mapped == name)
                    .map(|(_, role)| *role)
            })
            .max()
    }
}

/// `KEYSTONE_ROLE=ROLE` pairs.
pub fn role_map(pairs: &[String]) -> anyhow::Result<Vec<(String, Role)>> {
    let mut out = Vec::with_capacity(pairs.len());
    for pair in pairs {
        let Some((keystone, ours)) = pair.split_once('=') else {
            bail!("TIDINGS_KEYSTONE_ROLES: {pair:?} is not KEYSTONE_ROLE=ROLE");
        };
        let keystone = keystone.trim().to_ascii_lowercase();
        let Some(role) = Role::parse(ours) else {
            bail!(
                "TIDINGS_KEYSTONE_ROLES: {:?} is not a role (admin, publisher, subscriber or reader)",
                ours.trim()
            );
        };
        if keystone.is_empty() {
            bail!("TIDINGS_KEYSTONE_ROLES: {pair:?} names no Keystone role");
        }
        if out.iter().any(|(seen, _)| *seen == keystone) {
            bail!("TIDINGS_KEYSTONE_ROLES: Keystone role {keystone:?} is mapped twice");
        }
        out.push((keystone, role));
    }
    Ok(out)
}

impl Settings {
    /// The Keystone settings; an error says which key is missing or wrong.
    pub fn keystone(&self) -> anyhow::Result<KeystoneSettings> {
        let Some(raw) = self.keystone_url.as_deref().map(str::trim) else {
            bail!("TIDINGS_AUTH=keystone needs TIDINGS_KEYSTONE_URL (e.g. http://keystone.example.com:5000/v3)");
        };
        let parsed = url::Url::parse(raw)
            .map_err(|e| anyhow::anyhow!("TIDINGS_KEYSTONE_URL is not a URL ({e}): {raw:?}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            bail!("TIDINGS_KEYSTONE_URL must be an http or https URL, not {raw:?}");
        }
        let mut url = raw.trim_end_matches('/').to_string();
        if !url.ends_with("/v3") {
            url.push_str("/v3");
        }
        let Some(password) = self.keystone_password.clone() else {
            bail!("TIDINGS_AUTH=keystone needs TIDINGS_KEYSTONE_PASSWORD, the password of the service user (TIDINGS_KEYSTONE_USER, default tidings)");
        };
        for (var, value) in [
            ("TIDINGS_KEYSTONE_USER", &self.keystone_user),
            ("TIDINGS_KEYSTONE_PROJECT", &self.keystone_project),
            ("TIDINGS_KEYSTONE_DOMAIN", &self.keystone_domain),
        ] {
            if value.trim().is_empty() {
                bail!("{var} must not be empty");
            }
        }
        let roles = role_map(&self.keystone_roles)?;
        if roles.is_empty() {
            bail!("TIDINGS_KEYSTONE_ROLES maps no Keystone role: every token would be refused");
        }
        Ok(KeystoneSettings {
            url,
            user: self.keystone_user.trim().to_string(),
            password,
            project: self.keystone_project.trim().to_string(),
            domain: self.keystone_domain.trim().to_string(),
            roles,
            cache_ms: i64::try_from(self.keystone_cache_secs.saturating_mul(1000))
                .unwrap_or(i64::MAX),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(raw: &[&str]) -> Vec<String> {
        raw.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn roles_map_and_the_highest_wins() {
        let map = role_map(&pairs(&[
            "Member=subscriber",
            "notifier=publisher",
            "reader=reader",
        ]))
        .unwrap();
        let ks = KeystoneSettings {
            url: String::new(),
            user: String::new(),
            password: Secret::new(String::new()),
            project: String::new(),
            domain: String::new(),
            roles: map,
            cache_ms: 0,
        };
        assert_eq!(ks.role_for(["reader", "member"]), Some(Role::Subscriber));
        assert_eq!(ks.role_for(["NOTIFIER"]), Some(Role::Publisher));
        assert_eq!(ks.role_for(["other"]), None);
        assert_eq!(ks.role_for([]), None);
    }

    fn load(pairs: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let env = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_env_map(&env)
    }

    #[test]
    fn keystone_mode_needs_a_url_and_a_password() {
        let err = load(&[("TIDINGS_AUTH", "keystone")]).unwrap_err();
        assert!(err.to_string().contains("TIDINGS_KEYSTONE_URL"), "{err}");
        let err = load(&[
            ("TIDINGS_AUTH", "keystone"),
            ("TIDINGS_KEYSTONE_URL", "http://127.0.0.1:5000"),
        ])
        .unwrap_err();
        assert!(
            err.to_string().contains("TIDINGS_KEYSTONE_PASSWORD"),
            "{err}"
        );
        let err = load(&[
            ("TIDINGS_AUTH", "keystone"),
            ("TIDINGS_KEYSTONE_URL", "ftp://127.0.0.1"),
            ("TIDINGS_KEYSTONE_PASSWORD", "pw"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("http or https"), "{err}");
        let ok = load(&[
            ("TIDINGS_AUTH", "keystone"),
            ("TIDINGS_BIND", "0.0.0.0:8888"),
            ("TIDINGS_KEYSTONE_URL", "http://127.0.0.1:5000/"),
            ("TIDINGS_KEYSTONE_PASSWORD", "pw"),
        ])
        .unwrap();
        let ks = ok.keystone().unwrap();
        assert_eq!(ks.url, "http://127.0.0.1:5000/v3");
        assert_eq!(ks.role_for(["member"]), Some(Role::Admin));
        assert_eq!(ks.cache_ms, 60_000);
        assert!(
            !format!("{ok:?}").contains("\"pw\""),
            "the password stays out of Debug"
        );
    }

    #[test]
    fn bad_maps_are_refused() {
        for bad in [
            &["member"][..],
            &["member=root"],
            &["=admin"],
            &["a=admin", "A=reader"],
        ] {
            assert!(role_map(&pairs(bad)).is_err(), "{bad:?}");
        }
    }
}
