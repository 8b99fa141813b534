//! One settings tree: defaults, then the TOML file named by `TIDINGS_CONFIG`,
//! then `TIDINGS_*` environment variables. Validated once at load so the rest
//! of the program can trust it.
use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use indexmap::IndexMap;
use serde::Deserialize;

use crate::routing::{NotificationType, NotificationTypes, Policy, Router};

/// Every environment variable tidings reads, with its meaning and default.
/// `tidings --help` prints this table, and the README repeats it.
pub const ENV_VARS: &[(&str, &str, &str)] = &[
    (
        "TIDINGS_CONFIG",
        "path of an optional TOML file with the keys below (lower case, without the prefix)",
        "(none)",
    ),
    ("TIDINGS_BIND", "listen address", "127.0.0.1:8888"),
    (
        "TIDINGS_AUTH",
        "none (trust X-Project-Id) or token (API tokens from `tidings token create`); none on a non-loopback bind only when set explicitly",
        "none while bind is loopback, else required",
    ),
    (
        "TIDINGS_PROJECT_RATE_LIMIT",
        "API requests per second per project (fractions allowed; 0: no limit); over it, 429 with Retry-After",
        "100 with TIDINGS_AUTH=token, 0 with none",
    ),
    (
        "TIDINGS_PROJECT_BURST",
        "API requests a project may make at once above its rate",
        "twice the rate (at least 1)",
    ),
    (
        "TIDINGS_CONFIRMATIONS_PER_ADDRESS_HOUR",
        "confirmation emails one address may get per hour, across all projects; more is a 429 that changes nothing",
        "5",
    ),
    (
        "TIDINGS_PAGE_RATE_PER_MINUTE",
        "requests per minute per client IP on the public pages (email links); 0: no limit",
        "30",
    ),
    (
        "TIDINGS_DATABASE_URL",
        "sqlite://path?mode=rwc or postgres://...",
        "sqlite://tidings.db?mode=rwc",
    ),
    (
        "TIDINGS_PUBLIC_URL",
        "base URL put into links in emails",
        "http:// + bind",
    ),
    (
        "TIDINGS_MAIL_URL",
        "smtp://[user:pass@]host[:port][?tls=starttls|required], smtps://... (implicit TLS, port 465), sendmail, sendmail:/path, file:/dir",
        "file:./var/mail",
    ),
    (
        "TIDINGS_MAIL_FROM",
        "default From header",
        "tidings <no-reply@localhost>",
    ),
    (
        "TIDINGS_REQUIRE_CONFIRMATION",
        "which subscriber schemes start inactive: mailto, all, none",
        "mailto",
    ),
    (
        "TIDINGS_WEBHOOK_ALLOW_NETS",
        "comma-separated CIDRs a webhook may reach although private/loopback",
        "(empty: deny private)",
    ),
    (
        "TIDINGS_AMQP_EXCHANGE",
        "exchange for amqp:// subscribers that name none (declared topic and durable if missing)",
        "amq.topic",
    ),
    (
        "TIDINGS_TEMPLATES_DIR",
        "directory whose email/ and page/ templates replace the built-in ones, file by file",
        "(none: built-in templates)",
    ),
    ("TIDINGS_LOG_FORMAT", "log output: text or json", "text"),
    (
        "TIDINGS_LOG",
        "log filter (tracing EnvFilter syntax)",
        "info",
    ),
    (
        "TIDINGS_SWEEP_INTERVAL_SECS",
        "how often expired messages, claims and subscriptions are swept",
        "30",
    ),
    (
        "TIDINGS_CONFIRMATION_RESEND_SECS",
        "a re-POSTed pending subscription re-sends its confirmation at most once per this many seconds",
        "300",
    ),
    (
        "TIDINGS_CONFIRM_TOKEN_TTL_SECS",
        "how long an emailed confirmation link stays valid",
        "172800 (48 h)",
    ),
    (
        "TIDINGS_SECRET_KEY",
        "key for signed URLs and unsubscribe links (at least 32 characters)",
        "(generated on first start and kept in the database)",
    ),
    (
        "TIDINGS_DELIVERY_CONCURRENCY",
        "delivery attempts in flight at once, across all subscriptions",
        "256",
    ),
    (
        "TIDINGS_DELIVERY_PER_SUBSCRIPTION",
        "delivery attempts in flight at once to one subscription",
        "16",
    ),
    (
        "TIDINGS_DELIVERY_LEASE_SECS",
        "how long a worker owns a delivery it took; after a crash another takes over",
        "120",
    ),
    (
        "TIDINGS_DELIVERY_RETENTION_DAYS",
        "how long finished deliveries (and dead letters) and their attempt logs are kept",
        "14",
    ),
];

