//! VERP: the envelope sender of each email names its delivery, so a bounce
//! (sent back to the envelope sender) says which delivery it is about.
//! `TIDINGS_BOUNCE_ADDRESS` holds `{token}` where the token goes, e.g.
//! `bounces+{token}@example.com`.
use super::email_address::EmailAddress;

pub const PLACEHOLDER: &str = "{token}";

/// A usable bounce address: one `{token}`, in the local part, and a valid
/// address once a token stands in it.
pub fn check_bounce_address(template: &str) -> Result<(), String> {
    if template.matches(PLACEHOLDER).count() != 1 {
        return Err(format!(
            "must contain {PLACEHOLDER} once, e.g. bounces+{PLACEHOLDER}@example.com"
        ));
    }
    let (local, _) = template
        .rsplit_once('@')
        .ok_or_else(|| "must be an email address".to_string())?;
    if !local.contains(PLACEHOLDER) {
        return Err(format!("must have {PLACEHOLDER} before the @"));
    }
    EmailAddress::parse(&fill(template, "0123456789abcdef"))
        .map(|_| ())
        .map_err(|_| "is not a valid email address once {token} is filled in".to_string())
}

/// The envelope sender for one token.
pub fn fill(template: &str, token: &str) -> String {
    template.replacen(PLACEHOLDER, token, 1)
}

/// The token in `address`, if it is the bounce address with one filled
/// in. The domain and the fixed parts compare case-insensitively (some
/// MTAs fold local parts to lower case; tokens are lower-case hex).
pub fn token_in(template: &str, address: &str) -> Option<String> {
    let (prefix, suffix) = template.split_once(PLACEHOLDER)?;
    let address = address
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_ascii_lowercase();
    let rest = address.strip_prefix(&prefix.to_ascii_lowercase())?;
    let token = rest.strip_suffix(&suffix.to_ascii_lowercase())?;
    (!token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| token.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "bounces+{token}@example.com";

    #[test]
    fn fills_and_finds_the_token() {
        let sender = fill(T, "abc123");
        assert_eq!(sender, "bounces+abc123@example.com");
        assert_eq!(token_in(T, &sender).as_deref(), Some("abc123"));
        assert_eq!(
            token_in(T, "<BOUNCES+ABC123@Example.com>").as_deref(),
            Some("abc123")
        );
        assert_eq!(token_in(T, "bounces+@example.com"), None);
        assert_eq!(token_in(T, "other+abc@example.com"), None);
        assert_eq!(token_in(T, "bounces+a.b@example.com"), None);
    }

    #[test]
    fn refuses_unusable_templates() {
        assert!(check_bounce_address(T).is_ok());
        assert!(check_bounce_address("bounces@example.com").is_err());
        assert!(check_bounce_address("bounces@{token}.example.com").is_err());
        assert!(check_bounce_address("{token}{token}@example.com").is_err());
        assert!(check_bounce_address("bounces+{token}").is_err());
    }
}
