//! A single email address, validated strictly enough that it can go into a
//! mail header verbatim: one `@`, a non-empty local part, a domain with a dot
//! (or `localhost`), and none of the characters that could start a second
//! address or a second header.
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

/// RFC 5322 `atext` plus the dot; anything else (spaces, quotes, angle
/// brackets, commas, control characters) is refused rather than quoted.
fn local_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c)
}

fn label_ok(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(|c| c.is_alphanumeric() || c == '-')
}

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<EmailAddress, String> {
        // The caller's own input, echoed as typed (Debug quotes and escapes
        // it): the error goes back to whoever sent it, never into a log.
        let invalid = || format!("{raw:?} is not a valid email address.");
        if raw.len() > 254 {
            return Err(invalid());
        }
        let mut parts = raw.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid());
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local.chars().all(local_char_ok)
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        let domain_ok =
            domain == "localhost" || (domain.contains('.') && domain.split('.').all(label_ok));
        if local_ok && domain_ok {
            Ok(EmailAddress(raw.to_string()))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `a***@example.com`: what logs and pages may show.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Masks anything address-like for logs: the first
/// character of the local part, then `***@domain`.
pub fn mask(raw: &str) -> String {
    match raw.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).filter(|c| !c.is_control()).collect();
            let domain: String = domain.chars().filter(|c| !c.is_control()).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_refuses() {
        for ok in [
            "a@example.com",
            "first.last+tag@sub.example.org",
            "root@localhost",
        ] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            "@example.com",
            "a@",
            "a@b@example.com",
            "a@example",
            "a b@example.com",
            "<a@example.com>",
            "a@example.com\r\nBcc: x@y.z",
            "a@exa mple.com",
            "a,b@example.com",
            "a@-x.com",
            ".a@example.com",
            "a..b@example.com",
            "a@example..com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
    }

    /// The error goes back to the caller who typed the address: it shows
    /// their input (escaped), not a masked form they cannot recognise.
    #[test]
    fn the_error_echoes_the_input() {
        assert_eq!(
            EmailAddress::parse("not-an-address").unwrap_err(),
            r#""not-an-address" is not a valid email address."#
        );
        assert_eq!(
            EmailAddress::parse("a@example.com\r\nBcc: x@y.z").unwrap_err(),
            r#""a@example.com\r\nBcc: x@y.z" is not a valid email address."#
        );
    }

    #[test]
    fn masking_hides_the_local_part() {
        assert_eq!(mask("alice@example.com"), "a***@example.com");
        assert_eq!(mask("nothing"), "***");
    }
}
