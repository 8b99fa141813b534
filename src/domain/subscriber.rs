//! The subscriber URI of a subscription, parsed once: `mailto:` per RFC 6068,
//! an `http(s)` webhook or an `amqp(s)` broker exchange (see `amqp_target`).
//! Anything that could smuggle a header into an email (CR, LF, NUL, raw or
//! percent-encoded) is refused here, so no driver has to think about it.
use percent_encoding::percent_decode_str;

use super::amqp_target::AmqpTarget;
use super::email_address::EmailAddress;
use super::masking::mask_password;

pub const SUPPORTED_TYPES_MESSAGE: &str = "The subscriber type of subscription must be supported in the list ['amqp', 'amqps', 'http', 'https', 'mailto', 'trust+http', 'trust+https'].";

#[derive(Clone, PartialEq, Eq)]
pub enum Subscriber {
    Mailto(Mailto),
    Webhook { url: url::Url },
    Amqp(AmqpTarget),
}

// Hand-written so a webhook's basic-auth password never reaches a log via
// `{:?}` (AmqpTarget's own Debug already hides its password).
impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subscriber::Mailto(m) => f.debug_tuple("Mailto").field(m).finish(),
            Subscriber::Webhook { url } => f
                .debug_struct("Webhook")
                .field("url", &mask_password(url.as_str()))
                .finish(),
            Subscriber::Amqp(t) => f.debug_tuple("Amqp").field(t).finish(),
        }
    }
}

/// A parsed `mailto:` URI. `subject`, `cc` and `bcc` given here win over the
/// same keys in the subscription options: the URI is what the subscriber
/// typed, the options are defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailto {
    pub to: Vec<EmailAddress>,
    pub cc: Vec<EmailAddress>,
    pub bcc: Vec<EmailAddress>,
    pub subject: Option<String>,
    pub body: Option<String>,
}

