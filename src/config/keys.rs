//! The one list of configuration keys. Each key is a TOML key and, upper
//! cased behind `TIDINGS_`, an environment variable: `bind` is
//! `TIDINGS_BIND`. `tidings --help`, the README table, the sample
//! `tidings.example.toml` and the loader all follow this list, and the
//! tests check that they agree.
use toml::Value;

/// What every environment variable of a key starts with.
pub const ENV_PREFIX: &str = "TIDINGS_";

/// The variable that names the TOML file; not a key itself.
pub const CONFIG_VAR: &str = "TIDINGS_CONFIG";

/// The shape of a key's value. Environment variables are text; the TOML
/// file may use the native type or the same text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Text that is never echoed back in an error.
    Secret,
    /// A whole number, 0 or more.
    Number,
    /// A number that may have a fraction, 0 or more.
    Decimal,
    /// `true` or `false` (also `1`/`0`, `yes`/`no`, `on`/`off` as text).
    Bool,
    /// A TOML array of strings, or one comma-separated string.
    List,
    /// One of these words, case-insensitive.
    OneOf(&'static [&'static str]),
}

/// One configuration key.
#[derive(Debug)]
pub struct Key {
    /// The TOML key; the variable is `TIDINGS_` + this in upper case.
    pub name: &'static str,
    pub kind: Kind,
    pub meaning: &'static str,
    /// The default, as `--help` and the README show it.
    pub default: &'static str,
    /// A valid value other than the default, as an environment variable
    /// would hold it (the tests set every key to it).
    pub example: &'static str,
}

impl Key {
    /// `TIDINGS_` + the name in upper case.
    pub fn env_var(&self) -> String {
        format!("{ENV_PREFIX}{}", self.name.to_ascii_uppercase())
    }
}

/// Keys that only the TOML file can set, because they are tables.
pub const TABLE_KEYS: &[&str] = &["notification_types", "supported_notifications"];

