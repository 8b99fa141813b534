//! The email a caller wants sent, independent of transport, and its strict
//! conversion into a lettre `Message`. Every header value is checked for CR
//! and LF here so no caller-supplied text can start a header of its own.
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;

use super::address::mask_address;

/// One email, ready for any transport.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// `Name <addr@host>` or a bare address.
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: String,
    pub text: String,
    /// When present the email is `multipart/alternative` (text, then HTML).
    pub html: Option<String>,
    /// Extra headers such as `List-Unsubscribe` or `List-Unsubscribe-Post`.
    pub headers: Vec<(String, String)>,
    /// `<id@host>`; generated when absent.
    pub message_id: Option<String>,
    /// A link the `file:` transport logs so a developer without a mail
    /// server can click it (the confirmation link). Other transports never
    /// log it: with real mail the link is a credential.
    pub dev_log_link: Option<String>,
    /// The envelope sender (SMTP `MAIL FROM`, the Return-Path receivers
    /// see): the per-delivery VERP address. None: the From address.
    pub envelope_from: Option<String>,
}

/// Why an `OutgoingEmail` cannot become a message. Retrying cannot fix any
/// of these, so the mailer reports them as permanent.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ComposeError {
    #[error("header {0} contains a line break (header injection refused)")]
    LineBreak(String),
    #[error("invalid {field} address {masked}")]
    InvalidAddress { field: &'static str, masked: String },
    #[error("invalid header name {0:?}")]
    InvalidHeaderName(String),
    #[error("the email has no recipient")]
    NoRecipient,
    #[error("the email could not be built: {0}")]
    Build(String),
}

const AUTO_SUBMITTED: &str = "Auto-Submitted";

impl OutgoingEmail {
    /// Builds the lettre message. `keep_bcc` keeps the `Bcc` header in the
    /// output, which `sendmail -t` needs to find (and then strips) those
    /// recipients; SMTP and file transports must not keep it.
    pub fn to_message(&self, keep_bcc: bool) -> Result<Message, ComposeError> {
        self.refuse_line_breaks()?;
        if self.to.is_empty() && self.cc.is_empty() && self.bcc.is_empty() {
            return Err(ComposeError::NoRecipient);
        }
        let from = parse_mailbox("from", &self.from)?;
        let message_id = match &self.message_id {
            Some(id) => id.clone(),
            None => new_message_id(&from),
        };
        let mut builder = Message::builder()
            .from(from)
            .subject(self.subject.clone())
            .message_id(Some(message_id));
        for to in &self.to {
            builder = builder.to(parse_mailbox("to", to)?);
        }
        for cc in &self.cc {
            builder = builder.cc(parse_mailbox("cc", cc)?);
        }
        for bcc in &self.bcc {
            builder = builder.bcc(parse_mailbox("bcc", bcc)?);
        }
        if keep_bcc {
            builder = builder.keep_bcc();
        }
        if let Some(sender) = &self.envelope_from {
            builder = builder.envelope(self.envelope(sender)?);
        }
        let has_auto_submitted = self
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case(AUTO_SUBMITTED));
        if !has_auto_submitted {
            builder = builder.raw_header(raw_header(AUTO_SUBMITTED, "auto-generated")?);
        }
        for (name, value) in &self.headers {
            builder = builder.raw_header(raw_header(name, value)?);
        }
        let built = match &self.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                self.text.clone(),
                html.clone(),
            )),
            None => builder
                .header(ContentType::TEXT_PLAIN)
                .body(self.text.clone()),
        };
        built.map_err(|e| ComposeError::Build(e.to_string()))
    }

    /// The recipients of the headers, sent from `sender`.
    fn envelope(&self, sender: &str) -> Result<lettre::address::Envelope, ComposeError> {
        let address =
            |field: &'static str, raw: &str| parse_mailbox(field, raw).map(|mailbox| mailbox.email);
        let from = address("envelope sender", sender)?;
        let mut to = Vec::new();
        for (field, list) in [("to", &self.to), ("cc", &self.cc), ("bcc", &self.bcc)] {
            for raw in list {
                to.push(address(field, raw)?);
            }
        }
        lettre::address::Envelope::new(Some(from), to)
            .map_err(|e| ComposeError::Build(e.to_string()))
    }

    fn refuse_line_breaks(&self) -> Result<(), ComposeError> {
        let single_values = [
            ("From", Some(&self.from)),
            ("Subject", Some(&self.subject)),
            ("Message-ID", self.message_id.as_ref()),
            ("envelope sender", self.envelope_from.as_ref()),
        ];
        for (name, value) in single_values {
            if value.is_some_and(|v| has_line_break(v)) {
                return Err(ComposeError::LineBreak(name.to_string()));
            }
        }
        let lists = [("To", &self.to), ("Cc", &self.cc), ("Bcc", &self.bcc)];
        for (name, values) in lists {
            if values.iter().any(|v| has_line_break(v)) {
                return Err(ComposeError::LineBreak(name.to_string()));
            }
        }
        for (name, value) in &self.headers {
            if has_line_break(name) || has_line_break(value) {
                return Err(ComposeError::LineBreak(name.replace(['\r', '\n'], "")));
            }
        }
        Ok(())
    }
}

