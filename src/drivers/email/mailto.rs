//! A small `mailto:` reader (RFC 6068) for composing emails: several
//! comma-separated addresses in the path, `to`, `cc`, `bcc` and `subject` in
//! the query. Private on purpose: the validated `Subscriber` domain type is
//! the long-term home of this parsing.
use percent_encoding::percent_decode_str;

#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Mailto {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    /// The first non-empty `subject` value.
    pub subject: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MailtoError {
    #[error("subscriber is not a mailto: URI")]
    NotMailto,
    #[error("subscriber has a malformed mailto: URI")]
    Malformed,
    #[error("subscriber mailto: URI names no recipient")]
    NoRecipient,
}

pub(super) fn parse_mailto(uri: &str) -> Result<Mailto, MailtoError> {
    let url = url::Url::parse(uri.trim()).map_err(|_| MailtoError::Malformed)?;
    if url.scheme() != "mailto" {
        return Err(MailtoError::NotMailto);
    }
    let mut mailto = Mailto {
        to: split_addresses(url.path())?,
        ..Mailto::default()
    };
    // Not `query_pairs()`: that decodes `+` as a space, and in a mailto URI
    // `+` is a literal character (`ops+alerts@example.com`).
    for pair in url
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match decode(key)?.to_ascii_lowercase().as_str() {
            "to" => mailto.to.extend(split_addresses(value)?),
            "cc" => mailto.cc.extend(split_addresses(value)?),
            "bcc" => mailto.bcc.extend(split_addresses(value)?),
            "subject" if mailto.subject.is_none() => {
                mailto.subject = Some(decode(value)?).filter(|s| !s.trim().is_empty());
            }
            _ => {}
        }
    }
    if mailto.to.is_empty() && mailto.cc.is_empty() && mailto.bcc.is_empty() {
        return Err(MailtoError::NoRecipient);
    }
    Ok(mailto)
}

fn split_addresses(encoded: &str) -> Result<Vec<String>, MailtoError> {
    Ok(decode(encoded)?
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(String::from)
        .collect())
}

fn decode(s: &str) -> Result<String, MailtoError> {
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| MailtoError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rfc_6068_forms() {
        let m = parse_mailto(
            "mailto:ops+alerts@example.com,%20bob@example.com?Subject=Disk%20full&subject=second&cc=c1@x.org,c2@x.org&BCC=b@x.org&to=t@x.org&body=ignored",
        )
        .unwrap();
        assert_eq!(
            m,
            Mailto {
                to: vec![
                    "ops+alerts@example.com".into(),
                    "bob@example.com".into(),
                    "t@x.org".into()
                ],
                cc: vec!["c1@x.org".into(), "c2@x.org".into()],
                bcc: vec!["b@x.org".into()],
                subject: Some("Disk full".into()),
            }
        );
    }

    #[test]
    fn refuses_what_is_not_a_usable_mailto() {
        assert_eq!(parse_mailto("http://x"), Err(MailtoError::NotMailto));
        assert_eq!(
            parse_mailto("mailto:?subject=x"),
            Err(MailtoError::NoRecipient)
        );
        assert_eq!(parse_mailto("mailto:a%FF@x"), Err(MailtoError::Malformed));
    }

    #[test]
    fn empty_subject_counts_as_absent() {
        let m = parse_mailto("mailto:a@x.org?subject=").unwrap();
        assert_eq!(m.subject, None);
    }
}
