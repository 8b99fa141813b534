use serde_json::json;

use super::*;

fn templates() -> Templates {
    Templates::load(None).unwrap()
}

fn notify(subscriber: &str, options: &Value) -> OutgoingEmail {
    let body = json!({"event": "disk-full", "host": "<db1>"});
    build_notification(
        &templates(),
        "tidings <no-reply@localhost>",
        &NotificationRequest {
            subscriber,
            options,
            queue: "alerts",
            project: "p1",
            body: &body,
            posted_at_ms: Some(0),
            unsubscribe_url: Some("http://h/unsub?t=1"),
            subscription_id: None,
            event_type: None,
            template: None,
        },
    )
    .unwrap()
}

#[test]
fn url_subject_wins_over_options_and_template() {
    let email = notify(
        "mailto:a@x.org?subject=From%20URL&subject=later",
        &json!({"subject": "From options"}),
    );
    assert_eq!(email.subject, "From URL");
    let email = notify("mailto:a@x.org", &json!({"subject": "From options"}));
    assert_eq!(email.subject, "From options");
    let email = notify("mailto:a@x.org", &json!({}));
    assert_eq!(email.subject, "New message on queue alerts");
}

#[test]
fn from_comes_from_options_else_config() {
    assert_eq!(
        notify("mailto:a@x.org", &json!({"from": "ops@x.org"})).from,
        "ops@x.org"
    );
    assert_eq!(
        notify("mailto:a@x.org", &json!({})).from,
        "tidings <no-reply@localhost>"
    );
}

#[test]
fn recipients_merge_uri_and_options() {
    let email = notify(
        "mailto:a@x.org,b@x.org?cc=c@x.org",
        &json!({"cc": "d@x.org, e@x.org", "bcc": ["f@x.org", "g@x.org"]}),
    );
    assert_eq!(email.to, vec!["a@x.org", "b@x.org"]);
    assert_eq!(email.cc, vec!["c@x.org", "d@x.org", "e@x.org"]);
    assert_eq!(email.bcc, vec!["f@x.org", "g@x.org"]);
}

#[test]
fn blocked_recipients_are_dropped_from_every_field() {
    let email = notify(
        "mailto:a@x.org,B@x.org?cc=c@x.org&bcc=d@x.org",
        &json!({"cc": "e@x.org", "blocked_recipients": ["b@x.org", "E@X.org", "d@x.org"]}),
    );
    assert_eq!(email.to, vec!["a@x.org"]);
    assert_eq!(email.cc, vec!["c@x.org"]);
    assert!(email.bcc.is_empty());
    let everyone = json!({"blocked_recipients": "a@x.org"});
    let body = json!({});
    let request = NotificationRequest {
        subscriber: "mailto:a@x.org",
        options: &everyone,
        queue: "alerts",
        project: "p1",
        body: &body,
        posted_at_ms: Some(0),
        unsubscribe_url: None,
        subscription_id: None,
        event_type: None,
        template: None,
    };
    let err = build_notification(&templates(), "t <t@x.org>", &request).unwrap_err();
    assert!(err.to_string().contains("blocked_recipients"), "{err}");
}

#[test]
fn notification_carries_rfc_8058_headers_and_both_parts() {
    let email = notify("mailto:a@x.org", &json!({}));
    assert!(email
        .headers
        .contains(&("List-Unsubscribe".into(), "<http://h/unsub?t=1>".into())));
    assert!(email.headers.contains(&(
        "List-Unsubscribe-Post".into(),
        "List-Unsubscribe=One-Click".into()
    )));
    assert!(
        email.text.contains("\"event\": \"disk-full\""),
        "{}",
        email.text
    );
    assert!(email.text.contains("1970-01-01 00:00:00 UTC"));
    assert!(email.html.as_deref().unwrap().contains("&lt;db1&gt;"));
    assert_eq!(email.dev_log_link, None);
}

#[test]
fn confirmation_uses_config_from_and_logs_its_link_for_file_transport() {
    let email = build_confirmation(
        &templates(),
        "tidings <no-reply@localhost>",
        &ConfirmationRequest {
            subscriber: "mailto:a@x.org",
            options: &json!({"from": "spoof@bank.example"}),
            queue: "alerts",
            project: "p1",
            confirm_url: "http://h/confirm?t=1",
            expires_at_ms: Some(0),
        },
    )
    .unwrap();
    assert_eq!(email.from, "tidings <no-reply@localhost>");
    assert_eq!(email.dev_log_link.as_deref(), Some("http://h/confirm?t=1"));
    assert!(email.text.contains("http://h/confirm?t=1"));
    assert!(email.headers.is_empty());
}

#[test]
fn unsubscribed_email_links_to_resubscribe() {
    let email = build_unsubscribed(
        &templates(),
        "tidings <no-reply@localhost>",
        &ConfirmationRequest {
            subscriber: "mailto:a@x.org",
            options: &json!({}),
            queue: "alerts",
            project: "p1",
            confirm_url: "http://h/confirm?t=2",
            expires_at_ms: None,
        },
    )
    .unwrap();
    assert!(email.subject.contains("unsubscribed"));
    assert!(email.text.contains("http://h/confirm?t=2"));
}

#[test]
fn not_a_mailto_is_an_error() {
    let err = build_notification(
        &templates(),
        "t@x.org",
        &NotificationRequest {
            subscriber: "http://x",
            options: &json!({}),
            queue: "q",
            project: "p",
            body: &json!(1),
            posted_at_ms: None,
            unsubscribe_url: None,
            subscription_id: None,
            event_type: None,
            template: None,
        },
    )
    .unwrap_err();
    assert!(format!("{err:#}").contains("mailto"));
}
