//! Subscriptions grouped into listeners, printed as Pulp's `pulp-admin
//! event listener list` blocks (or JSON in Pulp's REST field names).
//! Passwords never appear.
use serde_json::{json, Map, Value};
use url::Url;

use super::LISTENER_ID;
use crate::cli::error::CliResult;
use crate::cli::mask;
use crate::cli::output::text_of;
use crate::cli::Ctx;

pub struct Listener {
    pub id: String,
    pub queue: String,
    pub subscriptions: Vec<Value>,
}

pub fn listener_id(sub: &Value) -> Option<&str> {
    sub.get("options")?.get(LISTENER_ID)?.as_str()
}

/// Listeners by queue (in the order given), oldest first; within one, the
/// subscriptions oldest first, then by subscriber.
pub fn group(subs: &[(String, Value)]) -> Vec<Listener> {
    let mut out = group_unordered(subs);
    let age = |s: &Value| s.get("age").and_then(Value::as_i64).unwrap_or(0);
    for l in &mut out {
        l.subscriptions.sort_by(|a, b| {
            age(b)
                .cmp(&age(a))
                .then_with(|| subscriber(a).cmp(&subscriber(b)))
        });
    }
    let queue_rank = |q: &str| subs.iter().position(|(name, _)| name == q);
    out.sort_by(|a, b| {
        queue_rank(&a.queue)
            .cmp(&queue_rank(&b.queue))
            .then_with(|| age(b.first()).cmp(&age(a.first())))
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

fn group_unordered(subs: &[(String, Value)]) -> Vec<Listener> {
    let mut out: Vec<Listener> = Vec::new();
    for (queue, sub) in subs {
        let Some(id) = listener_id(sub) else {
            continue;
        };
        match out.iter_mut().find(|l| l.id == id && &l.queue == queue) {
            Some(l) => l.subscriptions.push(sub.clone()),
            None => out.push(Listener {
                id: id.to_string(),
                queue: queue.clone(),
                subscriptions: vec![sub.clone()],
            }),
        }
    }
    out
}

fn subscriber(sub: &Value) -> String {
    text_of(sub.get("subscriber"))
}

fn scheme(sub: &Value) -> String {
    subscriber(sub)
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The address of a `mailto:` URI, without any `?subject=`.
fn address(sub: &Value) -> String {
    let s = subscriber(sub);
    let rest = s.split_once(':').map(|(_, r)| r).unwrap_or(&s);
    let addr = rest.split('?').next().unwrap_or_default();
    percent_encoding::percent_decode_str(addr)
        .decode_utf8_lossy()
        .into_owned()
}

impl Listener {
    fn first(&self) -> &Value {
        &self.subscriptions[0]
    }

    fn option(&self, key: &str) -> Option<&Value> {
        self.first().get("options")?.get(key)
    }

    pub fn notifier_type(&self) -> String {
        match scheme(self.first()).as_str() {
            "mailto" => "email".into(),
            "http" | "https" => "http".into(),
            "amqp" | "amqps" => "amqp".into(),
            other => other.to_string(),
        }
    }

    pub fn event_types(&self) -> Vec<String> {
        match self.option("event_types").and_then(Value::as_array) {
            Some(list) => list.iter().map(|v| text_of(Some(v))).collect(),
            None => Vec::new(),
        }
    }

    /// Pulp's `notifier_config`, without passwords.
    pub fn config(&self) -> Map<String, Value> {
        let mut config = Map::new();
        match self.notifier_type().as_str() {
            "email" => {
                let addresses: Vec<String> = self.subscriptions.iter().map(address).collect();
                config.insert("addresses".into(), json!(addresses));
                config.insert(
                    "subject".into(),
                    self.option("subject").cloned().unwrap_or(Value::Null),
                );
                if let Some(from) = self.option("from") {
                    config.insert("from".into(), from.clone());
                }
            }
            "http" => {
                let raw = subscriber(self.first());
                config.insert("url".into(), json!(mask::without_credentials(&raw)));
                if let Some(user) = Url::parse(&raw)
                    .ok()
                    .map(|u| u.username().to_string())
                    .filter(|u| !u.is_empty())
                {
                    config.insert("username".into(), json!(user));
                }
            }
            "amqp" => {
                let raw = subscriber(self.first());
                let (url, exchange) = match Url::parse(&raw) {
                    Ok(mut u) => {
                        let exchange = u
                            .query_pairs()
                            .find(|(k, _)| k == "exchange")
                            .map(|(_, v)| v.into_owned());
                        let rest: Vec<(String, String)> = u
                            .query_pairs()
                            .filter(|(k, _)| k != "exchange")
                            .map(|(k, v)| (k.into_owned(), v.into_owned()))
                            .collect();
                        u.set_query(None);
                        if !rest.is_empty() {
                            u.query_pairs_mut().extend_pairs(rest);
                        }
                        (mask::without_credentials(u.as_str()), exchange)
                    }
                    Err(_) => (mask::without_credentials(&raw), None),
                };
                config.insert("exchange".into(), json!(exchange));
                config.insert("url".into(), json!(url));
            }
            _ => {
                config.insert(
                    "subscriber".into(),
                    json!(mask::uri(&subscriber(self.first()))),
                );
            }
        }
        config
    }

    pub fn to_json(&self) -> Value {
        let subscriptions: Vec<Value> = self
            .subscriptions
            .iter()
            .map(|s| {
                let mut entry = json!({
                    "id": s.get("id").cloned().unwrap_or(Value::Null),
                    "subscriber": mask::uri(&subscriber(s)),
                    "confirmed": s.get("confirmed").cloned().unwrap_or(Value::Null),
                });
                if let Some(status) = s.get("status") {
                    entry["status"] = status.clone();
                }
                entry
            })
            .collect();
        json!({
            "id": self.id,
            "queue": self.queue,
            "notifier_type_id": self.notifier_type(),
            "event_types": self.event_types(),
            "notifier_config": Value::Object(self.config()),
            "subscriptions": subscriptions,
        })
    }

    /// Addresses whose owner has not confirmed (yet).
    fn unconfirmed(&self) -> Vec<String> {
        self.subscriptions
            .iter()
            .filter(|s| s.get("confirmed").and_then(Value::as_bool) != Some(true))
            .map(address)
            .collect()
    }

    /// Pulp's block: labels padded to one column, config indented.
    pub fn block(&self) -> String {
        const WIDTH: usize = 19;
        let line = |label: &str, value: &str| format!("{:<WIDTH$}{value}\n", format!("{label}:"));
        let mut config: Vec<(String, String)> = Vec::new();
        match self.notifier_type().as_str() {
            "email" => {
                let c = self.config();
                config.push((
                    "Addresses".into(),
                    c["addresses"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .map(|v| text_of(Some(v)))
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .unwrap_or_default(),
                ));
                if let Some(from) = c.get("from") {
                    config.push(("From".into(), text_of(Some(from))));
                }
                config.push(("Subject".into(), text_of(c.get("subject"))));
                let waiting = self.unconfirmed();
                if !waiting.is_empty() {
                    config.push(("Unconfirmed".into(), waiting.join(", ")));
                }
            }
            "http" => {
                let c = self.config();
                config.push(("URL".into(), text_of(c.get("url"))));
                if let Some(u) = c.get("username") {
                    config.push(("Username".into(), text_of(Some(u))));
                }
            }
            "amqp" => {
                let c = self.config();
                let exchange = match c.get("exchange") {
                    Some(Value::String(e)) => e.clone(),
                    _ => "(the server's default)".into(),
                };
                config.push(("Exchange".into(), exchange));
                config.push(("URL".into(), text_of(c.get("url"))));
            }
            _ => config.push(("Subscriber".into(), mask::uri(&subscriber(self.first())))),
        }
        let key_width = config.iter().map(|(k, _)| k.len() + 1).max().unwrap_or(0);
        let mut out = String::new();
        out.push_str(&line("Event Types", &self.event_types().join(", ")));
        out.push_str(&line("Id", &self.id));
        out.push_str("Notifier Config:\n");
        for (k, v) in config {
            out.push_str(&format!("  {:<w$} {v}\n", format!("{k}:"), w = key_width));
        }
        out.push_str(&line("Notifier Type Id", &self.notifier_type()));
        out.push_str(&line("Queue", &self.queue));
        out
    }
}

pub fn print_list(ctx: &Ctx, listeners: &[Listener]) -> CliResult<()> {
    let json = Value::Array(listeners.iter().map(Listener::to_json).collect());
    let ids: Vec<String> = listeners.iter().map(|l| l.id.clone()).collect();
    let text = if listeners.is_empty() {
        "No event listeners.\n".to_string()
    } else {
        listeners
            .iter()
            .map(Listener::block)
            .collect::<Vec<_>>()
            .join("\n")
    };
    ctx.out.text(&json, &ids, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(id: &str, subscriber: &str, options: Value, confirmed: bool) -> (String, Value) {
        (
            "pulp".into(),
            json!({"id": id, "subscriber": subscriber, "options": options, "confirmed": confirmed}),
        )
    }

    #[test]
    fn an_email_listener_reads_like_pulp() {
        let opts = json!({"listener_id": "L1", "event_types": ["repo.sync.start"], "subject": "pulp notification"});
        let mut older = sub("a", "mailto:someone@example.com", opts.clone(), true);
        older.1["age"] = json!(20);
        let mut newer = sub("b", "mailto:another@example.com", opts, false);
        newer.1["age"] = json!(10);
        // Listed by id by the server; shown oldest first, as created.
        let subs = vec![
            newer,
            sub("c", "https://x.example.com/", json!({}), false),
            older,
        ];
        let listeners = group(&subs);
        assert_eq!(listeners.len(), 1);
        assert_eq!(
            listeners[0].block(),
            "Event Types:       repo.sync.start\n\
             Id:                L1\n\
             Notifier Config:\n  \
             Addresses:   someone@example.com, another@example.com\n  \
             Subject:     pulp notification\n  \
             Unconfirmed: another@example.com\n\
             Notifier Type Id:  email\n\
             Queue:             pulp\n"
        );
    }

    #[test]
    fn http_and_amqp_listeners_hide_passwords() {
        let subs = vec![
            sub(
                "a",
                "https://ops:s3cret@hooks.example.com/pulp",
                json!({"listener_id": "H", "event_types": ["*"]}),
                false,
            ),
            sub(
                "b",
                "amqp://guest:guest@127.0.0.1:5672/%2f?exchange=pulp",
                json!({"listener_id": "A", "event_types": ["*"]}),
                false,
            ),
        ];
        let listeners = group(&subs);
        let text: String = listeners.iter().map(Listener::block).collect();
        let json =
            serde_json::to_string(&listeners.iter().map(Listener::to_json).collect::<Vec<_>>())
                .unwrap();
        for shown in [&text, &json] {
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(!shown.contains("guest:guest"), "{shown}");
        }
        assert!(
            text.contains("  URL:      https://hooks.example.com/pulp\n  Username: ops\n"),
            "{text}"
        );
        assert!(
            text.contains("  Exchange: pulp\n  URL:      amqp://127.0.0.1:5672/%2f\n"),
            "{text}"
        );
        let amqp = listeners.iter().find(|l| l.id == "A").unwrap();
        assert_eq!(amqp.notifier_type(), "amqp");
        assert_eq!(amqp.to_json()["notifier_config"]["exchange"], "pulp");
    }
}