/// True if `s` holds a character that ends or splits a header line, raw or
/// percent-encoded.
pub fn has_header_breaker(s: &str) -> bool {
    if s.chars().any(|c| matches!(c, '\r' | '\n' | '\0')) {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    ["%0d", "%0a", "%00"].iter().any(|enc| lower.contains(enc))
}

impl Subscriber {
    pub fn parse(raw: &str) -> Result<Subscriber, String> {
        if has_header_breaker(raw) {
            return Err("The subscriber must not contain line breaks or NUL characters.".into());
        }
        let scheme = raw
            .split_once(':')
            .map(|(s, _)| s.to_ascii_lowercase())
            .unwrap_or_default();
        match scheme.as_str() {
            "mailto" => Mailto::parse(&raw[scheme.len() + 1..]).map(Subscriber::Mailto),
            "http" | "https" => parse_webhook(raw),
            "amqp" | "amqps" => AmqpTarget::parse(raw).map(Subscriber::Amqp),
            "trust+http" | "trust+https" => Err(
                "trust+http(s) subscribers need Keystone trusts, which tidings does not support."
                    .into(),
            ),
            _ => Err(SUPPORTED_TYPES_MESSAGE.into()),
        }
    }

    pub fn is_mailto(&self) -> bool {
        matches!(self, Subscriber::Mailto(_))
    }

    /// A form safe for logs and pages: masked addresses, webhook host only.
    pub fn masked(&self) -> String {
        match self {
            Subscriber::Mailto(m) => {
                m.to.iter()
                    .map(EmailAddress::masked)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
            Subscriber::Webhook { url } => {
                format!("{}://{}/***", url.scheme(), url.host_str().unwrap_or(""))
            }
            Subscriber::Amqp(target) => target.masked(),
        }
    }
}

fn parse_webhook(raw: &str) -> Result<Subscriber, String> {
    // The url crate silently drops tabs and newlines; whitespace is refused
    // before it gets the chance.
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("The webhook URL must not contain whitespace.".into());
    }
    let url =
        url::Url::parse(raw).map_err(|_| "The webhook URL is not a valid URL.".to_string())?;
    match url.host() {
        Some(host) if !url.host_str().unwrap_or("").is_empty() => {
            super::host_name::check(&host)?;
            Ok(Subscriber::Webhook { url })
        }
        _ => Err("The webhook URL must have a host.".into()),
    }
}

fn decode(part: &str) -> Result<String, String> {
    let text = percent_decode_str(part)
        .decode_utf8()
        .map_err(|_| "The mailto URI is not valid UTF-8 once percent-decoded.".to_string())?;
    if has_header_breaker(&text) {
        return Err("The mailto URI must not contain line breaks or NUL characters.".into());
    }
    Ok(text.into_owned())
}

fn addresses(list: &str, into: &mut Vec<EmailAddress>) -> Result<(), String> {
    for item in list.split(',') {
        let decoded = decode(item)?;
        if decoded.is_empty() {
            continue;
        }
        into.push(EmailAddress::parse(&decoded)?);
    }
    Ok(())
}

impl Mailto {
    /// Parses what follows `mailto:`. `+` is not a space in RFC 6068, so only
    /// percent-decoding applies; header names are case-insensitive.
    pub fn parse(rest: &str) -> Result<Mailto, String> {
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut m = Mailto {
            to: Vec::new(),
            cc: Vec::new(),
            bcc: Vec::new(),
            subject: None,
            body: None,
        };
        addresses(path, &mut m.to)?;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match decode(key)?.to_ascii_lowercase().as_str() {
                "to" => addresses(value, &mut m.to)?,
                "cc" => addresses(value, &mut m.cc)?,
                "bcc" => addresses(value, &mut m.bcc)?,
                "subject" => {
                    let v = decode(value)?;
                    m.subject.get_or_insert(v);
                }
                "body" => {
                    let v = decode(value)?;
                    m.body.get_or_insert(v);
                }
                // Other RFC 6068 headers (In-Reply-To, ...) are ignored, never
                // copied into a message; they are still checked above.
                _ => {
                    decode(value)?;
                }
            }
        }
        if m.to.is_empty() {
            return Err("The mailto URI must name at least one address.".into());
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailto_forms() {
        let s = Subscriber::parse(
            "mailto:a@example.com,b@example.org?Subject=Hi%20there&CC=c@example.com&bcc=d@example.com,e@example.com&body=x+y",
        )
        .unwrap();
        let Subscriber::Mailto(m) = s else { panic!() };
        assert_eq!(m.to.len(), 2);
        assert_eq!(m.cc[0].as_str(), "c@example.com");
        assert_eq!(m.bcc.len(), 2);
        assert_eq!(m.subject.as_deref(), Some("Hi there"));
        assert_eq!(m.body.as_deref(), Some("x+y"));
        let Subscriber::Mailto(m) = Subscriber::parse("MAILTO:a%40example.com").unwrap() else {
            panic!()
        };
        assert_eq!(m.to[0].as_str(), "a@example.com");
        assert!(Subscriber::parse("mailto:?to=a@example.com").is_ok());
    }

    #[test]
    fn webhooks() {
        for ok in [
            "http://127.0.0.1:9900/a1",
            "https://user:pass@hooks.example.com/x?y=1",
        ] {
            assert!(
                matches!(Subscriber::parse(ok), Ok(Subscriber::Webhook { .. })),
                "{ok}"
            );
        }
        for bad in [
            "http://",
            "http://:80/",
            "http://exa mple.com/",
            "http://a.com/\n",
        ] {
            assert!(Subscriber::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn refused_subscribers() {
        let cases: &[(&str, &str)] = &[
            ("", "supported in the list"),
            ("ftp://x.example.com", "supported in the list"),
            ("no-scheme", "supported in the list"),
            ("trust+https://x.example.com", "Keystone"),
            ("mailto:", "at least one"),
            ("mailto:a@example.com\r\nBcc: x@example.com", "line breaks"),
            ("mailto:a@example.com%0d%0aBcc:x@example.com", "line breaks"),
            (
                "mailto:a@example.com?subject=Hi%0ABcc:%20x@example.com",
                "line breaks",
            ),
            ("mailto:a@example.com?subject=Hi%0d", "line breaks"),
            ("mailto:a@example.com?cc=b@example.com%0A", "line breaks"),
            ("mailto:a@example.com?body=x%00", "line breaks"),
            ("mailto:a@example.com?subject=%E2%28", "UTF-8"),
            ("mailto:not-an-address", "not a valid email address"),
            (
                "mailto:a@example.com?cc=<b@example.com>",
                "not a valid email address",
            ),
            (
                "mailto:a@example.com?bcc=b%20c@example.com",
                "not a valid email address",
            ),
            ("mailto:a@example", "not a valid email address"),
        ];
        for (raw, expect) in cases {
            let err = Subscriber::parse(raw).unwrap_err();
            assert!(err.contains(expect), "{raw:?}: {err}");
        }
    }

    #[test]
    fn masked_forms() {
        let s = Subscriber::parse("mailto:alice@example.com").unwrap();
        assert_eq!(s.masked(), "a***@example.com");
        let s = Subscriber::parse("https://u:p@h.example.com/secret").unwrap();
        assert_eq!(s.masked(), "https://h.example.com/***");
        assert!(!format!("{s:?}").contains(":p@"), "{s:?}");
        let s = Subscriber::parse("amqp://u:hunter2@h/?exchange=pulp").unwrap();
        assert_eq!(s.masked(), "amqp://h:5672/%2F?exchange=pulp");
        assert!(!format!("{s:?}").contains("hunter2"), "{s:?}");
    }

    #[test]
    fn amqp_subscribers() {
        assert!(matches!(
            Subscriber::parse("amqp://guest:guest@127.0.0.1:5672/%2f?exchange=pulp"),
            Ok(Subscriber::Amqp(_))
        ));
        assert!(matches!(
            Subscriber::parse("AMQPS://broker.example.com"),
            Ok(Subscriber::Amqp(_))
        ));
        let err = Subscriber::parse("amqp://h?exchange=a%0d%0ab").unwrap_err();
        assert!(err.contains("line breaks"), "{err}");
    }
}