/// Every key, in the order `--help` and the README list them.
pub const KEYS: &[Key] = &[
    Key {
        name: "bind",
        kind: Kind::Text,
        meaning: "listen address",
        default: "127.0.0.1:8888",
        example: "127.0.0.1:9999",
    },
    Key {
        name: "auth",
        kind: Kind::OneOf(&["none", "token", "keystone"]),
        meaning: "none (trust X-Project-Id), token (API tokens from `tidings token create`) or keystone (X-Auth-Token validated against OpenStack Keystone v3); none on a non-loopback bind only when set explicitly",
        default: "none while bind is loopback, else required",
        example: "token",
    },
    Key {
        name: "keystone_url",
        kind: Kind::Text,
        meaning: "with auth = keystone: the Keystone identity endpoint (its /v3 is added when missing)",
        default: "(none; required with auth = keystone)",
        example: "http://127.0.0.1:5000/v3",
    },
    Key {
        name: "keystone_user",
        kind: Kind::Text,
        meaning: "with auth = keystone: the service user tidings validates tokens as (it needs Keystone's service or admin role)",
        default: "tidings",
        example: "zaqar",
    },
    Key {
        name: "keystone_password",
        kind: Kind::Secret,
        meaning: "with auth = keystone: the service user's password",
        default: "(none; required with auth = keystone)",
        example: "service-password",
    },
    Key {
        name: "keystone_project",
        kind: Kind::Text,
        meaning: "with auth = keystone: the project the service token is scoped to",
        default: "service",
        example: "services",
    },
    Key {
        name: "keystone_domain",
        kind: Kind::Text,
        meaning: "with auth = keystone: the domain of the service user and of its project",
        default: "Default",
        example: "ops",
    },
    Key {
        name: "keystone_roles",
        kind: Kind::List,
        meaning: "with auth = keystone: KEYSTONE_ROLE=ROLE pairs mapping Keystone roles to admin, publisher, subscriber or reader (the highest mapped role a token has wins; a token with none is a 403)",
        default: "admin=admin, member=admin, reader=reader",
        example: "admin=admin, member=subscriber, notifier=publisher, reader=reader",
    },
    Key {
        name: "keystone_cache_secs",
        kind: Kind::Number,
        meaning: "with auth = keystone: how long a validated (or refused) token is remembered before Keystone is asked again; never past the token's expiry",
        default: "60",
        example: "30",
    },
    Key {
        name: "project_rate_limit",
        kind: Kind::Decimal,
        meaning: "API requests per second per project (fractions allowed; 0: no limit); over it, 429 with Retry-After",
        default: "100 with TIDINGS_AUTH=token or keystone, 0 with none",
        example: "2.5",
    },
    Key {
        name: "project_burst",
        kind: Kind::Number,
        meaning: "API requests a project may make at once above its rate",
        default: "twice the rate (at least 1)",
        example: "10",
    },
    Key {
        name: "confirmations_per_address_hour",
        kind: Kind::Number,
        meaning: "confirmation emails one address may get per hour, across all projects; more is a 429 that changes nothing",
        default: "5",
        example: "3",
    },
    Key {
        name: "page_rate_per_minute",
        kind: Kind::Number,
        meaning: "requests per minute per client IP on the public pages (email links); 0: no limit",
        default: "30",
        example: "60",
    },
    Key {
        name: "database_url",
        kind: Kind::Text,
        meaning: "sqlite://path?mode=rwc, postgres://user[:password]@host[:port]/database or mysql://user[:password]@host[:port]/database (MariaDB 10.6+ or MySQL 8)",
        default: "sqlite://tidings.db?mode=rwc",
        example: "postgres://tidings:secret@127.0.0.1:5432/tidings",
    },
    Key {
        name: "public_url",
        kind: Kind::Text,
        meaning: "base URL put into links in emails",
        default: "http:// + bind",
        example: "https://tidings.example.com",
    },
    Key {
        name: "mail_url",
        kind: Kind::Text,
        meaning: "smtp://[user:pass@]host[:port][?tls=starttls|required], smtps://... (implicit TLS, port 465), sendmail, sendmail:/path, file:/dir",
        default: "file:./var/mail",
        example: "smtp://127.0.0.1:25",
    },
    Key {
        name: "mail_from",
        kind: Kind::Text,
        meaning: "default From header",
        default: "tidings <no-reply@localhost>",
        example: "Alerts <alerts@example.com>",
    },
    Key {
        name: "bounce_address",
        kind: Kind::Text,
        meaning: "VERP envelope sender of every email, with {token} standing for a per-delivery token, e.g. bounces+{token}@example.com; bounces to it are matched to their delivery (tidings bounce, POST /v2/bounces)",
        default: "(unset: the From address is the envelope sender)",
        example: "bounces+{token}@example.com",
    },
    Key {
        name: "soft_bounce_limit",
        kind: Kind::Number,
        meaning: "temporary (4.x.x) bounces in a row that suppress an address",
        default: "3",
        example: "5",
    },
    Key {
        name: "require_confirmation",
        kind: Kind::OneOf(&["mailto", "all", "none"]),
        meaning: "which subscriber schemes start inactive: mailto, all, none",
        default: "mailto",
        example: "all",
    },
    Key {
        name: "webhook_allow_nets",
        kind: Kind::List,
        meaning: "CIDRs a webhook may reach although private/loopback (comma-separated, or a TOML array)",
        default: "(empty: deny private)",
        example: "127.0.0.0/8, ::1/128",
    },
    Key {
        name: "amqp_exchange",
        kind: Kind::Text,
        meaning: "exchange for amqp:// subscribers that name none (declared topic and durable if missing)",
        default: "amq.topic",
        example: "pulp",
    },
    Key {
        name: "templates_dir",
        kind: Kind::Text,
        meaning: "directory whose email/ and page/ templates replace the built-in ones, file by file",
        default: "(none: built-in templates)",
        example: "/etc/tidings/templates",
    },
    Key {
        name: "log_format",
        kind: Kind::OneOf(&["text", "json"]),
        meaning: "log output: text or json",
        default: "text",
        example: "json",
    },
    Key {
        name: "log",
        kind: Kind::Text,
        meaning: "log filter (tracing EnvFilter syntax, e.g. info,tidings=debug)",
        default: "info",
        example: "warn,tidings=debug",
    },
    Key {
        name: "sweep_interval_secs",
        kind: Kind::Number,
        meaning: "how often expired messages, claims and subscriptions are swept",
        default: "30",
        example: "60",
    },
    Key {
        name: "confirmation_resend_secs",
        kind: Kind::Number,
        meaning: "a re-POSTed pending subscription re-sends its confirmation at most once per this many seconds",
        default: "300",
        example: "600",
    },
    Key {
        name: "confirm_token_ttl_secs",
        kind: Kind::Number,
        meaning: "how long an emailed confirmation link stays valid",
        default: "172800 (48 h)",
        example: "86400",
    },
    Key {
        name: "secret_key",
        kind: Kind::Secret,
        meaning: "key for signed URLs and unsubscribe links (at least 32 characters)",
        default: "(generated on first start and kept in the database)",
        example: "an example key that is long enough to sign with",
    },
    Key {
        name: "message_key",
        kind: Kind::Secret,
        meaning: "key that encrypts the message bodies of queues and topics with _enable_encrypt_messages (at least 32 characters); see docs/encryption.md",
        default: "(generated on first start and kept in the database)",
        example: "an example message key that is long enough",
    },
    Key {
        name: "message_old_keys",
        kind: Kind::Secret,
        meaning: "previous message keys, comma-separated: still read, never used to encrypt, until tidings rotate-key has re-encrypted their rows",
        default: "(none)",
        example: "an old message key that is long enough to be one",
    },
    Key {
        name: "delivery_concurrency",
        kind: Kind::Number,
        meaning: "delivery attempts in flight at once, across all subscriptions",
        default: "256",
        example: "64",
    },
    Key {
        name: "delivery_per_subscription",
        kind: Kind::Number,
        meaning: "delivery attempts in flight at once to one subscription",
        default: "16",
        example: "4",
    },
    Key {
        name: "delivery_lease_secs",
        kind: Kind::Number,
        meaning: "how long a worker owns a delivery it took; after a crash another takes over",
        default: "120",
        example: "300",
    },
    Key {
        name: "delivery_retention_days",
        kind: Kind::Number,
        meaning: "how long finished deliveries (and dead letters) and their attempt logs are kept",
        default: "14",
        example: "30",
    },
    Key {
        name: "builtin_notification_types",
        kind: Kind::Bool,
        meaning: "false: only the notification types declared in the TOML file's [notification_types] tables exist",
        default: "true",
        example: "false",
    },
];

