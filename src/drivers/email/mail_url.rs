//! Parses `TIDINGS_MAIL_URL` into the transport it names.
//!
//! - `smtp://[user:pass@]host[:port]`: plain SMTP, port 25. Add
//!   `?tls=starttls` to upgrade with STARTTLS when the server offers it, or
//!   `?tls=required` to refuse to send unless STARTTLS succeeds.
//! - `smtps://[user:pass@]host[:port]`: implicit TLS, port 465.
//! - `sendmail` (`/usr/sbin/sendmail`) or `sendmail:/path/to/binary`, run as
//!   `binary -t -oi` with the message on stdin.
//! - `file:/dir` or `file:./relative/dir`: each email becomes `<id>.eml`.
use std::fmt;
use std::path::PathBuf;

use anyhow::{bail, Context};
use percent_encoding::percent_decode_str;

pub const DEFAULT_SENDMAIL: &str = "/usr/sbin/sendmail";

#[derive(Clone, PartialEq, Eq)]
pub enum MailUrl {
    Smtp {
        host: String,
        port: u16,
        credentials: Option<(String, String)>,
        security: SmtpSecurity,
    },
    Sendmail {
        binary: PathBuf,
    },
    File {
        dir: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    Plain,
    /// STARTTLS when offered, plain otherwise.
    StartTlsOpportunistic,
    /// STARTTLS or no delivery.
    StartTlsRequired,
    /// TLS from the first byte (`smtps://`).
    Implicit,
}

// Hand-written so the password never reaches a log through `{:?}`.
impl fmt::Debug for MailUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MailUrl::Smtp {
                host,
                port,
                credentials,
                security,
            } => f
                .debug_struct("Smtp")
                .field("host", host)
                .field("port", port)
                .field("user", &credentials.as_ref().map(|(user, _)| user))
                .field("security", security)
                .finish(),
            MailUrl::Sendmail { binary } => {
                f.debug_struct("Sendmail").field("binary", binary).finish()
            }
            MailUrl::File { dir } => f.debug_struct("File").field("dir", dir).finish(),
        }
    }
}

impl MailUrl {
    /// Where mail goes, for the startup log: never the credentials.
    pub fn describe(&self) -> String {
        match self {
            MailUrl::Smtp {
                host,
                port,
                security,
                ..
            } => {
                let scheme = if *security == SmtpSecurity::Implicit {
                    "smtps"
                } else {
                    "smtp"
                };
                format!("{scheme}://{host}:{port}")
            }
            MailUrl::Sendmail { binary } => format!("sendmail:{}", binary.display()),
            MailUrl::File { dir } => format!("file:{}", dir.display()),
        }
    }

    pub fn parse(raw: &str) -> anyhow::Result<MailUrl> {
        let raw = raw.trim();
        if raw == "sendmail" {
            return Ok(MailUrl::Sendmail {
                binary: PathBuf::from(DEFAULT_SENDMAIL),
            });
        }
        if let Some(path) = raw.strip_prefix("sendmail:") {
            if path.is_empty() {
                bail!("TIDINGS_MAIL_URL sendmail: needs a path after the colon");
            }
            return Ok(MailUrl::Sendmail {
                binary: PathBuf::from(path),
            });
        }
        if let Some(path) = raw.strip_prefix("file:") {
            // `file:///abs` and `file:/abs` name the same directory.
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                bail!("TIDINGS_MAIL_URL file: needs a directory after the colon");
            }
            return Ok(MailUrl::File {
                dir: PathBuf::from(path),
            });
        }
        if raw.starts_with("smtp://") || raw.starts_with("smtps://") {
            return parse_smtp(raw);
        }
        bail!(
            "TIDINGS_MAIL_URL must be smtp://, smtps://, sendmail, sendmail:/path or file:/dir (got scheme {:?})",
            raw.split(':').next().unwrap_or_default()
        )
    }
}

