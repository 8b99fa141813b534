//! One settings tree: defaults, then the TOML file named by `TIDINGS_CONFIG`,
//! then `TIDINGS_*` environment variables. Validated once at load so the rest
//! of the program can trust it.
use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use indexmap::IndexMap;
use serde::Deserialize;
use toml::{Table, Value};

use crate::routing::{NotificationType, NotificationTypes, Policy, Router};

mod keys;
mod keystone;

pub use keys::{key, variables, Key, Kind, CONFIG_VAR, ENV_PREFIX, KEYS, TABLE_KEYS};
pub use keystone::KeystoneSettings;

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
    /// Every API call carries a Keystone token (`X-Auth-Token`), which
    /// Keystone validates; tokens from `tidings token create` work too.
    Keystone,
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
    pub keystone_url: Option<String>,
    pub keystone_user: String,
    pub keystone_password: Option<Secret>,
    pub keystone_project: String,
    pub keystone_domain: String,
    pub keystone_roles: Vec<String>,
    pub keystone_cache_secs: u64,
    /// Unset: 100 in token mode, none otherwise.
    pub project_rate_limit: Option<f64>,
    pub project_burst: Option<u32>,
    pub confirmations_per_address_hour: u32,
    pub page_rate_per_minute: u32,
    pub database_url: String,
    pub public_url: Option<String>,
    pub mail_url: String,
    pub mail_from: String,
    /// VERP envelope sender with `{token}` (None: the From address).
    pub bounce_address: Option<String>,
    pub soft_bounce_limit: u32,
    pub require_confirmation: RequireConfirmation,
    pub webhook_allow_nets: Vec<String>,
    pub amqp_exchange: String,
    pub templates_dir: Option<std::path::PathBuf>,
    pub log_format: LogFormat,
    pub log: String,
    pub sweep_interval_secs: u64,
    #[serde(rename = "confirmation_resend_secs")]
    pub confirmation_resend_interval_secs: u64,
    pub confirm_token_ttl_secs: u64,
    pub secret_key: Option<Secret>,
    /// Encrypts message bodies at rest (None: generated, kept in the database).
    pub message_key: Option<Secret>,
    /// Earlier message keys, comma-separated: they open, never seal.
    pub message_old_keys: Option<Secret>,
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
            keystone_url: None,
            keystone_user: "tidings".into(),
            keystone_password: None,
            keystone_project: "service".into(),
            keystone_domain: "Default".into(),
            keystone_roles: vec![
                "admin=admin".into(),
                "member=admin".into(),
                "reader=reader".into(),
            ],
            keystone_cache_secs: 60,
            project_rate_limit: None,
            project_burst: None,
            confirmations_per_address_hour: 5,
            page_rate_per_minute: 30,
            database_url: "sqlite://tidings.db?mode=rwc".into(),
            public_url: None,
            mail_url: "file:./var/mail".into(),
            mail_from: "tidings <no-reply@localhost>".into(),
            bounce_address: None,
            soft_bounce_limit: 3,
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
            message_key: None,
            message_old_keys: None,
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
    /// The keys of `TIDINGS_MESSAGE_OLD_KEYS`, in order.
    pub fn old_message_keys(&self) -> Vec<&str> {
        self.message_old_keys
            .as_ref()
            .map(|keys| {
                keys.expose()
                    .split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Loads from the process environment.
    pub fn load() -> anyhow::Result<Settings> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Settings::from_env_map(&env)
    }

    /// Loads from an explicit variable map (tests use this to stay hermetic).
    pub fn from_env_map(env: &HashMap<String, String>) -> anyhow::Result<Settings> {
        let mut table = match env.get(CONFIG_VAR).filter(|p| !p.trim().is_empty()) {
            Some(path) => file_table(Path::new(path.trim()))?,
            None => Table::new(),
        };
        for key in KEYS {
            let var = key.env_var();
            let Some(text) = env.get(&var).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
                continue;
            };
            let value = checked(key.name, Value::String(text.to_string()))
                .map_err(|why| anyhow::anyhow!("{var} {why}"))?;
            table.insert(key.name.to_string(), value);
        }
        let settings: Settings = Value::Table(table)
            .try_into()
            .context("reading the configuration")?;
        settings.validate()?;
        Ok(settings)
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
        if self.auth_mode() == AuthMode::Keystone {
            self.keystone()?;
        }
        if self
            .project_rate_limit
            .is_some_and(|r| !r.is_finite() || r < 0.0)
        {
            bail!("TIDINGS_PROJECT_RATE_LIMIT must be 0 or more requests per second");
        }
        if let Some(address) = &self.bounce_address {
            crate::domain::verp::check_bounce_address(address)
                .map_err(|why| anyhow::anyhow!("TIDINGS_BOUNCE_ADDRESS {why}"))?;
        }
        if self.soft_bounce_limit == 0 {
            bail!("TIDINGS_SOFT_BOUNCE_LIMIT must be at least 1");
        }
        if self.confirmations_per_address_hour == 0 {
            bail!("TIDINGS_CONFIRMATIONS_PER_ADDRESS_HOUR must be at least 1");
        }
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://")
            || self.database_url.starts_with("mysql://"))
        {
            bail!("TIDINGS_DATABASE_URL must start with sqlite:, postgres://, postgresql:// or mysql://");
        }
        if let Some(public) = &self.public_url {
            let parsed = url::Url::parse(public)
                .with_context(|| format!("TIDINGS_PUBLIC_URL is not a URL: {public:?}"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                bail!("TIDINGS_PUBLIC_URL must be an http or https URL");
            }
        }
        tracing_subscriber::EnvFilter::try_new(&self.log).map_err(|e| {
            anyhow::anyhow!(
                "TIDINGS_LOG is not a log filter ({e}): write levels and targets such as info or warn,tidings=debug, not {:?}",
                self.log
            )
        })?;
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
        if let Some(key) = &self.message_key {
            if key.expose().len() < 32 {
                bail!("TIDINGS_MESSAGE_KEY must be at least 32 characters");
            }
        }
        if self.old_message_keys().iter().any(|k| k.len() < 32) {
            bail!("each key in TIDINGS_MESSAGE_OLD_KEYS must be at least 32 characters");
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
            AuthMode::Token | AuthMode::Keystone => 100.0,
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

/// The TOML file's keys, each checked and brought into shape, so that a
/// mistake names the key and the file.
fn file_table(path: &Path) -> anyhow::Result<Table> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading {CONFIG_VAR} file {shown}"))?;
    let raw: Table =
        toml::from_str(&text).with_context(|| format!("parsing {CONFIG_VAR} file {shown}"))?;
    let mut table = Table::new();
    for (name, value) in raw {
        let value =
            checked(&name, value).map_err(|why| anyhow::anyhow!("{shown}: {name} {why}"))?;
        table.insert(name, value);
    }
    Ok(table)
}

/// `value` for the key `name` in the shape `Settings` reads, or why not.
fn checked(name: &str, value: Value) -> Result<Value, String> {
    let value = match key(name) {
        Some(key) => key.kind.normalize(value)?,
        None if TABLE_KEYS.contains(&name) => value,
        None => return Err(unknown_key(name)),
    };
    // The key alone through the real deserializer: type errors inside
    // tables come out here, attributed to this key.
    let mut alone = Table::new();
    alone.insert(name.to_string(), value.clone());
    Value::Table(alone)
        .try_into::<Settings>()
        .map_err(|e| format!("is not accepted: {}", e.message().trim()))?;
    Ok(value)
}

fn unknown_key(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let bare = lower.strip_prefix("tidings_").unwrap_or(&lower);
    if bare != name && (key(bare).is_some() || TABLE_KEYS.contains(&bare)) {
        return format!("is not a key: write {bare} (lower case, without TIDINGS_)");
    }
    let names: Vec<&str> = KEYS
        .iter()
        .map(|k| k.name)
        .chain(TABLE_KEYS.iter().copied())
        .collect();
    format!("is not a key; the keys are {}", names.join(", "))
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

    /// The field names `Settings` deserializes, as serde sees them.
    fn settings_fields() -> &'static [&'static str] {
        struct Capture<'a>(&'a mut &'static [&'static str]);
        impl<'de> serde::Deserializer<'de> for Capture<'_> {
            type Error = serde::de::value::Error;
            fn deserialize_any<V: serde::de::Visitor<'de>>(
                self,
                _: V,
            ) -> Result<V::Value, Self::Error> {
                Err(serde::de::Error::custom("not a struct"))
            }
            fn deserialize_struct<V: serde::de::Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Self::Error> {
                *self.0 = fields;
                Err(serde::de::Error::custom("captured"))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str
                string bytes byte_buf option unit unit_struct newtype_struct seq
                tuple tuple_struct map enum identifier ignored_any
            }
        }
        let mut fields: &'static [&'static str] = &[];
        let _ = Settings::deserialize(Capture(&mut fields));
        fields
    }

    /// The one list and the settings agree: every key is a field, every
    /// field a key (or a TOML-only table).
    #[test]
    fn every_settings_field_is_a_key() {
        let mut fields: Vec<&str> = settings_fields().to_vec();
        let mut names: Vec<&str> = KEYS
            .iter()
            .map(|k| k.name)
            .chain(TABLE_KEYS.iter().copied())
            .collect();
        fields.sort_unstable();
        names.sort_unstable();
        assert_eq!(fields, names);
    }

    /// For every key: the variable `TIDINGS_` + KEY and the TOML key set
    /// the same setting, to a value other than the default.
    #[test]
    fn every_key_reads_its_variable_and_its_toml_key() {
        let default = format!("{:?}", Settings::default());
        for key in KEYS {
            let var = key.env_var();
            assert_eq!(var, format!("TIDINGS_{}", key.name.to_uppercase()));
            let from_env = Settings::from_env_map(&env(&[(&var, key.example)]))
                .unwrap_or_else(|e| panic!("{var}={:?}: {e:#}", key.example));
            let value = key
                .kind
                .normalize(Value::String(key.example.into()))
                .unwrap();
            let mut table = Table::new();
            table.insert(key.name.into(), value);
            let text = toml::to_string(&table).unwrap();
            let from_file = from_toml(&text).unwrap_or_else(|e| panic!("{text}: {e:#}"));
            assert_eq!(format!("{from_env:?}"), format!("{from_file:?}"), "{text}");
            assert_ne!(format!("{from_env:?}"), default, "{var} changed nothing");
        }
    }

    #[test]
    fn lists_take_an_array_or_a_comma_separated_string() {
        for text in [
            "webhook_allow_nets = \"127.0.0.0/8\"\n",
            "webhook_allow_nets = [\"127.0.0.0/8\"]\n",
        ] {
            assert_eq!(from_toml(text).unwrap().webhook_allow_nets, ["127.0.0.0/8"]);
        }
        let both = from_toml("webhook_allow_nets = \"127.0.0.0/8, ::1/128\"\n").unwrap();
        assert_eq!(both.webhook_allow_nets, ["127.0.0.0/8", "::1/128"]);
        let err = format!("{:#}", from_toml("webhook_allow_nets = [8]\n").unwrap_err());
        assert!(err.contains("webhook_allow_nets must be a list"), "{err}");
    }

    #[test]
    fn unknown_and_misspelt_keys_are_refused_with_the_right_name() {
        let err = format!(
            "{:#}",
            from_toml("confirmation_resend_interval_secs = 1\n").unwrap_err()
        );
        assert!(
            err.contains("confirmation_resend_interval_secs is not a key; the keys are bind, "),
            "{err}"
        );
        assert!(err.contains("confirmation_resend_secs"), "{err}");
        let err = format!(
            "{:#}",
            from_toml("TIDINGS_BIND = \"127.0.0.1:1\"\n").unwrap_err()
        );
        assert!(
            err.contains("write bind (lower case, without TIDINGS_)"),
            "{err}"
        );
    }

    #[test]
    fn wrong_types_name_the_key_and_the_source() {
        let err = format!(
            "{:#}",
            from_toml("sweep_interval_secs = \"often\"\n").unwrap_err()
        );
        assert!(
            err.contains("t.toml: sweep_interval_secs must be a whole number, not \"often\""),
            "{err}"
        );
        let err = format!(
            "{:#}",
            Settings::from_env_map(&env(&[("TIDINGS_DELIVERY_LEASE_SECS", "-3")])).unwrap_err()
        );
        assert!(
            err.contains("TIDINGS_DELIVERY_LEASE_SECS must be a whole number, not \"-3\""),
            "{err}"
        );
        let err = format!("{:#}", from_toml("secret_key = 12345\n").unwrap_err());
        assert!(
            err.contains("secret_key must be text") && !err.contains("12345"),
            "{err}"
        );
        let from_file = from_toml("require_confirmation = \"ALL\"\n").unwrap();
        assert_eq!(from_file.require_confirmation, RequireConfirmation::All);
    }

    /// A filter tracing cannot parse is refused like any other bad value,
    /// not silently replaced by `info`.
    #[test]
    fn an_invalid_log_filter_is_refused() {
        let err = format!(
            "{:#}",
            Settings::from_env_map(&env(&[("TIDINGS_LOG", "info,[[[")])).unwrap_err()
        );
        assert!(err.contains("TIDINGS_LOG is not a log filter"), "{err}");
        assert!(err.contains("\"info,[[[\""), "{err}");
        assert!(from_toml("log = \"info,[[[\"\n").is_err());
        for ok in ["debug", "warn,tidings=debug", "tidings::delivery=trace"] {
            assert!(
                Settings::from_env_map(&env(&[("TIDINGS_LOG", ok)])).is_ok(),
                "{ok}"
            );
        }
    }

    const EXAMPLE: &str = include_str!("../tidings.example.toml");

    /// The sample file, as shipped, is exactly the defaults.
    #[test]
    fn the_example_file_is_the_defaults() {
        let s = from_toml(EXAMPLE).unwrap();
        assert_eq!(format!("{s:?}"), format!("{:?}", Settings::default()));
    }

    /// Every key of the README's configuration table is in the sample
    /// file, and the sample with its commented examples switched on loads.
    #[test]
    fn every_documented_key_is_in_the_example_file_and_accepted() {
        let readme = include_str!("../README.md");
        let documented: Vec<String> = readme
            .lines()
            .filter_map(|line| line.strip_prefix("| `TIDINGS_"))
            .filter_map(|rest| rest.split('`').next())
            .filter(|name| *name != "CONFIG")
            .map(str::to_ascii_lowercase)
            .collect();
        assert_eq!(documented.len(), KEYS.len(), "{documented:?}");
        let switched_on: Vec<&str> = EXAMPLE
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest) if is_toml_line(rest) => rest,
                _ => line,
            })
            .collect();
        let text = switched_on.join("\n");
        for name in &documented {
            assert!(
                switched_on
                    .iter()
                    .any(|l| l.starts_with(&format!("{name} = "))),
                "tidings.example.toml does not show {name}"
            );
        }
        let loaded = from_toml(&text).unwrap_or_else(|e| panic!("{e:#}\n{text}"));
        assert!(loaded.secret_key.is_some() && loaded.public_url.is_some());
        assert!(!loaded.notification_types.is_empty());
        assert!(!loaded.supported_notifications.is_empty());
    }

    /// `key = value`, `"quoted key" = value` or `[table]`: a commented-out
    /// setting rather than prose.
    fn is_toml_line(text: &str) -> bool {
        let bare_key = text
            .split_once(" = ")
            .map(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(false);
        let quoted_key = text.starts_with('"') && text.contains("\" = ");
        let table = text.starts_with('[') && text.ends_with(']');
        bare_key || quoted_key || table
    }

    /// The README's configuration table lists every variable, one row each.
    #[test]
    fn readme_table_lists_every_variable() {
        let readme = include_str!("../README.md");
        for (name, _, _) in variables() {
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
            Settings::from_env_map(&env(&[("TIDINGS_DATABASE_URL", "mongodb://x")])).unwrap_err();
        assert!(err.to_string().contains("TIDINGS_DATABASE_URL"));
        let mariadb = "mysql://tidings@127.0.0.1:3306/tidings";
        assert!(Settings::from_env_map(&env(&[("TIDINGS_DATABASE_URL", mariadb)])).is_ok());
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