/// The key of that name.
pub fn key(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

/// Every variable `tidings serve` reads, with its meaning and default:
/// `TIDINGS_CONFIG`, then one per key.
pub fn variables() -> Vec<(String, &'static str, &'static str)> {
    let mut all = vec![(
        CONFIG_VAR.to_string(),
        "path of an optional TOML file with the keys below (the variable names in lower case, without TIDINGS_)",
        "(none)",
    )];
    all.extend(KEYS.iter().map(|k| (k.env_var(), k.meaning, k.default)));
    all
}

impl Kind {
    /// `value` in the shape the settings expect, or why not (without the
    /// value for secrets).
    pub fn normalize(self, value: Value) -> Result<Value, String> {
        let refused = |value: &Value| match (self, value) {
            (Kind::Secret, _) => format!("must be {}", self.describe()),
            (_, Value::String(s)) => format!("must be {}, not {s:?}", self.describe()),
            (_, other) => format!("must be {}, not {other}", self.describe()),
        };
        match (self, value) {
            (Kind::Text | Kind::Secret, Value::String(s)) => Ok(Value::String(s)),
            (Kind::Number, Value::Integer(n)) if n >= 0 => Ok(Value::Integer(n)),
            (Kind::Number, Value::String(s)) => match s.trim().parse::<i64>() {
                Ok(n) if n >= 0 => Ok(Value::Integer(n)),
                _ => Err(refused(&Value::String(s))),
            },
            (Kind::Decimal, Value::Integer(n)) if n >= 0 => Ok(Value::Float(n as f64)),
            (Kind::Decimal, Value::Float(x)) if x.is_finite() && x >= 0.0 => Ok(Value::Float(x)),
            (Kind::Decimal, Value::String(s)) => match s.trim().parse::<f64>() {
                Ok(x) if x.is_finite() && x >= 0.0 => Ok(Value::Float(x)),
                _ => Err(refused(&Value::String(s))),
            },
            (Kind::Bool, Value::Boolean(b)) => Ok(Value::Boolean(b)),
            (Kind::Bool, Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(Value::Boolean(true)),
                "false" | "0" | "no" | "off" => Ok(Value::Boolean(false)),
                _ => Err(refused(&Value::String(s))),
            },
            (Kind::List, Value::String(s)) => Ok(Value::Array(
                s.split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(|item| Value::String(item.to_string()))
                    .collect(),
            )),
            (Kind::List, Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::String(s) if s.trim().is_empty() => {}
                        Value::String(s) => out.push(Value::String(s.trim().to_string())),
                        other => return Err(refused(&Value::Array(vec![other]))),
                    }
                }
                Ok(Value::Array(out))
            }
            (Kind::OneOf(words), Value::String(s)) => {
                let lower = s.trim().to_ascii_lowercase();
                if words.contains(&lower.as_str()) {
                    Ok(Value::String(lower))
                } else {
                    Err(refused(&Value::String(s)))
                }
            }
            (_, other) => Err(refused(&other)),
        }
    }

    fn describe(self) -> String {
        match self {
            Kind::Text | Kind::Secret => "text (a TOML string)".into(),
            Kind::Number => "a whole number".into(),
            Kind::Decimal => "a number, 0 or more (fractions allowed)".into(),
            Kind::Bool => "true or false".into(),
            Kind::List => "a list (a TOML array of strings, or one comma-separated string)".into(),
            Kind::OneOf(words) => format!("one of {}", words.join(", ")),
        }
    }
}