fn parse_smtp(raw: &str) -> anyhow::Result<MailUrl> {
    // The error must not echo the URL: it may carry a password.
    let url = url::Url::parse(raw).context("TIDINGS_MAIL_URL is not a valid smtp:// URL")?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .context("TIDINGS_MAIL_URL needs a host")?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let implicit = url.scheme() == "smtps";
    let mut security = if implicit {
        SmtpSecurity::Implicit
    } else {
        SmtpSecurity::Plain
    };
    for (key, value) in url.query_pairs() {
        match (key.as_ref(), value.as_ref(), implicit) {
            ("tls", "starttls" | "opportunistic", false) => {
                security = SmtpSecurity::StartTlsOpportunistic
            }
            ("tls", "required", false) => security = SmtpSecurity::StartTlsRequired,
            ("tls", "none", false) => security = SmtpSecurity::Plain,
            ("tls", _, true) => bail!("TIDINGS_MAIL_URL smtps:// is always TLS; drop ?tls="),
            ("tls", other, false) => {
                bail!("TIDINGS_MAIL_URL ?tls= must be starttls, required or none, not {other:?}")
            }
            (other, _, _) => bail!("TIDINGS_MAIL_URL has an unknown parameter {other:?}"),
        }
    }
    let port = url.port().unwrap_or(if implicit { 465 } else { 25 });
    let credentials = if url.username().is_empty() {
        None
    } else {
        let user = decode(url.username()).context("TIDINGS_MAIL_URL user is not UTF-8")?;
        let pass = decode(url.password().unwrap_or_default())
            .context("TIDINGS_MAIL_URL password is not UTF-8")?;
        Some((user, pass))
    };
    Ok(MailUrl::Smtp {
        host,
        port,
        credentials,
        security,
    })
}

fn decode(s: &str) -> Result<String, std::str::Utf8Error> {
    percent_decode_str(s).decode_utf8().map(|c| c.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_names_the_destination_without_credentials() {
        for (raw, shown) in [
            (
                "smtp://bob:hunter2@mail.example.com",
                "smtp://mail.example.com:25",
            ),
            (
                "smtps://bob:hunter2@mail.example.com",
                "smtps://mail.example.com:465",
            ),
            ("sendmail", "sendmail:/usr/sbin/sendmail"),
            ("file:./var/mail", "file:./var/mail"),
        ] {
            assert_eq!(MailUrl::parse(raw).unwrap().describe(), shown, "{raw}");
        }
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(
            MailUrl::parse("smtp://mail.example.org").unwrap(),
            MailUrl::Smtp {
                host: "mail.example.org".into(),
                port: 25,
                credentials: None,
                security: SmtpSecurity::Plain
            }
        );
        assert_eq!(
            MailUrl::parse("smtps://u%40x:p%2Fw@mail.example.org").unwrap(),
            MailUrl::Smtp {
                host: "mail.example.org".into(),
                port: 465,
                credentials: Some(("u@x".into(), "p/w".into())),
                security: SmtpSecurity::Implicit
            }
        );
        let MailUrl::Smtp { port, security, .. } =
            MailUrl::parse("smtp://h:2525?tls=required").unwrap()
        else {
            panic!("not smtp")
        };
        assert_eq!((port, security), (2525, SmtpSecurity::StartTlsRequired));
        assert_eq!(
            MailUrl::parse("sendmail").unwrap(),
            MailUrl::Sendmail {
                binary: DEFAULT_SENDMAIL.into()
            }
        );
        assert_eq!(
            MailUrl::parse("sendmail:/opt/bin/sm").unwrap(),
            MailUrl::Sendmail {
                binary: "/opt/bin/sm".into()
            }
        );
        assert_eq!(
            MailUrl::parse("file:./var/mail").unwrap(),
            MailUrl::File {
                dir: "./var/mail".into()
            }
        );
        assert_eq!(
            MailUrl::parse("file:///tmp/m").unwrap(),
            MailUrl::File {
                dir: "/tmp/m".into()
            }
        );
    }

    #[test]
    fn errors_name_the_variable_and_hide_the_password() {
        for bad in [
            "imap://h",
            "smtp://",
            "smtp://u:secret@h?tls=maybe",
            "smtps://u:secret@h?tls=starttls",
            "file:",
        ] {
            let err = format!("{:#}", MailUrl::parse(bad).unwrap_err());
            assert!(err.contains("TIDINGS_MAIL_URL"), "{bad}: {err}");
            assert!(!err.contains("secret"), "{bad}: {err}");
        }
        let debug = format!("{:?}", MailUrl::parse("smtp://u:secret@h").unwrap());
        assert!(!debug.contains("secret"), "{debug}");
    }
}
