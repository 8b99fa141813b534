//! The links tidings puts into emails.
//!
//! Confirmation links carry a random single-use token whose hash is stored.
//! Unsubscribe links instead carry `HMAC-SHA256(secret_key, "unsubscribe:" +
//! subscription id)`: the notification worker must produce a valid link for
//! every email without a stored plaintext (a stored token would be a
//! credential at rest) and without a write per email. The HMAC needs no row,
//! never expires while the subscription exists (RFC 8058 wants that), and a
//! deleted subscription's link simply finds nothing. Rotating
//! `TIDINGS_SECRET_KEY` invalidates every outstanding unsubscribe link.
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::queue_name::QueueName;
use super::secret_key::SecretKey;

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `queues/NAME` or `topics/NAME` for a stored queue key (names are
/// URL-safe by Zaqar's rule; anything else is encoded).
fn resource_path(queue_key: &str) -> String {
    match QueueName::from_key(queue_key) {
        Some(name) => format!("{}/{}", name.namespace().collection(), name.name()),
        None => format!("queues/{}", encode(queue_key)),
    }
}

/// `{public_url}/v2/queues/{queue}/subscriptions?subscriber=..&confirm_token=..`
/// (the form of the Zaqar email-notification blueprint); `topics/{topic}`
/// for a topic's subscription. `queue` is the stored key.
pub fn confirm_url(public_url: &str, queue: &str, subscriber: &str, token: &str) -> String {
    format!(
        "{}/v2/{}/subscriptions?subscriber={}&confirm_token={}",
        public_url.trim_end_matches('/'),
        resource_path(queue),
        encode(subscriber),
        encode(token)
    )
}

pub fn unsubscribe_token(key: &SecretKey, subscription_id: &str) -> String {
    // HMAC accepts keys of any length; this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key.bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(b"unsubscribe:");
    mac.update(subscription_id.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

pub fn unsubscribe_token_matches(key: &SecretKey, subscription_id: &str, presented: &str) -> bool {
    unsubscribe_token(key, subscription_id)
        .as_bytes()
        .ct_eq(presented.as_bytes())
        .into()
}

/// The link every notification email carries (and `List-Unsubscribe`
/// points at): GET shows a page, POST unsubscribes, and a POST with body
/// `List-Unsubscribe=One-Click` is the RFC 8058 one-click form.
pub fn unsubscribe_url(
    public_url: &str,
    key: &SecretKey,
    queue: &str,
    subscription_id: &str,
) -> String {
    format!(
        "{}/v2/{}/subscriptions/{}/unsubscribe?token={}",
        public_url.trim_end_matches('/'),
        resource_path(queue),
        encode(subscription_id),
        unsubscribe_token(key, subscription_id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_forms() {
        assert_eq!(
            confirm_url("http://h:1/", "q1", "mailto:a@example.com", "tok"),
            "http://h:1/v2/queues/q1/subscriptions?subscriber=mailto%3Aa%40example.com&confirm_token=tok"
        );
        let key = SecretKey::from_bytes(b"k".to_vec());
        let url = unsubscribe_url("http://h:1", &key, "q1", "abc");
        let token = url.rsplit("token=").next().unwrap();
        assert!(url.starts_with("http://h:1/v2/queues/q1/subscriptions/abc/unsubscribe?token="));
        let topic = unsubscribe_url("http://h:1", &key, "topic:t1", "abc");
        assert!(topic.starts_with("http://h:1/v2/topics/t1/subscriptions/abc/unsubscribe?token="));
        assert!(unsubscribe_token_matches(&key, "abc", token));
        assert!(!unsubscribe_token_matches(&key, "abd", token));
        let other = SecretKey::from_bytes(b"j".to_vec());
        assert!(!unsubscribe_token_matches(&other, "abc", token));
    }
}
