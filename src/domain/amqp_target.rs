//! An `amqp://` or `amqps://` subscriber, parsed once:
//! `amqp[s]://[user[:pass]@]host[:port][/vhost][?exchange=NAME]`.
//!
//! The vhost follows the RabbitMQ URI convention (percent-encoded, one path
//! segment, `%2f` for `/`), except that no path and a lone `/` both mean the
//! default vhost `/`, which is what a person typing `amqp://host/` means.
//! Without `exchange` the server default (`TIDINGS_AMQP_EXCHANGE`) applies at
//! delivery time, so changing it moves every such subscription.
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

use super::masking::MASK;

pub const AMQP_PORT: u16 = 5672;
pub const AMQPS_PORT: u16 = 5671;
/// AMQP 0-9-1 short strings (exchange names, routing keys) hold 255 bytes.
pub const MAX_SHORT_STRING: usize = 255;
/// The one built-in exchange of the topic type a subscriber may name.
pub const AMQ_TOPIC: &str = "amq.topic";

/// Characters escaped when a vhost is written back into a URI.
const VHOST_ESCAPES: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'/')
    .add(b'?')
    .add(b'#')
    .add(b'%')
    .add(b'@')
    .add(b':');

/// A broker password: compared and cloned like a string, never printed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Password(String);

impl Password {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(MASK)
    }
}

/// An exchange name as AMQP 0-9-1 allows it: letters, digits, `-`, `_`,
/// `.`, `:`, at most 255 bytes, not empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExchangeName(String);

impl ExchangeName {
    pub fn parse(raw: &str) -> Result<ExchangeName, String> {
        if raw.is_empty() {
            return Err("The AMQP exchange name must not be empty.".into());
        }
        if raw.len() > MAX_SHORT_STRING {
            return Err(format!(
                "The AMQP exchange name may be at most {MAX_SHORT_STRING} bytes long."
            ));
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        {
            return Err(
                "The AMQP exchange name may hold only letters, digits, '-', '_', '.' and ':'."
                    .into(),
            );
        }
        // Brokers refuse to create `amq.*` exchanges, and the other built-in
        // ones are not topic exchanges: deliveries could never succeed.
        if raw.starts_with("amq.") && raw != AMQ_TOPIC {
            return Err(format!(
                "Exchange names starting with 'amq.' are reserved by the broker; use {AMQ_TOPIC} or a name of your own."
            ));
        }
        Ok(ExchangeName(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a broker lives and how to log in: what one pooled connection is
/// for. Two subscriptions with the same broker share a connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AmqpBroker {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    pub vhost: String,
    /// None: the broker's conventional default (`guest`).
    pub username: Option<String>,
    pub password: Option<Password>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmqpTarget {
    pub broker: AmqpBroker,
    /// None: the server default, `TIDINGS_AMQP_EXCHANGE`.
    pub exchange: Option<ExchangeName>,
}

fn decode(part: &str, what: &str) -> Result<String, String> {
    percent_decode_str(part)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| format!("The AMQP {what} is not valid UTF-8 once percent-decoded."))
}

impl AmqpTarget {
    /// Parses a whole `amqp://` or `amqps://` URI. Error texts never echo
    /// the URI: it may hold a password.
    pub fn parse(raw: &str) -> Result<AmqpTarget, String> {
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("The AMQP URI must not contain whitespace.".into());
        }
        let url =
            url::Url::parse(raw).map_err(|_| "The AMQP URI is not a valid URI.".to_string())?;
        let tls = match url.scheme() {
            "amqp" => false,
            "amqps" => true,
            _ => return Err("The AMQP URI must start with amqp:// or amqps://.".into()),
        };
        if url.fragment().is_some() {
            return Err("The AMQP URI must not have a #fragment.".into());
        }
        if let Some(host) = url.host() {
            super::host_name::check(&host)?;
        }
        let host = match url.host_str() {
            // Host names are case-insensitive; one spelling, one pooled
            // connection.
            Some(h) if !h.is_empty() => h
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_ascii_lowercase(),
            _ => return Err("The AMQP URI must name a broker host.".into()),
        };
        let port = url
            .port()
            .unwrap_or(if tls { AMQPS_PORT } else { AMQP_PORT });
        if port == 0 {
            return Err("The AMQP URI's port must be between 1 and 65535.".into());
        }
        let vhost = match url.path() {
            "" | "/" => "/".to_string(),
            path => {
                let segment = &path[1..];
                if segment.contains('/') {
                    return Err(
                        "The AMQP vhost is one path segment; write a '/' inside it as %2f.".into(),
                    );
                }
                decode(segment, "vhost")?
            }
        };
        let username = match url.username() {
            "" => None,
            user => Some(decode(user, "user name")?),
        };
        let password = match url.password() {
            None => None,
            Some(pass) => Some(Password(decode(pass, "password")?)),
        };
        if password.is_some() && username.is_none() {
            return Err("The AMQP URI has a password but no user name.".into());
        }
        let mut exchange = None;
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "exchange" if exchange.is_some() => {
                    return Err("The AMQP URI names the exchange twice.".into())
                }
                "exchange" => exchange = Some(ExchangeName::parse(&value)?),
                other => {
                    let shown: String = other.chars().take(40).collect();
                    return Err(format!(
                        "Unknown AMQP URI parameter {shown:?}; the only one is exchange."
                    ));
                }
            }
        }
        Ok(AmqpTarget {
            broker: AmqpBroker {
                tls,
                host,
                port,
                vhost,
                username,
                password,
            },
            exchange,
        })
    }

    /// The exchange deliveries go to, given the server default.
    pub fn exchange_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.exchange
            .as_ref()
            .map(ExchangeName::as_str)
            .unwrap_or(default)
    }

