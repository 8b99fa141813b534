//! What each fuzz target does with one input. Shared by the cargo fuzz
//! targets (fuzz_targets/*.rs) and by `tests/fuzz_corpus.rs`, which feeds
//! every committed corpus file through the same functions on stable Rust.
//!
//! Each function may reject its input (every parser here returns a
//! `Result`); it must never panic, loop or run out of memory.
#![allow(dead_code)]

use std::sync::OnceLock;

use serde_json::{json, Map, Value};
use tidings::api::queue_patch;
use tidings::domain::amqp_target::AmqpTarget;
use tidings::domain::email_address::{self, EmailAddress};
use tidings::domain::queue_metadata::{self, DeadLetterPolicy};
use tidings::domain::template_set::{TemplateName, TemplateSet};
use tidings::domain::{bounce_report, subscription_options, QueueName, Subscriber};
use tidings::drivers::email::{self, NotificationRequest};
use tidings::routing::event_type::EventTypeTemplate;
use tidings::routing::filter::Filter;
use tidings::routing::notification_types::NotificationTypes;
use tidings::routing::patterns::{EventTypes, Glob};
use tidings::routing::subscription::SubscriptionRouting;
use tidings::routing::Router;
use tidings::templates::{sandbox, SetSources, Templates};

/// The input as text, invalid UTF-8 replaced (the API only ever hands
/// these parsers a `str`).
fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// `first line` and `the rest`: one input feeds two arguments.
fn split(text: &str) -> (&str, &str) {
    text.split_once('\n').unwrap_or((text, ""))
}

/// The mailto reader: the subscriber as validated on subscribe, the
/// recipients the email driver computes (with options from the second
/// line: cc, bcc, blocked_recipients), and the address masking of logs.
pub fn mailto(data: &[u8]) {
    let text = text(data);
    let (uri, options) = split(&text);
    let uri = format!("mailto:{}", uri.strip_prefix("mailto:").unwrap_or(uri));
    if let Ok(subscriber) = Subscriber::parse(&uri) {
        let _ = subscriber.masked();
    }
    let options = serde_json::from_str::<Value>(options).unwrap_or_else(|_| json!({}));
    let _ = subscription_options::validate(Some(&options));
    if let Ok(recipients) = email::recipients(&uri, &options) {
        for r in &recipients {
            let _ = email::mask_address(r);
        }
    }
    let _ = email::mask_addresses_in(&text);
    let _ = email_address::mask(&text);
    if let Ok(address) = EmailAddress::parse(&text) {
        let _ = address.masked();
    }
}

/// Webhook and AMQP subscriber URIs, as given and behind each scheme.
pub fn subscriber_uri(data: &[u8]) {
    let text = text(data);
    for prefix in ["", "http://", "https://", "amqp://", "amqps://"] {
        let raw = format!("{prefix}{text}");
        if let Ok(subscriber) = Subscriber::parse(&raw) {
            let _ = subscriber.masked();
        }
        if let Ok(target) = AmqpTarget::parse(&raw) {
            let _ = target.masked();
            let _ = target.exchange_or("tidings");
        }
    }
}

fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let types =
            NotificationTypes::new(Vec::new(), true).unwrap_or_else(|_| NotificationTypes::none());
        Router::new(types, None)
    })
}

/// Routing: the event-type template and glob patterns (first line), the
/// filter and event-type list (the rest, as JSON), each matched against
/// the JSON as a message body; notification type names; then the same
/// input as template names and an email's data (`templates`).
pub fn routing(data: &[u8]) {
    routing_only(data);
    templates(data);
}

