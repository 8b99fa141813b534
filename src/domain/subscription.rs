//! A subscription request parsed from the Zaqar body, and the lifecycle
//! status a stored subscription is in.
use serde_json::{Map, Value};

use super::masking::mask_password;
use super::subscriber::Subscriber;
use super::subscription_options;

pub const MIN_SUBSCRIPTION_TTL: i64 = 60;
pub const DEFAULT_SUBSCRIPTION_TTL: i64 = 3600;
/// Zaqar has no maximum; ten years keeps `now + ttl` far from overflow and
/// refuses TTLs that are plainly mistakes.
pub const MAX_SUBSCRIPTION_TTL: i64 = 10 * 365 * 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting for its owner to confirm; receives nothing.
    Pending,
    /// Receives notifications.
    Active,
    /// Kept (so a re-subscribe finds it) but receives nothing.
    Unsubscribed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Active => "active",
            Status::Unsubscribed => "unsubscribed",
        }
    }

    pub fn parse(raw: &str) -> Status {
        match raw {
            "active" => Status::Active,
            "unsubscribed" => Status::Unsubscribed,
            // Unknown text is treated as the safe state: no deliveries.
            _ => Status::Pending,
        }
    }
}

/// The subscriber as given (stored verbatim, the uniqueness key; echoed
/// with its password masked) together with its parsed form.
#[derive(Clone)]
pub struct SubscriberUri {
    pub raw: String,
    pub parsed: Subscriber,
}

impl std::fmt::Debug for SubscriberUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubscriberUri")
            .field("raw", &mask_password(&self.raw))
            .field("parsed", &self.parsed)
            .finish()
    }
}

impl SubscriberUri {
    pub fn parse(raw: &str) -> Result<SubscriberUri, String> {
        Ok(SubscriberUri {
            raw: raw.to_string(),
            parsed: Subscriber::parse(raw)?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub subscriber: SubscriberUri,
    pub ttl: i64,
    pub options: Map<String, Value>,
}

#[derive(Debug, Clone, Default)]
pub struct SubscriptionPatch {
    pub subscriber: Option<SubscriberUri>,
    pub ttl: Option<i64>,
    pub options: Option<Map<String, Value>>,
}

/// Zaqar checks ttl only when it is truthy: 0, null and false mean "default".
fn ttl(doc: &Map<String, Value>) -> Result<Option<i64>, String> {
    let v = match doc.get("ttl") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => return Ok(None),
        Some(Value::Number(n)) if n.as_f64() == Some(0.0) => return Ok(None),
        Some(v) => v,
    };
    let n = v.as_i64().ok_or("TTL must be an integer.")?;
    if n < MIN_SUBSCRIPTION_TTL {
        return Err(format!(
            "The TTL for a subscription must be at least {MIN_SUBSCRIPTION_TTL} seconds long."
        ));
    }
    if n > MAX_SUBSCRIPTION_TTL {
        return Err(format!(
            "The TTL for a subscription may not be longer than {MAX_SUBSCRIPTION_TTL} seconds."
        ));
    }
    Ok(Some(n))
}

fn subscriber(v: &Value) -> Result<SubscriberUri, String> {
    match v {
        Value::String(s) if !s.is_empty() => SubscriberUri::parse(s),
        Value::String(_) | Value::Null => Err("Missing parameter subscriber in body.".into()),
        _ => Err("The subscriber must be a string.".into()),
    }
}

impl NewSubscription {
    pub fn from_json(doc: &Map<String, Value>) -> Result<NewSubscription, String> {
        let subscriber = subscriber(
            doc.get("subscriber")
                .ok_or("Missing parameter subscriber in body.")?,
        )?;
        let options = subscription_options::validate(doc.get("options"))?;
        Ok(NewSubscription {
            subscriber,
            ttl: ttl(doc)?.unwrap_or(DEFAULT_SUBSCRIPTION_TTL),
            options,
        })
    }
}

impl SubscriptionPatch {
    /// `None` for an empty document (Zaqar: "No subscription to create.").
    pub fn from_json(doc: &Map<String, Value>) -> Result<Option<SubscriptionPatch>, String> {
        if doc.is_empty() {
            return Ok(None);
        }
        let subscriber = match doc.get("subscriber") {
            None | Some(Value::Null) => None,
            Some(v) => Some(subscriber(v)?),
        };
        let options = match doc.get("options") {
            None | Some(Value::Null) => None,
            Some(v) => Some(subscription_options::validate(Some(v))?),
        };
        Ok(Some(SubscriptionPatch {
            subscriber,
            ttl: ttl(doc)?,
            options,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn create_defaults_and_errors() {
        let s = NewSubscription::from_json(&obj(json!({"subscriber": "mailto:a@example.com"})))
            .unwrap();
        assert_eq!(s.ttl, DEFAULT_SUBSCRIPTION_TTL);
        let cases = [
            (json!({}), "Missing parameter subscriber"),
            (json!({"subscriber": ""}), "Missing parameter subscriber"),
            (json!({"subscriber": 5}), "must be a string"),
            (
                json!({"subscriber": "x:y", "ttl": 60}),
                "supported in the list",
            ),
            (
                json!({"subscriber": "http://h.example.com", "ttl": 59}),
                "at least 60",
            ),
            (
                json!({"subscriber": "http://h.example.com", "ttl": "600"}),
                "must be an integer",
            ),
            (
                json!({"subscriber": "http://h.example.com", "ttl": 60.5}),
                "must be an integer",
            ),
            (
                json!({"subscriber": "http://h.example.com", "ttl": 9_000_000_000i64}),
                "may not be longer",
            ),
            (
                json!({"subscriber": "http://h.example.com", "options": []}),
                "Options must be a dict.",
            ),
        ];
        for (doc, expect) in cases {
            let err = NewSubscription::from_json(&obj(doc.clone())).unwrap_err();
            assert!(err.contains(expect), "{doc}: {err}");
        }
        let s = NewSubscription::from_json(&obj(
            json!({"subscriber": "http://h.example.com", "ttl": 0}),
        ))
        .unwrap();
        assert_eq!(s.ttl, DEFAULT_SUBSCRIPTION_TTL);
    }

    #[test]
    fn patch_forms() {
        assert!(SubscriptionPatch::from_json(&Map::new()).unwrap().is_none());
        let p = SubscriptionPatch::from_json(&obj(json!({"ttl": 600, "options": {"a": 1}})))
            .unwrap()
            .unwrap();
        assert_eq!(p.ttl, Some(600));
        assert!(p.subscriber.is_none());
        assert!(SubscriptionPatch::from_json(&obj(json!({"ttl": 1}))).is_err());
    }
}