    /// A form for logs and explanations: no credentials at all.
    pub fn masked(&self) -> String {
        let b = &self.broker;
        let scheme = if b.tls { "amqps" } else { "amqp" };
        let host = if b.host.contains(':') {
            format!("[{}]", b.host)
        } else {
            b.host.clone()
        };
        let vhost = utf8_percent_encode(&b.vhost, VHOST_ESCAPES);
        let mut out = format!("{scheme}://{host}:{}/{vhost}", b.port);
        if let Some(exchange) = &self.exchange {
            out.push_str("?exchange=");
            out.push_str(exchange.as_str());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> AmqpTarget {
        AmqpTarget::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    #[test]
    fn full_and_minimal_forms() {
        let t = parse("amqp://pulp:s%40cret@broker.example.com:5673/pulp%2fprod?exchange=pulp");
        assert!(!t.broker.tls);
        assert_eq!(t.broker.host, "broker.example.com");
        assert_eq!(t.broker.port, 5673);
        assert_eq!(t.broker.vhost, "pulp/prod");
        assert_eq!(t.broker.username.as_deref(), Some("pulp"));
        assert_eq!(
            t.broker.password.as_ref().map(Password::expose),
            Some("s@cret")
        );
        assert_eq!(t.exchange_or(AMQ_TOPIC), "pulp");

        let t = parse("amqp://127.0.0.1");
        assert_eq!(t.broker.port, AMQP_PORT);
        assert_eq!(t.broker.vhost, "/");
        assert_eq!(t.broker.username, None);
        assert_eq!(t.exchange, None);
        assert_eq!(t.exchange_or("events"), "events");

        assert_eq!(parse("amqps://h/").broker.port, AMQPS_PORT);
        assert!(parse("AMQPS://h").broker.tls);
        assert_eq!(parse("amqp://h/%2f").broker.vhost, "/");
        assert_eq!(parse("amqp://h/%2F").broker.vhost, "/");
        assert_eq!(parse("amqp://[::1]:5672/").broker.host, "::1");
        assert_eq!(
            parse("amqp://h?exchange=amq.topic").exchange_or("x"),
            AMQ_TOPIC
        );
        assert_eq!(parse("amqp://u@h").broker.password, None);
    }

    #[test]
    fn refused_forms() {
        let cases = [
            ("amqp://", "broker host"),
            ("amqp:///vhost", "broker host"),
            ("amqp://h:0", "port"),
            ("amqp://h:70000", "valid URI"),
            ("amqp://h/a/b", "one path segment"),
            ("amqp://h/%E2%28", "UTF-8"),
            ("amqp://h?exchange=", "must not be empty"),
            ("amqp://h?exchange=a%20b", "only letters"),
            ("amqp://h?exchange=a/b", "only letters"),
            ("amqp://h?exchange=amq.direct", "reserved"),
            ("amqp://h?exchange=amq.fresh", "reserved"),
            ("amqp://h?exchange=a&exchange=b", "twice"),
            (
                "amqp://h?exchnage=pulp",
                "Unknown AMQP URI parameter \"exchnage\"",
            ),
            ("amqp://h?heartbeat=5", "the only one is exchange"),
            ("amqp://h#x", "fragment"),
            ("amqp://:pw@h", "no user name"),
            ("amqp://h/ x", "whitespace"),
            ("amqp://h\n", "whitespace"),
        ];
        for (raw, expect) in cases {
            let err = AmqpTarget::parse(raw).unwrap_err();
            assert!(err.contains(expect), "{raw:?}: {err}");
        }
        let long = format!("amqp://h?exchange={}", "x".repeat(256));
        assert!(AmqpTarget::parse(&long).unwrap_err().contains("255"));
        assert!(AmqpTarget::parse(&format!("amqp://h?exchange={}", "x".repeat(255))).is_ok());
    }

    #[test]
    fn errors_and_debug_never_show_the_password() {
        for raw in [
            "amqp://u:hunter2@h?exchnage=x",
            "amqp://u:hunter2@h/a/b",
            "amqp://u:hunter2@h:99999",
        ] {
            let err = AmqpTarget::parse(raw).unwrap_err();
            assert!(!err.contains("hunter2"), "{err}");
        }
        let t = parse("amqp://u:hunter2@h");
        assert!(!format!("{t:?}").contains("hunter2"));
    }

    #[test]
    fn masked_form_has_no_credentials() {
        let t = parse("amqps://u:hunter2@Broker.example.com/prod%2fa?exchange=pulp");
        assert_eq!(
            t.masked(),
            "amqps://broker.example.com:5671/prod%2Fa?exchange=pulp"
        );
        assert_eq!(parse("amqp://[::1]").masked(), "amqp://[::1]:5672/%2F");
    }
}