fn routing_only(data: &[u8]) {
    let text = text(data);
    let (line, rest) = split(&text);
    let body = serde_json::from_str::<Value>(rest).unwrap_or_else(|_| json!({"event_type": line}));
    if let Ok(template) = EventTypeTemplate::parse(line) {
        let _ = template.derive(&body);
    }
    let glob = Glob::compile(line);
    let _ = glob.matches(rest);
    let _ = glob.matches_event(Some(line));
    let _ = glob.literal();
    let _ = router().types().check_name(line);
    if let Ok(filter) = Filter::from_json(&body) {
        let _ = filter.matches(&body);
        let _ = filter.matches(&json!({"event_type": line, "n": 1}));
    }
    if let Ok(types) = EventTypes::from_json(&body) {
        let _ = types.matches(Some(line));
        let _ = types.matches(None);
    }
    if let Value::Object(options) = &body {
        for scheme in ["mailto", "https", "amqp"] {
            let _ = SubscriptionRouting::compile(options, scheme, router().types());
        }
        let _ = router().compile_for_subscribe(options, "mailto:a@example.com", &Map::new());
        let _ = router().validate_queue_metadata(options);
    }
}

fn loaded_templates() -> &'static Templates {
    static TEMPLATES: OnceLock<Templates> = OnceLock::new();
    TEMPLATES.get_or_init(|| Templates::load(None).expect("the embedded templates compile"))
}

/// Templates: a console template name and a per-queue template set name
/// (first line); a notification email rendered from the rest as its body
/// (JSON, else text), with the built-in templates and with the input as a
/// template set of its own (first line the subject, the rest the text),
/// rendered only once the sandbox's check passes, as the API stores none
/// that fails it.
fn templates(data: &[u8]) {
    let text = text(data);
    let (name, rest) = split(&text);
    let _ = TemplateName::parse(name);
    let _ = loaded_templates().render_console(name, &json!({}));
    let body = serde_json::from_str::<Value>(rest).unwrap_or_else(|_| Value::String(rest.into()));
    let options = match &body {
        Value::Object(map) => map.get("options").cloned().unwrap_or_else(|| json!({})),
        _ => json!({}),
    };
    let own = TemplateSet {
        subject: name.to_string(),
        text: rest.to_string(),
        html: None,
    };
    let checked = sandbox::check(&SetSources {
        subject: &own.subject,
        text: &own.text,
        html: own.html.as_deref(),
    })
    .is_ok();
    for template in [None, Some(&own).filter(|_| checked)] {
        let request = NotificationRequest {
            subscriber: "mailto:ops@example.com",
            options: &options,
            queue: name,
            project: "p",
            body: &body,
            posted_at_ms: Some(0),
            unsubscribe_url: Some("http://127.0.0.1/u"),
            subscription_id: Some("s"),
            event_type: Some(name),
            template,
        };
        let _ = email::build_notification(loaded_templates(), "tidings <t@example.com>", &request);
    }
}

/// Queue metadata: a PUT body (the JSON object) checked as the API does,
/// and a JSON-patch document parsed and applied to empty and default
/// metadata, then checked again.
pub fn metadata(data: &[u8]) {
    let Ok(doc) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let queue = QueueName::parse("fuzzed").expect("a valid queue name");
    let check = |meta: &Map<String, Value>| {
        let _ = queue_metadata::validate(meta);
        let _ = queue_metadata::validate_for_queue(&queue, meta);
        let _ = router().validate_queue_metadata(meta);
        let _ = queue_metadata::with_defaults(meta);
        let _ = DeadLetterPolicy::from_metadata(meta);
        let _ = EventTypeTemplate::for_queue(meta);
        let _ = router().policy_for(meta);
    };
    if let Value::Object(meta) = &doc {
        check(meta);
    }
    if let Ok(ops) = queue_patch::parse(doc) {
        for start in [Map::new(), queue_metadata::reserved_defaults()] {
            let mut meta = start;
            for op in ops.clone() {
                if queue_patch::apply(&mut meta, op).is_err() {
                    break;
                }
            }
            check(&meta);
        }
    }
}

/// A bounce: DSN (RFC 3464) or ARF (RFC 5965), raw bytes.
pub fn bounce_report(data: &[u8]) {
    if let Ok(report) = bounce_report::parse(data) {
        for recipient in &report.recipients {
            let _ = email_address::mask(&recipient.address);
        }
    }
}
