use super::*;

const NASTY: &str = "q<script>alert(1)</script>&co";

fn templates() -> Templates {
    Templates::load(None).unwrap()
}

fn confirm_email() -> ConfirmEmail {
    ConfirmEmail {
        queue: NASTY.into(),
        project: "p&1".into(),
        confirm_url: "http://h/v2/queues/q/subscriptions?subscriber=mailto%3Aa&confirm_token=t"
            .into(),
        expires_at: Some("2026-11-24 15:00 UTC".into()),
    }
}

/// The built-in notification email's fields (the rest of the context a
/// worker builds is for stored sets).
fn notification_email() -> serde_json::Value {
    serde_json::json!({
        "queue": NASTY,
        "project": "p1",
        "body": "{\n  \"html\": \"<b>bold</b> & more\"\n}",
        "posted_at": "2026-11-23 15:00:00 UTC",
        "unsubscribe_url": "http://h/unsub?token=a&b=c",
    })
}

fn assert_escaped_html(html: &str) {
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(html.contains("&amp;co"), "{html}");
}

#[test]
fn confirm_email_escapes_html_and_keeps_text_intact() {
    let mail = templates()
        .render_email(EmailKind::Confirm, &confirm_email())
        .unwrap();
    assert_eq!(
        mail.subject,
        "Confirm your subscription to queue q<script>alert(1)</script>&co"
    );
    assert!(mail.text.contains(NASTY), "{}", mail.text);
    assert!(mail.text.contains("confirm_token=t"), "{}", mail.text);
    assert!(mail.text.contains("2026-11-24 15:00 UTC"));
    assert!(mail.text.contains("ignore this email"));
    assert_escaped_html(&mail.html);
    assert!(mail.html.contains("Confirm subscription"));
    assert!(mail
        .html
        .contains("subscriber=mailto%3Aa&amp;confirm_token=t"));
}

#[test]
fn notification_email_shows_body_queue_time_and_unsubscribe() {
    let mail = templates()
        .render_email(EmailKind::Notification, &notification_email())
        .unwrap();
    assert!(!mail.subject.contains('\n'));
    assert!(
        mail.text.contains("\"html\": \"<b>bold</b> & more\""),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("2026-11-23 15:00:00 UTC"));
    assert!(mail
        .text
        .contains("Unsubscribe: http://h/unsub?token=a&b=c"));
    assert_escaped_html(&mail.html);
    assert!(
        mail.html
            .contains("&lt;b&gt;bold&lt;&#x2f;b&gt; &amp; more"),
        "{}",
        mail.html
    );
    assert!(
        mail.html.contains("unsub?token=a&amp;b=c\""),
        "{}",
        mail.html
    );
}

#[test]
fn notification_without_unsubscribe_link_renders() {
    let mut ctx = notification_email();
    ctx["unsubscribe_url"] = serde_json::Value::Null;
    ctx["posted_at"] = serde_json::Value::Null;
    let mail = templates()
        .render_email(EmailKind::Notification, &ctx)
        .unwrap();
    assert!(!mail.text.contains("none"), "{}", mail.text);
    assert!(!mail.html.contains("Unsubscribe"));
}

#[test]
fn unsubscribed_email_offers_resubscription() {
    let ctx = UnsubscribedEmail {
        queue: NASTY.into(),
        project: "p1".into(),
        resubscribe_url: Some("http://h/again?x=1&y=2".into()),
    };
    let mail = templates()
        .render_email(EmailKind::Unsubscribed, &ctx)
        .unwrap();
    assert!(mail.subject.starts_with("You have been unsubscribed"));
    assert!(mail.text.contains("http://h/again?x=1&y=2"));
    assert!(mail.text.contains(NASTY));
    assert_escaped_html(&mail.html);
}

#[test]
fn every_page_renders_escaped() {
    let t = templates();
    let pages = [
        t.render_page(
            Page::Confirm,
            &ConfirmPage {
                queue: NASTY.into(),
                project: Some("p1".into()),
                address: "a***@example.com".into(),
                action_url: "/v2/queues/q/subscriptions?subscriber=x&confirm_token=t".into(),
                token: None,
            },
        ),
        t.render_page(
            Page::Confirmed,
            &ConfirmedPage {
                queue: NASTY.into(),
                address: None,
                unsubscribe_url: None,
            },
        ),
        t.render_page(
            Page::Unsubscribe,
            &UnsubscribePage {
                queue: NASTY.into(),
                project: None,
                address: "a***@example.com".into(),
                action_url: "/u?token=t".into(),
                token: Some("t".into()),
            },
        ),
        t.render_page(
            Page::Unsubscribed,
            &UnsubscribedPage {
                queue: NASTY.into(),
                address: Some("a***@example.com".into()),
                resubscribe_url: None,
            },
        ),
        t.render_page(
            Page::Error,
            &ErrorPage {
                title: "Link expired".into(),
                message: NASTY.into(),
            },
        ),
    ];
    for page in pages {
        let html = page.unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(html.contains("name=\"viewport\""));
        assert_escaped_html(&html);
        assert!(!html.contains(">none<"), "{html}");
    }
}