/// A secret that never shows up in `Debug` output or logs.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequireConfirmation {
    Mailto,
    All,
    None,
}

/// One `[notification_types.NAME]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationTypeSettings {
    #[serde(default)]
    pub description: String,
    pub schemes: Vec<String>,
}

/// Who may call the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// Zaqar's noauth: `X-Project-Id` is trusted.
    None,
    /// Every API call carries a token from `tidings token create`.
    Token,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub bind: String,
    /// Unset: `none`, allowed only while `bind` is a loopback address.
    pub auth: Option<AuthMode>,
    /// Unset: 100 in token mode, none otherwise.
    pub project_rate_limit: Option<f64>,
    pub project_burst: Option<u32>,
    pub confirmations_per_address_hour: u32,
    pub page_rate_per_minute: u32,
    pub database_url: String,
    pub public_url: Option<String>,
    pub mail_url: String,
    pub mail_from: String,
    pub require_confirmation: RequireConfirmation,
    pub webhook_allow_nets: Vec<String>,
    pub amqp_exchange: String,
    pub templates_dir: Option<std::path::PathBuf>,
    pub log_format: LogFormat,
    pub log: String,
    pub sweep_interval_secs: u64,
    pub confirmation_resend_interval_secs: u64,
    pub confirm_token_ttl_secs: u64,
    pub secret_key: Option<Secret>,
    pub delivery_concurrency: usize,
    pub delivery_per_subscription: usize,
    pub delivery_lease_secs: u64,
    pub delivery_retention_days: u64,
    /// `[notification_types.NAME]` tables (TOML only): replace the
    /// built-in type of that name or add one.
    pub notification_types: IndexMap<String, NotificationTypeSettings>,
    /// false: only the declared notification types exist.
    pub builtin_notification_types: bool,
    /// `[supported_notifications]` (TOML only): event type (or "*") → the
    /// notification types it may be sent as, for every queue without its
    /// own `_supported_notifications`.
    pub supported_notifications: IndexMap<String, Vec<String>>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: "127.0.0.1:8888".into(),
            auth: None,
            project_rate_limit: None,
            project_burst: None,
            confirmations_per_address_hour: 5,
            page_rate_per_minute: 30,
            database_url: "sqlite://tidings.db?mode=rwc".into(),
            public_url: None,
            mail_url: "file:./var/mail".into(),
            mail_from: "tidings <no-reply@localhost>".into(),
            require_confirmation: RequireConfirmation::Mailto,
            webhook_allow_nets: Vec::new(),
            amqp_exchange: crate::domain::amqp_target::AMQ_TOPIC.into(),
            templates_dir: None,
            log_format: LogFormat::Text,
            log: "info".into(),
            sweep_interval_secs: 30,
            confirmation_resend_interval_secs: 300,
            confirm_token_ttl_secs: 172_800,
            secret_key: None,
            delivery_concurrency: 256,
            delivery_per_subscription: 16,
            delivery_lease_secs: 120,
            delivery_retention_days: 14,
            notification_types: IndexMap::new(),
            builtin_notification_types: true,
            supported_notifications: IndexMap::new(),
        }
    }
}

