//! Notification types (the OpenShift proposal's `EventNotificationType`):
//! named kinds of notification the operator offers, each covering some
//! subscriber schemes. Built in: `email` (mailto), `webhook` (http, https),
//! `amqp` (amqp, amqps). The operator's `[notification_types.NAME]` tables
//! replace a built-in of the same name or add new types after them (`text`
//! covering `https`: an SMS gateway reached by webhook), and
//! `builtin_notification_types = false` leaves only the declared ones.
//!
//! A subscription's type is `options.notification_type` when given (it must
//! cover the subscriber's scheme), else the first type covering its scheme.
use serde_json::Value;

/// The subscriber schemes tidings can deliver to.
pub const SCHEMES: &[&str] = &["mailto", "http", "https", "amqp", "amqps"];
pub const OPTION_KEY: &str = "notification_type";
const MAX_NAME_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationType {
    pub name: String,
    pub description: String,
    pub schemes: Vec<String>,
}

impl NotificationType {
    pub fn new(name: &str, description: &str, schemes: &[&str]) -> NotificationType {
        NotificationType {
            name: name.to_string(),
            description: description.to_string(),
            schemes: schemes.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn covers(&self, scheme: &str) -> bool {
        self.schemes.iter().any(|s| s == scheme)
    }

    fn check(&self) -> Result<(), String> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= MAX_NAME_LEN
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
        if !name_ok {
            return Err(format!(
                "notification type name {:?} must be 1 to {MAX_NAME_LEN} letters, digits, '_', '-' or '.'",
                self.name
            ));
        }
        if self.schemes.is_empty() {
            return Err(format!(
                "notification type {:?} must list the subscriber schemes it covers (some of {})",
                self.name,
                SCHEMES.join(", ")
            ));
        }
        for scheme in &self.schemes {
            if !SCHEMES.contains(&scheme.as_str()) {
                return Err(format!(
                    "notification type {:?} names the scheme {scheme:?}; tidings delivers to {}",
                    self.name,
                    SCHEMES.join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// The server's notification types, in the order they are listed and
/// looked through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationTypes {
    types: Vec<NotificationType>,
}

impl Default for NotificationTypes {
    fn default() -> Self {
        NotificationTypes { types: builtin() }
    }
}

fn builtin() -> Vec<NotificationType> {
    vec![
        NotificationType::new("email", "Email notification.", &["mailto"]),
        NotificationType::new(
            "webhook",
            "HTTP POST to a URL (webhook).",
            &["http", "https"],
        ),
        NotificationType::new("amqp", "Message to an AMQP exchange.", &["amqp", "amqps"]),
    ]
}

impl NotificationTypes {
    /// The built-ins (unless `with_builtin` is false), each replaced by a
    /// declared type of the same name, then the other declared types in
    /// their order.
    pub fn new(
        declared: Vec<NotificationType>,
        with_builtin: bool,
    ) -> Result<NotificationTypes, String> {
        let mut types = if with_builtin { builtin() } else { Vec::new() };
        for t in declared {
            t.check()?;
            match types.iter_mut().find(|existing| existing.name == t.name) {
                Some(existing) => *existing = t,
                None => types.push(t),
            }
        }
        Ok(NotificationTypes { types })
    }

    pub fn none() -> NotificationTypes {
        NotificationTypes { types: Vec::new() }
    }

    pub fn all(&self) -> &[NotificationType] {
        &self.types
    }

    /// No types declared: the policy checks are off.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&NotificationType> {
        self.types.iter().find(|t| t.name == name)
    }

    fn names(&self) -> String {
        self.types
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A type name a policy lists must exist.
    pub fn check_name(&self, name: &str) -> Result<(), String> {
        match self.get(name) {
            Some(_) => Ok(()),
            None if self.is_empty() => Err(format!(
                "unknown notification type {name:?}: this server declares no notification types"
            )),
            None => Err(format!(
                "unknown notification type {name:?} (this server has: {})",
                self.names()
            )),
        }
    }

    /// The subscription's notification type: the requested one (which
    /// must exist and cover `scheme`) or the first covering `scheme`. None
    /// only when the server declares no types at all.
    pub fn resolve(
        &self,
        requested: Option<&Value>,
        scheme: &str,
    ) -> Result<Option<&NotificationType>, String> {
        match requested {
            None | Some(Value::Null) => {}
            Some(Value::String(name)) => {
                self.check_name(name)
                    .map_err(|why| format!("Option {OPTION_KEY}: {why}."))?;
                let t = self.get(name).expect("checked above");
                if !t.covers(scheme) {
                    return Err(format!(
                        "Option {OPTION_KEY}: the notification type {name:?} covers {} subscribers, not {scheme}.",
                        t.schemes.join(", ")
                    ));
                }
                return Ok(Some(t));
            }
            Some(other) => {
                return Err(format!(
                    "Option {OPTION_KEY} must be the name of a notification type, not {other}."
                ))
            }
        }
        if self.is_empty() {
            return Ok(None);
        }
        match self.types.iter().find(|t| t.covers(scheme)) {
            Some(t) => Ok(Some(t)),
            None => Err(format!(
                "No notification type of this server covers {scheme} subscribers (it has: {}).",
                self.names()
            )),
        }
    }

    /// `GET /v2/notification_types`.
    pub fn to_json(&self) -> Value {
        let list: Vec<Value> = self
            .types
            .iter()
            .map(|t| {
                serde_json::json!({
                    "name": t.name,
                    "description": t.description,
                    "schemes": t.schemes,
                })
            })
            .collect();
        serde_json::json!({ "notification_types": list })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn openshift() -> NotificationTypes {
        NotificationTypes::new(
            vec![
                NotificationType::new("email", "Email notification.", &["mailto"]),
                NotificationType::new("text", "Text message notification.", &["https"]),
            ],
            true,
        )
        .unwrap()
    }

    #[test]
    fn builtins_are_replaced_by_name_and_extended() {
        let types = openshift();
        let names: Vec<&str> = types.all().iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["email", "webhook", "amqp", "text"]);
        assert_eq!(
            openshift().get("text").unwrap().description,
            "Text message notification."
        );
        let only = NotificationTypes::new(
            vec![NotificationType::new("text", "SMS", &["https"])],
            false,
        )
        .unwrap();
        assert_eq!(only.all().len(), 1);
        assert!(NotificationTypes::new(vec![], false).unwrap().is_empty());
    }

    #[test]
    fn declarations_are_checked() {
        let cases = [
            (
                NotificationType::new("", "x", &["https"]),
                "must be 1 to 64",
            ),
            (
                NotificationType::new("a b", "x", &["https"]),
                "must be 1 to 64",
            ),
            (
                NotificationType::new("text", "x", &[]),
                "must list the subscriber schemes",
            ),
            (
                NotificationType::new("text", "x", &["sms"]),
                "names the scheme \"sms\"",
            ),
        ];
        for (t, expect) in cases {
            let err = NotificationTypes::new(vec![t], true).unwrap_err();
            assert!(err.contains(expect), "{err}");
        }
    }

    #[test]
    fn a_subscription_gets_the_first_covering_type_or_the_one_it_asks_for() {
        let types = openshift();
        let name = |requested: Option<Value>, scheme: &str| {
            types
                .resolve(requested.as_ref(), scheme)
                .map(|t| t.map(|t| t.name.clone()))
        };
        assert_eq!(name(None, "mailto").unwrap().as_deref(), Some("email"));
        assert_eq!(name(None, "https").unwrap().as_deref(), Some("webhook"));
        assert_eq!(
            name(Some(json!("text")), "https").unwrap().as_deref(),
            Some("text")
        );
        assert!(name(Some(json!("text")), "http")
            .unwrap_err()
            .contains("covers https subscribers, not http"));
        assert!(name(Some(json!("sms")), "https")
            .unwrap_err()
            .contains("unknown notification type \"sms\""));
        assert!(name(Some(json!(5)), "https")
            .unwrap_err()
            .contains("must be the name"));
        let none = NotificationTypes::none();
        assert_eq!(none.resolve(None, "https").unwrap(), None);
        assert!(none
            .resolve(Some(&json!("email")), "mailto")
            .unwrap_err()
            .contains("declares no notification types"));
        let sms_only = NotificationTypes::new(
            vec![NotificationType::new("text", "SMS", &["https"])],
            false,
        )
        .unwrap();
        assert!(sms_only
            .resolve(None, "mailto")
            .unwrap_err()
            .contains("covers mailto"));
    }

    #[test]
    fn listing() {
        let listed = NotificationTypes::default().to_json();
        assert_eq!(listed["notification_types"][0]["name"], "email");
        assert_eq!(
            listed["notification_types"][1]["schemes"],
            json!(["http", "https"])
        );
        assert_eq!(
            NotificationTypes::none().to_json(),
            json!({"notification_types": []})
        );
    }
}
