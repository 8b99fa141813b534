//! Passwords in subscriber URIs (`https://user:pass@host/`, `amqp://...`)
//! are never printed, whatever the server sends.
use url::Url;

/// The URI with any password replaced by `***`.
pub fn uri(subscriber: &str) -> String {
    match Url::parse(subscriber) {
        Ok(mut url) if url.password().is_some() => {
            if url.set_password(Some("***")).is_ok() {
                url.to_string()
            } else {
                subscriber.to_string()
            }
        }
        _ => subscriber.to_string(),
    }
}

/// The URI without user and password at all (Pulp's `URL:` line).
pub fn without_credentials(subscriber: &str) -> String {
    match Url::parse(subscriber) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_password(None);
            let _ = url.set_username("");
            url.to_string()
        }
        _ => subscriber.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            uri("https://ops:s3cret@hooks.example.com/pulp"),
            "https://ops:***@hooks.example.com/pulp"
        );
        assert_eq!(
            uri("amqp://guest:guest@127.0.0.1:5672/%2f?exchange=pulp"),
            "amqp://guest:***@127.0.0.1:5672/%2f?exchange=pulp"
        );
        assert_eq!(uri("mailto:a@example.com"), "mailto:a@example.com");
        assert_eq!(
            without_credentials("https://ops:s3cret@hooks.example.com/pulp"),
            "https://hooks.example.com/pulp"
        );
    }
}