impl Settings {
    /// Loads from the process environment.
    pub fn load() -> anyhow::Result<Settings> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Settings::from_env_map(&env)
    }

    /// Loads from an explicit variable map (tests use this to stay hermetic).
    pub fn from_env_map(env: &HashMap<String, String>) -> anyhow::Result<Settings> {
        let mut settings = match env.get("TIDINGS_CONFIG").filter(|p| !p.is_empty()) {
            Some(path) => Settings::from_file(Path::new(path))?,
            None => Settings::default(),
        };
        settings.apply_env(env)?;
        settings.validate()?;
        Ok(settings)
    }

    fn from_file(path: &Path) -> anyhow::Result<Settings> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading TIDINGS_CONFIG file {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("parsing TIDINGS_CONFIG file {}", path.display()))
    }

    fn apply_env(&mut self, env: &HashMap<String, String>) -> anyhow::Result<()> {
        let get = |key: &str| {
            env.get(key)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        if let Some(v) = get("TIDINGS_BIND") {
            self.bind = v;
        }
        if let Some(v) = get("TIDINGS_AUTH") {
            self.auth = Some(match v.to_ascii_lowercase().as_str() {
                "none" => AuthMode::None,
                "token" => AuthMode::Token,
                other => bail!("TIDINGS_AUTH must be none or token, not {other:?}"),
            });
        }
        if let Some(v) = get("TIDINGS_PROJECT_RATE_LIMIT") {
            self.project_rate_limit = Some(v.parse().with_context(|| {
                format!(
                    "TIDINGS_PROJECT_RATE_LIMIT must be a number of requests per second, not {v:?}"
                )
            })?);
        }
        if let Some(v) = get("TIDINGS_PROJECT_BURST") {
            self.project_burst = Some(v.parse().with_context(|| {
                format!("TIDINGS_PROJECT_BURST must be a whole number, not {v:?}")
            })?);
        }
        parse_number(
            &get,
            "TIDINGS_CONFIRMATIONS_PER_ADDRESS_HOUR",
            &mut self.confirmations_per_address_hour,
        )?;
        parse_number(
            &get,
            "TIDINGS_PAGE_RATE_PER_MINUTE",
            &mut self.page_rate_per_minute,
        )?;
        if let Some(v) = get("TIDINGS_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = get("TIDINGS_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = get("TIDINGS_MAIL_URL") {
            self.mail_url = v;
        }
        if let Some(v) = get("TIDINGS_MAIL_FROM") {
            self.mail_from = v;
        }
        if let Some(v) = get("TIDINGS_REQUIRE_CONFIRMATION") {
            self.require_confirmation = match v.to_ascii_lowercase().as_str() {
                "mailto" => RequireConfirmation::Mailto,
                "all" => RequireConfirmation::All,
                "none" => RequireConfirmation::None,
                other => {
                    bail!("TIDINGS_REQUIRE_CONFIRMATION must be mailto, all or none, not {other:?}")
                }
            };
        }
        if let Some(v) = get("TIDINGS_WEBHOOK_ALLOW_NETS") {
            self.webhook_allow_nets = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
        }
        if let Some(v) = get("TIDINGS_AMQP_EXCHANGE") {
            self.amqp_exchange = v;
        }
        if let Some(v) = get("TIDINGS_TEMPLATES_DIR") {
            self.templates_dir = Some(v.into());
        }
        if let Some(v) = get("TIDINGS_LOG_FORMAT") {
            self.log_format = match v.to_ascii_lowercase().as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => bail!("TIDINGS_LOG_FORMAT must be text or json, not {other:?}"),
            };
        }
        if let Some(v) = get("TIDINGS_LOG") {
            self.log = v;
        }
        if let Some(v) = get("TIDINGS_SWEEP_INTERVAL_SECS") {
            self.sweep_interval_secs = v.parse().with_context(|| {
                format!("TIDINGS_SWEEP_INTERVAL_SECS must be a whole number of seconds, not {v:?}")
            })?;
        }
        if let Some(v) = get("TIDINGS_CONFIRMATION_RESEND_SECS") {
            self.confirmation_resend_interval_secs = v.parse().with_context(|| {
                format!(
                    "TIDINGS_CONFIRMATION_RESEND_SECS must be a whole number of seconds, not {v:?}"
                )
            })?;
        }
        if let Some(v) = get("TIDINGS_CONFIRM_TOKEN_TTL_SECS") {
            self.confirm_token_ttl_secs = v.parse().with_context(|| {
                format!(
                    "TIDINGS_CONFIRM_TOKEN_TTL_SECS must be a whole number of seconds, not {v:?}"
                )
            })?;
        }
        if let Some(v) = get("TIDINGS_SECRET_KEY") {
            self.secret_key = Some(Secret(v));
        }
        parse_number(
            &get,
            "TIDINGS_DELIVERY_CONCURRENCY",
            &mut self.delivery_concurrency,
        )?;
        parse_number(
            &get,
            "TIDINGS_DELIVERY_PER_SUBSCRIPTION",
            &mut self.delivery_per_subscription,
        )?;
        parse_number(
            &get,
            "TIDINGS_DELIVERY_LEASE_SECS",
            &mut self.delivery_lease_secs,
        )?;
        parse_number(
            &get,
            "TIDINGS_DELIVERY_RETENTION_DAYS",
            &mut self.delivery_retention_days,
        )?;
        Ok(())
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.bind.parse::<std::net::SocketAddr>().is_err() && !self.bind.contains(':') {
            bail!("TIDINGS_BIND must be host:port, not {:?}", self.bind);
        }
        if self.auth.is_none() && !self.bind_is_loopback() {
            bail!(
                "TIDINGS_BIND={} is reachable from other machines, and without authentication anyone there could read and write every project: set TIDINGS_AUTH=token (and create a token with `tidings token create`), or TIDINGS_AUTH=none to accept that",
                self.bind
            );
        }
        if self
            .project_rate_limit
            .is_some_and(|r| !r.is_finite() || r < 0.0)
        {
            bail!("TIDINGS_PROJECT_RATE_LIMIT must be 0 or more requests per second");
        }
        if self.confirmations_per_address_hour == 0 {
            bail!("TIDINGS_CONFIRMATIONS_PER_ADDRESS_HOUR must be at least 1");
        }
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            bail!("TIDINGS_DATABASE_URL must start with sqlite:, postgres:// or postgresql://");
        }
        if let Some(public) = &self.public_url {
            let parsed = url::Url::parse(public)
                .with_context(|| format!("TIDINGS_PUBLIC_URL is not a URL: {public:?}"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                bail!("TIDINGS_PUBLIC_URL must be an http or https URL");
            }
        }
        crate::domain::amqp_target::ExchangeName::parse(&self.amqp_exchange)
            .map_err(|e| anyhow::anyhow!("TIDINGS_AMQP_EXCHANGE: {e}"))?;
        if self.confirm_token_ttl_secs < 60 {
            bail!("TIDINGS_CONFIRM_TOKEN_TTL_SECS must be at least 60");
        }
        if let Some(key) = &self.secret_key {
            // Short keys make every signed link guessable offline.
            if key.expose().len() < 32 {
                bail!("TIDINGS_SECRET_KEY must be at least 32 characters");
            }
        }
        if self.delivery_concurrency == 0 || self.delivery_per_subscription == 0 {
            bail!("TIDINGS_DELIVERY_CONCURRENCY and TIDINGS_DELIVERY_PER_SUBSCRIPTION must be at least 1");
        }
        if self.delivery_lease_secs < 2 {
            bail!("TIDINGS_DELIVERY_LEASE_SECS must be at least 2");
        }
        if self.delivery_retention_days == 0 {
            bail!("TIDINGS_DELIVERY_RETENTION_DAYS must be at least 1");
        }
        if self.sweep_interval_secs == 0 {
            bail!("TIDINGS_SWEEP_INTERVAL_SECS must be at least 1");
        }
        self.router()?;
        Ok(())
    }

    /// The notification types: the built-ins with the declared tables
    /// applied.
    pub fn notification_types(&self) -> anyhow::Result<NotificationTypes> {
        let declared = self
            .notification_types
            .iter()
            .map(|(name, t)| NotificationType {
                name: name.clone(),
                description: t.description.clone(),
                schemes: t.schemes.clone(),
            })
            .collect();
        NotificationTypes::new(declared, self.builtin_notification_types)
            .map_err(|why| anyhow::anyhow!("[notification_types]: {why}"))
    }

    /// The routing configuration: notification types and the server-wide
    /// supported notifications.
    pub fn router(&self) -> anyhow::Result<Router> {
        let types = self.notification_types()?;
        let policy = Policy::new(self.supported_notifications.clone(), &types)
            .map_err(|why| anyhow::anyhow!("[supported_notifications]: {why}"))?;
        Ok(Router::new(types, policy))
    }

    /// The authentication in force (`none` when unset on loopback).
    pub fn auth_mode(&self) -> AuthMode {
        self.auth.unwrap_or(AuthMode::None)
    }

    /// Requests per second per project in force (0: no limit) and the burst.
    pub fn project_rate(&self) -> (f64, u32) {
        let rate = self.project_rate_limit.unwrap_or(match self.auth_mode() {
            AuthMode::Token => 100.0,
            AuthMode::None => 0.0,
        });
        let burst = self
            .project_burst
            .unwrap_or((rate * 2.0).ceil().min(u32::MAX as f64) as u32)
            .max(1);
        (rate, burst)
    }

    /// True when `bind` only accepts connections from this machine.
    pub fn bind_is_loopback(&self) -> bool {
        if let Ok(addr) = self.bind.parse::<std::net::SocketAddr>() {
            return addr.ip().is_loopback();
        }
        let host = self
            .bind
            .rsplit_once(':')
            .map_or(self.bind.as_str(), |(h, _)| h);
        host.eq_ignore_ascii_case("localhost")
    }

    /// The base URL for links in emails, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.bind),
        }
    }
}

