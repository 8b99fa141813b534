//! What a notification email's templates see, built in one place for the
//! worker that sends the email and for the API's preview, so a preview is
//! what would be sent. Built-in, operator and stored templates all get it.
//!
//! Stored sets use `message`, `event_type`, `queue`, `project`,
//! `subscription` and `links`; the built-in email also reads the
//! ready-made `body`, `posted_at`, `unsubscribe_url` and `pulp`.
use serde::Serialize;
use serde_json::Value;

use super::locale::Locale;
use super::masking::mask_address;
use super::pulp_report::{self, PulpSummary};

/// The facts a notification context is built from.
#[derive(Debug, Clone, Copy)]
pub struct NotificationFacts<'a> {
    /// The subscription's language (None: English).
    pub locale: Option<&'a Locale>,
    pub queue: &'a str,
    pub project: &'a str,
    /// The message body as posted.
    pub body: &'a Value,
    pub event_type: Option<&'a str>,
    /// When the message was posted, in Unix milliseconds.
    pub posted_at_ms: Option<i64>,
    pub subscription_id: Option<&'a str>,
    /// The subscriber URI (masked before a template sees it).
    pub subscriber: Option<&'a str>,
    pub unsubscribe_url: Option<&'a str>,
    pub preferences_url: Option<&'a str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    /// The parsed JSON body.
    pub body: Value,
    /// ISO 8601 (`2026-11-23T15:00:00Z`).
    pub posted_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionView {
    pub id: Option<String>,
    /// `mailto:a***@example.com`: never the whole address.
    pub subscriber: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LinksView {
    pub unsubscribe: Option<String>,
    pub preferences: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NotificationContext {
    /// The subscription's `options.locale` as given (`fr-CA`), or null.
    pub locale: Option<String>,
    pub message: MessageView,
    pub event_type: Option<String>,
    pub queue: String,
    pub project: String,
    pub subscription: SubscriptionView,
    pub links: LinksView,
    /// The body as the built-in email shows it: text as itself, anything
    /// else as indented JSON.
    pub body: String,
    /// `2026-11-23 15:00:00 UTC`, in the subscription's language
    /// (`23. November 2026, 15:00:00 UTC`).
    pub posted_at: Option<String>,
    pub unsubscribe_url: Option<String>,
    /// Set when the body is a Pulp event report.
    pub pulp: Option<PulpSummary>,
}

pub fn notification(facts: &NotificationFacts<'_>) -> NotificationContext {
    let chain = facts.locale.map(Locale::fallbacks).unwrap_or_default();
    NotificationContext {
        locale: facts.locale.map(|l| l.as_str().to_string()),
        message: MessageView {
            body: facts.body.clone(),
            posted_at: facts.posted_at_ms.map(crate::clock::iso8601),
        },
        event_type: facts.event_type.map(String::from),
        // A topic's stored key is `topic:NAME`; its emails name it NAME.
        queue: super::display_name(facts.queue).to_string(),
        project: facts.project.to_string(),
        subscription: SubscriptionView {
            id: facts.subscription_id.map(String::from),
            subscriber: facts.subscriber.map(mask_subscriber),
        },
        links: LinksView {
            unsubscribe: facts.unsubscribe_url.map(String::from),
            preferences: facts.preferences_url.map(String::from),
        },
        body: readable_body(facts.body),
        posted_at: facts
            .posted_at_ms
            .map(|ms| super::locale::format_datetime(ms, &chain)),
        unsubscribe_url: facts.unsubscribe_url.map(String::from),
        pulp: pulp_report::summary(facts.body),
    }
}

/// `mailto:alice@example.com,bob@example.com?subject=x` becomes
/// `mailto:a***@example.com,b***@example.com`; other URIs keep only
/// their scheme and host.
fn mask_subscriber(uri: &str) -> String {
    if let Some(rest) = uri.strip_prefix("mailto:") {
        let path = rest.split('?').next().unwrap_or("");
        let masked: Vec<String> = path
            .split(',')
            .filter(|a| !a.trim().is_empty())
            .map(mask_address)
            .collect();
        return format!("mailto:{}", masked.join(","));
    }
    match url::Url::parse(uri) {
        Ok(url) => format!("{}://{}/...", url.scheme(), url.host_str().unwrap_or("")),
        Err(_) => super::masking::MASK.to_string(),
    }
}

/// `2026-11-23 15:00:00 UTC`: the API's ISO 8601, made easier to read.
pub fn human_utc(ms: i64) -> String {
    crate::clock::iso8601(ms)
        .replace('T', " ")
        .replace('Z', " UTC")
}

/// Text bodies read best as themselves; anything else as indented JSON.
pub fn readable_body(body: &Value) -> String {
    match body {
        Value::String(text) => text.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_else(|_| other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subscriber_is_masked() {
        assert_eq!(
            mask_subscriber("mailto:alice@example.com,bob@example.org?subject=Hi"),
            "mailto:a***@example.com,b***@example.org"
        );
        assert_eq!(
            mask_subscriber("https://user:pw@hooks.example.com/secret/path?token=x"),
            "https://hooks.example.com/..."
        );
    }

    #[test]
    fn context_carries_body_links_and_pulp() {
        let body = json!({"event_type": "repo.sync.finish", "payload": {"repo_id": "zoo"}});
        let ctx = notification(&NotificationFacts {
            locale: None,
            queue: "q",
            project: "p",
            body: &body,
            event_type: Some("repo.sync.finish"),
            posted_at_ms: Some(0),
            subscription_id: Some("s1"),
            subscriber: Some("mailto:alice@example.com"),
            unsubscribe_url: Some("http://h/u"),
            preferences_url: None,
        });
        let v = serde_json::to_value(&ctx).unwrap();
        assert_eq!(v["message"]["body"]["payload"]["repo_id"], "zoo");
        assert_eq!(v["message"]["posted_at"], "1970-01-01T00:00:00Z");
        assert_eq!(v["posted_at"], "1970-01-01 00:00:00 UTC");
        assert_eq!(v["subscription"]["subscriber"], "mailto:a***@example.com");
        assert_eq!(v["links"]["unsubscribe"], "http://h/u");
        assert_eq!(v["pulp"]["repo"], "zoo");
    }
}
