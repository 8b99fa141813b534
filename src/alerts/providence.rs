//! The Providence notification-rule payload (seed 004):
//! `{"environmentSubscriptionId": "XYZ", "levels": ["Environment", ...],
//! "emailAddresses": "a@example.com; b@example.com", "states": ["Error",
//! "Warning"], "notificationInterval": 120, "isActive": true}`.
//!
//! Every field is required. The seed's casing is accepted and kept: the
//! rule is answered as it was sent. `emailAddresses` is one string with
//! addresses separated by `,` or `;` (a list of strings is accepted too).
use serde_json::{json, Map, Value};

use super::rule::MAX_INTERVAL_SECS;
use super::state::AlertState;
use crate::domain::email_address::EmailAddress;
use crate::domain::QueueName;

pub const FIELDS: [&str; 6] = [
    "environmentSubscriptionId",
    "levels",
    "emailAddresses",
    "states",
    "notificationInterval",
    "isActive",
];

/// A valid rule payload.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSpec {
    pub queue: QueueName,
    /// Lowercase, as the queue's `_alert` levels are compared.
    pub levels: Vec<String>,
    /// Distinct addresses, in the order sent.
    pub addresses: Vec<String>,
    pub states: Vec<AlertState>,
    pub interval_secs: i64,
    pub active: bool,
    /// The six fields as sent.
    pub document: Map<String, Value>,
}

fn strings<'a>(doc: &'a Map<String, Value>, key: &str) -> Result<Vec<&'a str>, String> {
    match doc.get(key) {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|item| match item.as_str().map(str::trim) {
                Some(s) if !s.is_empty() => Ok(s),
                _ => Err(format!("{key} must be a list of non-empty strings.")),
            })
            .collect(),
        _ => Err(format!("{key} must be a non-empty list of strings.")),
    }
}

fn addresses(value: &Value) -> Result<Vec<String>, String> {
    let raw: Vec<&str> = match value {
        Value::String(s) => s.split([',', ';']).collect(),
        Value::Array(items) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .ok_or_else(|| "emailAddresses must be a string of addresses.".to_string())
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err("emailAddresses must be a string of addresses separated by , or ;.".into())
        }
    };
    let mut out: Vec<String> = Vec::new();
    for address in raw.into_iter().map(str::trim).filter(|a| !a.is_empty()) {
        let parsed = EmailAddress::parse(address)
            .map_err(|_| format!("emailAddresses: {address:?} is not a valid email address."))?;
        if !out.iter().any(|a| a.eq_ignore_ascii_case(parsed.as_str())) {
            out.push(parsed.as_str().to_string());
        }
    }
    if out.is_empty() {
        return Err("emailAddresses must name at least one address.".into());
    }
    Ok(out)
}

impl RuleSpec {
    pub fn parse(body: &Value) -> Result<RuleSpec, String> {
        let doc = body
            .as_object()
            .ok_or("The notification rule must be a JSON object.")?;
        if let Some(missing) = FIELDS.iter().find(|f| !doc.contains_key(**f)) {
            return Err(format!("{missing} is required."));
        }
        let queue = doc["environmentSubscriptionId"]
            .as_str()
            .and_then(QueueName::parse)
            .ok_or("environmentSubscriptionId must name a queue (letters, digits, - and _, at most 64).")?;
        let levels = strings(doc, "levels")?
            .into_iter()
            .map(str::to_ascii_lowercase)
            .collect();
        let mut states = Vec::new();
        for text in strings(doc, "states")? {
            match AlertState::parse(text) {
                Some(AlertState::Ok) | None => {
                    return Err(format!(
                        "states: unknown state {text:?} (known: Warning, Error)."
                    ))
                }
                Some(state) if !states.contains(&state) => states.push(state),
                Some(_) => {}
            }
        }
        let interval_secs = match doc["notificationInterval"].as_i64() {
            Some(n) if (0..=MAX_INTERVAL_SECS).contains(&n) => n,
            Some(_) => {
                return Err(format!(
                    "notificationInterval must be between 0 and {MAX_INTERVAL_SECS} seconds."
                ))
            }
            None => return Err("notificationInterval must be an integer number of seconds.".into()),
        };
        let active = doc["isActive"]
            .as_bool()
            .ok_or("isActive must be true or false.")?;
        Ok(RuleSpec {
            queue,
            levels,
            addresses: addresses(&doc["emailAddresses"])?,
            states,
            interval_secs,
            active,
            document: FIELDS
                .iter()
                .map(|f| (f.to_string(), doc[*f].clone()))
                .collect(),
        })
    }

