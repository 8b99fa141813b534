//! Credentials in URIs never leave tidings: one function masks the password
//! of any `scheme://user:pass@host...` form (webhooks with basic auth, AMQP
//! brokers, SMTP relays), and every API answer, log line or explanation that
//! shows a subscriber URI goes through it.
use std::borrow::Cow;

/// What replaces a password.
pub const MASK: &str = "***";

/// `raw` with the password of its authority (the part between `//` and the
/// first `/`, `?` or `#`) replaced by `***`; the user name, host and the rest
/// stay as typed. URIs without a password (`mailto:`, `https://host/`,
/// `amqp://user@host`) come back unchanged and unallocated.
///
/// Works on the text rather than a parsed URL so that what the subscriber
/// typed is echoed exactly, and so that even a URI that no longer parses
/// cannot leak its password.
pub fn mask_password(raw: &str) -> Cow<'_, str> {
    let Some(scheme_end) = raw.find("://") else {
        return Cow::Borrowed(raw);
    };
    let authority_start = scheme_end + 3;
    let rest = &raw[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    // The last `@` ends the userinfo, as URL parsers read it: a password
    // may itself contain an unescaped `@`.
    let Some(at) = authority.rfind('@') else {
        return Cow::Borrowed(raw);
    };
    let Some(colon) = authority[..at].find(':') else {
        return Cow::Borrowed(raw);
    };
    let password_start = authority_start + colon + 1;
    let password_end = authority_start + at;
    let mut masked = String::with_capacity(raw.len());
    masked.push_str(&raw[..password_start]);
    masked.push_str(MASK);
    masked.push_str(&raw[password_end..]);
    Cow::Owned(masked)
}

/// `alice@example.com` becomes `a***@example.com`. Anything without an `@`
/// is masked whole, since it may be an address we failed to recognise.
pub fn mask_address(address: &str) -> String {
    let address = address.trim();
    // `Alice <alice@example.com>`: the display name is as personal as the
    // address, so only the masked address is kept.
    let address = match (address.rfind('<'), address.rfind('>')) {
        (Some(start), Some(end)) if start < end => &address[start + 1..end],
        _ => address,
    };
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

/// Subscription options as answers show them: the webhook signing secret
/// is `***` (it stays usable, and is only ever set, never read back).
pub fn mask_options(mut options: serde_json::Value) -> serde_json::Value {
    if let Some(secret) = options.get_mut("signing_secret") {
        if secret.is_string() {
            *secret = serde_json::Value::String(MASK.into());
        }
    }
    options
}

/// A client that writes back the options it read sends the signing secret
/// as `***`: that keeps the stored secret (`stored_options` is the row's
/// options JSON; None for a new subscription, which has none to keep).
pub fn restore_signing_secret(
    options: &mut serde_json::Map<String, serde_json::Value>,
    stored_options: Option<&str>,
) -> Result<(), String> {
    if options.get("signing_secret").and_then(|v| v.as_str()) != Some(MASK) {
        return Ok(());
    }
    let stored = stored_options
        .and_then(|raw| serde_json::from_str::<serde_json::Value>(raw).ok())
        .and_then(|v| v.get("signing_secret").cloned())
        .filter(|v| v.is_string());
    match stored {
        Some(secret) => {
            options.insert("signing_secret".into(), secret);
            Ok(())
        }
        None => Err("Option signing_secret \"***\" keeps a stored secret, and there is none: give a whsec_ secret.".into()),
    }
}

/// True when `candidate` is what `mask_password` shows for `stored`: a
/// client that reads a subscription and writes the subscriber back has not
/// changed it.
pub fn is_masked_form_of(candidate: &str, stored: &str) -> bool {
    candidate != stored && mask_password(stored) == candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked() {
        let cases = [
            (
                "https://user:s3cret@hooks.example.com/x?y=1",
                "https://user:***@hooks.example.com/x?y=1",
            ),
            (
                "amqp://guest:guest@127.0.0.1:5672/%2f?exchange=pulp",
                "amqp://guest:***@127.0.0.1:5672/%2f?exchange=pulp",
            ),
            ("amqps://u:p@ss@broker", "amqps://u:***@broker"),
            ("http://:only-pass@h/", "http://:***@h/"),
            ("amqp://u:@h", "amqp://u:***@h"),
            (
                "HTTP://User:P%40ss@H.example.com:8080#frag",
                "HTTP://User:***@H.example.com:8080#frag",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(mask_password(raw), want, "{raw}");
        }
    }

    #[test]
    fn uris_without_a_password_are_unchanged() {
        for raw in [
            "mailto:a@example.com",
            "https://hooks.example.com/a:b@c",
            "http://h.example.com/?u=a:b@c",
            "amqp://user@broker/vhost",
            "amqp://broker",
            "no-scheme",
            "",
        ] {
            assert!(matches!(mask_password(raw), Cow::Borrowed(_)), "{raw}");
            assert_eq!(mask_password(raw), raw);
        }
    }

    #[test]
    fn a_written_back_signing_secret_keeps_the_stored_one() {
        let stored = r#"{"signing_secret":"whsec_real"}"#;
        let mut options = serde_json::json!({"signing_secret": "***", "x": 1})
            .as_object()
            .unwrap()
            .clone();
        restore_signing_secret(&mut options, Some(stored)).unwrap();
        assert_eq!(options["signing_secret"], "whsec_real");
        let mut new = serde_json::json!({"signing_secret": "***"})
            .as_object()
            .unwrap()
            .clone();
        assert!(restore_signing_secret(&mut new, None).is_err());
        assert!(restore_signing_secret(&mut new, Some("{}")).is_err());
        let mut other = serde_json::json!({"signing_secret": "whsec_new"})
            .as_object()
            .unwrap()
            .clone();
        restore_signing_secret(&mut other, Some(stored)).unwrap();
        assert_eq!(other["signing_secret"], "whsec_new");
    }

    #[test]
    fn the_masked_form_is_recognised() {
        let stored = "https://user:pw@h.example.com/";
        assert!(is_masked_form_of("https://user:***@h.example.com/", stored));
        assert!(!is_masked_form_of(stored, stored));
        assert!(!is_masked_form_of(
            "https://user:***@other.example.com/",
            stored
        ));
        assert!(!is_masked_form_of(
            "https://h.example.com/",
            "https://h.example.com/"
        ));
    }
}