/// Overrides `target` with the variable's value, if set, naming the variable
/// when the value is not a whole number.
fn parse_number<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    key: &str,
    target: &mut T,
) -> anyhow::Result<()> {
    if let Some(v) = get(key) {
        *target = v
            .parse()
            .map_err(|_| anyhow::anyhow!("{key} must be a whole number, not {v:?}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Every variable this module reads is documented in `ENV_VARS`, which
    /// `--help` prints and the README mirrors.
    #[test]
    fn every_variable_read_is_documented() {
        let source = include_str!("config.rs");
        let documented: Vec<&str> = ENV_VARS.iter().map(|(name, _, _)| *name).collect();
        for piece in source
            .split("get(\"")
            .skip(1)
            .chain(source.split("&get,\n            \"").skip(1))
        {
            let name: String = piece
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            if name.starts_with("TIDINGS_") {
                assert!(
                    documented.contains(&name.as_str()),
                    "{name} is read but not in ENV_VARS"
                );
            }
        }
    }

    /// The README's configuration table lists every variable, one row each.
    #[test]
    fn readme_table_lists_every_variable() {
        let readme = include_str!("../README.md");
        for (name, _, _) in ENV_VARS {
            let row = format!("| `{name}` |");
            assert_eq!(
                readme.matches(&row).count(),
                1,
                "README.md needs exactly one configuration row for {name}"
            );
        }
    }

    #[test]
    fn defaults_follow_the_contract() {
        let s = Settings::from_env_map(&env(&[])).unwrap();
        assert_eq!(s.bind, "127.0.0.1:8888");
        assert_eq!(s.database_url, "sqlite://tidings.db?mode=rwc");
        assert_eq!(s.public_url(), "http://127.0.0.1:8888");
        assert_eq!(s.mail_url, "file:./var/mail");
        assert_eq!(s.require_confirmation, RequireConfirmation::Mailto);
        assert_eq!(s.templates_dir, None);
        assert_eq!(s.confirmation_resend_interval_secs, 300);
        assert_eq!(s.confirm_token_ttl_secs, 172_800);
        assert!(s.secret_key.is_none());
    }

    #[test]
    fn secret_key_is_checked_and_never_printed() {
        let err = Settings::from_env_map(&env(&[("TIDINGS_SECRET_KEY", "short")])).unwrap_err();
        assert!(err.to_string().contains("TIDINGS_SECRET_KEY"));
        let key = "k".repeat(40);
        let s = Settings::from_env_map(&env(&[("TIDINGS_SECRET_KEY", &key)])).unwrap();
        assert!(!format!("{s:?}").contains(&key));
    }

    #[test]
    fn templates_dir_comes_from_file_or_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(&path, "templates_dir = \"/etc/tidings/templates\"\n").unwrap();
        let from_file =
            Settings::from_env_map(&env(&[("TIDINGS_CONFIG", path.to_str().unwrap())])).unwrap();
        assert_eq!(
            from_file.templates_dir,
            Some(std::path::PathBuf::from("/etc/tidings/templates"))
        );
        let from_env =
            Settings::from_env_map(&env(&[("TIDINGS_TEMPLATES_DIR", "./my-templates")])).unwrap();
        assert_eq!(
            from_env.templates_dir,
            Some(std::path::PathBuf::from("./my-templates"))
        );
    }

    #[test]
    fn environment_overrides_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(
            &path,
            "bind = \"127.0.0.1:9000\"\nmail_from = \"a <a@b.c>\"\n",
        )
        .unwrap();
        let s = Settings::from_env_map(&env(&[
            ("TIDINGS_CONFIG", path.to_str().unwrap()),
            ("TIDINGS_BIND", "127.0.0.1:9001"),
            ("TIDINGS_WEBHOOK_ALLOW_NETS", "127.0.0.0/8, ::1/128"),
        ]))
        .unwrap();
        assert_eq!(s.bind, "127.0.0.1:9001");
        assert_eq!(s.mail_from, "a <a@b.c>");
        assert_eq!(s.webhook_allow_nets, vec!["127.0.0.0/8", "::1/128"]);
    }

    fn from_toml(text: &str) -> anyhow::Result<Settings> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(&path, text).unwrap();
        Settings::from_env_map(&env(&[("TIDINGS_CONFIG", path.to_str().unwrap())]))
    }

    #[test]
    fn notification_types_and_supported_notifications_are_tables() {
        let s = from_toml(
            r#"
[notification_types.text]
description = "Text message notification."
schemes = ["https"]

[notification_types.email]
description = "Email notification."
schemes = ["mailto"]

[supported_notifications]
"Pod:PodFailed" = ["email"]
"DeploymentConfig:Failed" = ["email", "text"]
"#,
        )
        .unwrap();
        let router = s.router().unwrap();
        let names: Vec<&str> = router
            .types()
            .all()
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(names, ["email", "webhook", "amqp", "text"]);
        let policy = router.policy_for(&serde_json::Map::new());
        assert_eq!(policy.source, crate::routing::PolicySource::Server);
        // The file's order is kept.
        assert_eq!(
            policy.to_json()["event_types"].to_string(),
            r#"{"Pod:PodFailed":["email"],"DeploymentConfig:Failed":["email","text"]}"#
        );
        let defaults = Settings::from_env_map(&env(&[])).unwrap().router().unwrap();
        assert_eq!(defaults.types().all().len(), 3);
        let only = from_toml("builtin_notification_types = false\n").unwrap();
        assert!(only.router().unwrap().types().is_empty());
    }

    #[test]
    fn bad_notification_tables_are_refused_at_load() {
        let cases = [
            ("[notification_types.text]\nschemes = [\"sms\"]\n", "[notification_types]"),
            ("[notification_types.text]\ndescription = \"x\"\n", "schemes"),
            ("[supported_notifications]\n\"Pod:PodFailed\" = [\"fax\"]\n", "[supported_notifications]"),
            ("builtin_notification_types = false\n[supported_notifications]\n\"a\" = [\"email\"]\n", "declares no notification types"),
        ];
        for (text, expect) in cases {
            let err = format!("{:#}", from_toml(text).unwrap_err());
            assert!(err.contains(expect), "{text}: {err}");
        }
    }

    #[test]
    fn bad_values_are_refused_with_the_variable_named() {
        let err =
            Settings::from_env_map(&env(&[("TIDINGS_REQUIRE_CONFIRMATION", "maybe")])).unwrap_err();
        assert!(err.to_string().contains("TIDINGS_REQUIRE_CONFIRMATION"));
        let err =
            Settings::from_env_map(&env(&[("TIDINGS_DATABASE_URL", "mysql://x")])).unwrap_err();
        assert!(err.to_string().contains("TIDINGS_DATABASE_URL"));
        let err = Settings::from_env_map(&env(&[("TIDINGS_AMQP_EXCHANGE", "not ok")])).unwrap_err();
        assert!(err.to_string().contains("TIDINGS_AMQP_EXCHANGE"));
    }

    #[test]
    fn auth_none_only_on_loopback_unless_explicit() {
        let s = Settings::from_env_map(&env(&[])).unwrap();
        assert_eq!(s.auth_mode(), AuthMode::None);
        for bind in [
            "0.0.0.0:8888",
            "[::]:8888",
            "10.1.2.3:80",
            "example.org:8888",
        ] {
            let err = Settings::from_env_map(&env(&[("TIDINGS_BIND", bind)])).unwrap_err();
            assert!(
                err.to_string().contains("TIDINGS_AUTH=token"),
                "{bind}: {err}"
            );
            let none =
                Settings::from_env_map(&env(&[("TIDINGS_BIND", bind), ("TIDINGS_AUTH", "none")]))
                    .unwrap();
            assert_eq!(none.auth_mode(), AuthMode::None);
            let token =
                Settings::from_env_map(&env(&[("TIDINGS_BIND", bind), ("TIDINGS_AUTH", "TOKEN")]))
                    .unwrap();
            assert_eq!(token.auth_mode(), AuthMode::Token);
        }
        for bind in ["127.0.0.1:0", "[::1]:8888", "localhost:8888", "127.0.0.2:1"] {
            assert!(
                Settings::from_env_map(&env(&[("TIDINGS_BIND", bind)])).is_ok(),
                "{bind}"
            );
        }
        let err = Settings::from_env_map(&env(&[("TIDINGS_AUTH", "keystone")])).unwrap_err();
        assert!(err.to_string().contains("TIDINGS_AUTH"), "{err}");
    }

    #[test]
    fn amqp_exchange_defaults_to_amq_topic() {
        assert_eq!(
            Settings::from_env_map(&env(&[])).unwrap().amqp_exchange,
            "amq.topic"
        );
        let s = Settings::from_env_map(&env(&[("TIDINGS_AMQP_EXCHANGE", "pulp")])).unwrap();
        assert_eq!(s.amqp_exchange, "pulp");
    }
}