    /// The subscription options of each of the rule's addresses.
    pub fn subscription_options(&self) -> Map<String, Value> {
        let states: Vec<&str> = self.states.iter().map(|s| s.as_str()).collect();
        let options = json!({"alert": {
            "states": states,
            "levels": self.levels,
            "interval": self.interval_secs,
            "active": self.active,
        }});
        match options {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed() -> Value {
        json!({
            "environmentSubscriptionId": "XYZ",
            "levels": ["Environment", "Service", "Action", "Component"],
            "emailAddresses": "NotifyMeUser@daimler.com",
            "states": ["Error", "Warning"],
            "notificationInterval": 120,
            "isActive": true
        })
    }

    #[test]
    fn the_seed_payload() {
        let spec = RuleSpec::parse(&seed()).unwrap();
        assert_eq!(spec.queue.as_str(), "XYZ");
        assert_eq!(
            spec.levels,
            ["environment", "service", "action", "component"]
        );
        assert_eq!(spec.addresses, ["NotifyMeUser@daimler.com"]);
        assert_eq!(spec.states, [AlertState::Error, AlertState::Warning]);
        assert_eq!(spec.interval_secs, 120);
        assert!(spec.active);
        assert_eq!(Value::Object(spec.document.clone()), seed());
        let options = Value::Object(spec.subscription_options());
        assert_eq!(options["alert"]["states"], json!(["error", "warning"]));
        assert_eq!(options["alert"]["interval"], 120);
    }

    #[test]
    fn several_addresses() {
        let mut body = seed();
        body["emailAddresses"] = json!("a@example.com, b@example.com;c@example.com ;A@example.com");
        let spec = RuleSpec::parse(&body).unwrap();
        assert_eq!(
            spec.addresses,
            ["a@example.com", "b@example.com", "c@example.com"]
        );
    }

    #[test]
    fn refused_payloads() {
        let with = |key: &str, value: Value| {
            let mut body = seed();
            body[key] = value;
            body
        };
        let without = |key: &str| {
            let mut body = seed();
            body.as_object_mut().unwrap().remove(key);
            body
        };
        for (body, expect) in [
            (json!([]), "must be a JSON object"),
            (without("isActive"), "isActive is required"),
            (without("levels"), "levels is required"),
            (
                with("environmentSubscriptionId", json!("a b")),
                "must name a queue",
            ),
            (
                with("environmentSubscriptionId", json!(5)),
                "must name a queue",
            ),
            (with("levels", json!([])), "non-empty list"),
            (with("levels", json!("Service")), "non-empty list"),
            (
                with("states", json!(["Critical"])),
                "unknown state \"Critical\"",
            ),
            (with("states", json!(["OK"])), "unknown state \"OK\""),
            (
                with("emailAddresses", json!("not-an-address")),
                "not a valid email",
            ),
            (with("emailAddresses", json!(" ; ")), "at least one"),
            (with("emailAddresses", json!(7)), "separated by , or ;"),
            (
                with("notificationInterval", json!(-1)),
                "between 0 and 86400",
            ),
            (with("notificationInterval", json!("120")), "integer"),
            (with("isActive", json!("yes")), "true or false"),
        ] {
            let err = RuleSpec::parse(&body).unwrap_err();
            assert!(err.contains(expect), "{body}: {err}");
        }
    }
}