fn has_line_break(value: &str) -> bool {
    value.contains(['\r', '\n'])
}

fn parse_mailbox(field: &'static str, value: &str) -> Result<Mailbox, ComposeError> {
    value
        .trim()
        .parse::<Mailbox>()
        .map_err(|_| ComposeError::InvalidAddress {
            field,
            masked: mask_address(value),
        })
}

fn raw_header(name: &str, value: &str) -> Result<HeaderValue, ComposeError> {
    let header_name = HeaderName::new_from_ascii(name.to_string())
        .map_err(|_| ComposeError::InvalidHeaderName(name.to_string()))?;
    Ok(HeaderValue::new(header_name, value.to_string()))
}

/// `<uuid@domain-of-from>`: unique without a hostname lookup, and the domain
/// is one the sender controls.
fn new_message_id(from: &Mailbox) -> String {
    format!("<{}@{}>", uuid::Uuid::new_v4(), from.email.domain())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> OutgoingEmail {
        OutgoingEmail {
            from: "tidings <no-reply@example.org>".into(),
            to: vec!["alice@example.com".into()],
            subject: "Hello".into(),
            text: "plain body".into(),
            ..Default::default()
        }
    }

    fn formatted(email: &OutgoingEmail) -> String {
        String::from_utf8(email.to_message(false).unwrap().formatted()).unwrap()
    }

    #[test]
    fn plain_email_has_message_id_and_auto_submitted() {
        let text = formatted(&sample());
        assert!(text.contains("Message-ID: <"), "{text}");
        assert!(text.contains("@example.org>"), "{text}");
        assert!(text.contains("Auto-Submitted: auto-generated"), "{text}");
        assert!(text.contains("Content-Type: text/plain"), "{text}");
    }

    #[test]
    fn html_makes_multipart_alternative() {
        let mut email = sample();
        email.html = Some("<p>hi</p>".into());
        let text = formatted(&email);
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(text.contains("text/html"), "{text}");
    }

    #[test]
    fn line_breaks_are_refused_everywhere() {
        let mut email = sample();
        email.subject = "hi\r\nBcc: evil@example.net".into();
        assert_eq!(
            email.to_message(false).unwrap_err(),
            ComposeError::LineBreak("Subject".into())
        );
        let mut email = sample();
        email.from = "a@b.c\nBcc: evil@example.net".into();
        assert!(matches!(
            email.to_message(false),
            Err(ComposeError::LineBreak(_))
        ));
        let mut email = sample();
        email.headers = vec![("List-Unsubscribe".into(), "<x>\r\nX-Evil: 1".into())];
        assert!(matches!(
            email.to_message(false),
            Err(ComposeError::LineBreak(_))
        ));
    }

    #[test]
    fn bad_address_is_masked_in_the_error() {
        let mut email = sample();
        email.to = vec!["alice at example.com@".into()];
        let err = email.to_message(false).unwrap_err().to_string();
        assert!(!err.contains("alice"), "{err}");
    }

    #[test]
    fn bcc_is_kept_only_when_asked() {
        let mut email = sample();
        email.bcc = vec!["hidden@example.com".into()];
        assert!(!formatted(&email).contains("hidden@"));
        let kept = String::from_utf8(email.to_message(true).unwrap().formatted()).unwrap();
        assert!(kept.contains("Bcc: hidden@example.com"), "{kept}");
    }
}