#[test]
fn confirm_page_has_one_post_button() {
    let html = templates()
        .render_page(
            Page::Confirm,
            &ConfirmPage {
                queue: "q".into(),
                project: None,
                address: "a***@example.com".into(),
                action_url: "/v2/queues/q/subscriptions?subscriber=x&confirm_token=t".into(),
                token: None,
            },
        )
        .unwrap();
    assert_eq!(html.matches("<button").count(), 1);
    assert!(html.contains("<form method=\"post\" action=\"&#x2f;v2&#x2f;queues&#x2f;q&#x2f;subscriptions?subscriber=x&amp;confirm_token=t\">"), "{html}");
    assert!(html.contains("Confirm subscription"));
}

#[test]
fn subject_is_one_line_whatever_the_input() {
    let mut ctx = confirm_email();
    ctx.queue = "a\r\nBcc: evil@example.net\n\tb".into();
    let mail = templates().render_email(EmailKind::Confirm, &ctx).unwrap();
    assert!(
        !mail.subject.contains(['\r', '\n', '\t']),
        "{:?}",
        mail.subject
    );
    assert_eq!(
        mail.subject,
        "Confirm your subscription to queue a Bcc: evil@example.net b"
    );
}

#[test]
fn operator_directory_replaces_one_template_and_keeps_the_others() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("email/confirm")).unwrap();
    std::fs::write(
        dir.path().join("email/confirm/subject.txt"),
        "Please confirm {{ queue }}\n",
    )
    .unwrap();
    let t = Templates::load(Some(dir.path())).unwrap();
    let mail = t
        .render_email(EmailKind::Confirm, &confirm_email())
        .unwrap();
    assert_eq!(mail.subject, "Please confirm q<script>alert(1)</script>&co");
    assert!(mail.text.contains("ignore this email"));
}

#[test]
fn broken_or_missing_operator_templates_are_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("page")).unwrap();
    std::fs::write(dir.path().join("page/error.html"), "{% if %}").unwrap();
    let err = format!("{:#}", Templates::load(Some(dir.path())).err().unwrap());
    assert!(err.contains("page/error.html"), "{err}");
    let err = format!(
        "{:#}",
        Templates::load(Some(&dir.path().join("nope")))
            .err()
            .unwrap()
    );
    assert!(err.contains("TIDINGS_TEMPLATES_DIR"), "{err}");
}

fn chain(tags: &[&str]) -> Vec<String> {
    tags.iter().map(|t| t.to_string()).collect()
}

#[test]
fn every_translated_email_falls_back_by_language() {
    let t = templates();
    let unsubscribed = UnsubscribedEmail {
        queue: "q".into(),
        project: "p1".into(),
        resubscribe_url: Some("http://h/again".into()),
    };
    let cases: [(&[&str], [&str; 3], &str); 4] = [
        (
            &["de-at", "de"],
            [
                "Bestätigen Sie Ihr Abonnement der Queue q",
                "Ihr Abonnement der Queue q wurde beendet",
                "Neue Nachricht in der Queue q",
            ],
            "<html lang=\"de\">",
        ),
        (
            &["fr-ca", "fr"],
            [
                "Confirmez votre abonnement à la file q",
                "Vous êtes désabonné de la file q",
                "Nouveau message dans la file q",
            ],
            "<html lang=\"fr\">",
        ),
        (
            &["es"],
            [
                "Confirm your subscription to queue q",
                "You have been unsubscribed from queue q",
                "New message on queue q",
            ],
            "<html lang=\"en\">",
        ),
        (
            &[],
            [
                "Confirm your subscription to queue q",
                "You have been unsubscribed from queue q",
                "New message on queue q",
            ],
            "<html lang=\"en\">",
        ),
    ];
    for (tags, subjects, lang) in cases {
        let chain = chain(tags);
        let mut confirm = confirm_email();
        confirm.queue = "q".into();
        let mut notification = notification_email();
        notification["queue"] = "q".into();
        let mails = [
            t.render_email_in(EmailKind::Confirm, &chain, &confirm),
            t.render_email_in(EmailKind::Unsubscribed, &chain, &unsubscribed),
            t.render_email_in(EmailKind::Notification, &chain, &notification),
        ];
        for (mail, subject) in mails.into_iter().zip(subjects) {
            let mail = mail.unwrap();
            assert_eq!(mail.subject, subject, "{tags:?}");
            assert!(mail.html.contains(lang), "{tags:?}: {}", mail.html);
            assert!(!mail.text.trim().is_empty());
        }
    }
}

#[test]
fn operator_translations_in_any_language() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("email/confirm")).unwrap();
    std::fs::write(
        dir.path().join("email/confirm/subject.es.txt"),
        "Confirme su suscripción a {{ queue }}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("email/confirm/subject.de.txt"),
        "Bitte bestätigen: {{ queue }}\n",
    )
    .unwrap();
    let t = Templates::load(Some(dir.path())).unwrap();
    let mut ctx = confirm_email();
    ctx.queue = "q".into();
    let es = t
        .render_email_in(EmailKind::Confirm, &chain(&["es-mx", "es"]), &ctx)
        .unwrap();
    assert_eq!(es.subject, "Confirme su suscripción a q");
    // Only the subject is translated: the body is English.
    assert!(es.text.contains("ignore this email"), "{}", es.text);
    let de = t
        .render_email_in(EmailKind::Confirm, &chain(&["de"]), &ctx)
        .unwrap();
    assert_eq!(de.subject, "Bitte bestätigen: q");
    assert!(
        de.text.contains("ignorieren Sie diese E-Mail"),
        "{}",
        de.text
    );
}
