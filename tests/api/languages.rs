//! Languages: `options.locale` picks the built-in German or French emails
//! with dates written for the reader, and a queue's sets per language
//! (`default.fr`) fall back from `fr-CA` to `fr` to the set without a
//! language. Each on SQLite and PostgreSQL.
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use tidings::domain::links;
use tidings::domain::subscription::NewSubscription;
use tidings::domain::{ProjectId, QueueName};
use tidings::service::subscriptions;

use crate::helpers::{Backend, TestApp, PROJECT};
use crate::smtp_sink::SmtpSink;
use crate::template_sets::{mail_app, preview, put_set, send, subscribe};

const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

/// `29. November 2026, 15:00:00 UTC` somewhere in `text`.
fn has_german_date(text: &str) -> bool {
    MONTHS_DE.iter().any(|month| {
        text.match_indices(&format!(". {month} ")).any(|(at, _)| {
            let after = &text[at + month.len() + 3..];
            text[..at].ends_with(|c: char| c.is_ascii_digit())
                && after.len() > 18
                && after[..4].bytes().all(|b| b.is_ascii_digit())
                && after[4..].starts_with(", ")
                && after[14..].starts_with(" UTC")
        })
    })
}

async fn pending(app: &TestApp, subscriber: &str, options: Value) -> String {
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/q/subscriptions",
            &json!({"subscriber": subscriber, "ttl": 3600, "options": options}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let body: Value = resp.json().await.unwrap();
    body["subscription_id"].as_str().unwrap().to_string()
}

async fn a_german_subscriber_gets_german_mail(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = mail_app(backend, &sink, &[]).await else {
        return;
    };
    app.create_queue("q").await;
    let id = pending(&app, "mailto:anna@example.com", json!({"locale": "de-AT"})).await;
    app.drain().await;
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    let confirmation = crate::template_sets::parse_mail(&got[0]);
    assert_eq!(
        confirmation.subject,
        "Bestätigen Sie Ihr Abonnement der Queue q"
    );
    assert!(
        confirmation.text.contains("Der Link ist gültig bis "),
        "{}",
        confirmation.text
    );
    assert!(has_german_date(&confirmation.text), "{}", confirmation.text);
    assert!(confirmation.html.contains("Abonnement bestätigen"));
    let resp = app
        .send_json(
            Method::PUT,
            &format!("/v2/queues/q/subscriptions/{id}/confirm"),
            &json!({"confirmed": true}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 204);

    let mail = &send(&app, &sink, json!({"order": 7}), 1).await[0];
    assert_eq!(mail.subject, "Neue Nachricht in der Queue q");
    assert!(
        mail.text
            .contains("In der Queue „q“ wurde eine Nachricht veröffentlicht ("),
        "{}",
        mail.text
    );
    assert!(has_german_date(&mail.text), "{}", mail.text);
    assert!(mail.text.contains("\"order\": 7"));
    assert!(mail.text.contains("Abmelden: http"), "{}", mail.text);
    assert!(mail.html.contains("<html lang=\"de\">"));

    // French and unknown languages, side by side.
    subscribe(&app, "mailto:zoe@example.com", json!({"locale": "fr-CA"})).await;
    subscribe(&app, "mailto:juan@example.com", json!({"locale": "es"})).await;
    app.drain().await;
    let got = send(&app, &sink, json!({"order": 8}), 3).await;
    let subjects: Vec<&str> = got.iter().map(|m| m.subject.as_str()).collect();
    // Sorted by recipient: anna, juan, zoe.
    assert_eq!(
        subjects,
        [
            "Neue Nachricht in der Queue q",
            "New message on queue q",
            "Nouveau message dans la file q"
        ]
    );
    assert!(
        got[2].text.contains(" novembre ") || got[2].text.contains(" à "),
        "{}",
        got[2].text
    );
}
crate::backend_test!(a_german_subscriber_gets_german_mail);

async fn sets_per_language_fall_back(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = mail_app(backend, &sink, &[]).await else {
        return;
    };
    app.create_queue("q").await;
    let set = |subject: &str| json!({"subject": subject, "text": "{{ locale }}"});
    assert_eq!(
        put_set(&app, "default", &set("Hello {{ message.body.n }}"))
            .await
            .0,
        201
    );
    assert_eq!(
        put_set(&app, "default.fr", &set("Bonjour {{ message.body.n }}"))
            .await
            .0,
        201
    );
    assert_eq!(
        put_set(
            &app,
            "weekly.de",
            &set("Wochenbericht {{ message.body.n }}")
        )
        .await
        .0,
        201
    );
    let (status, stored) = put_set(&app, "weekly.fr-CA", &set("Hebdo {{ message.body.n }}")).await;
    assert_eq!(
        (status, stored["name"].as_str()),
        (201, Some("weekly.fr-ca"))
    );
    // fr-CA: default.fr-ca is missing, default.fr is there.
    subscribe(&app, "mailto:a-zoe@example.com", json!({"locale": "fr-CA"})).await;
    // de: no default.de, so default.
    subscribe(&app, "mailto:b-anna@example.com", json!({"locale": "de"})).await;
    // weekly in de: weekly.de.
    subscribe(
        &app,
        "mailto:c-max@example.com",
        json!({"locale": "de", "template": "weekly"}),
    )
    .await;
    // weekly in fr (not fr-CA): weekly has no fr, so default.fr.
    subscribe(
        &app,
        "mailto:d-leo@example.com",
        json!({"locale": "fr", "template": "weekly"}),
    )
    .await;
    // weekly without a language: no plain weekly, so default.
    subscribe(
        &app,
        "mailto:e-sam@example.com",
        json!({"template": "weekly"}),
    )
    .await;
    app.drain().await;
    let got = send(&app, &sink, json!({"n": 1}), 5).await;
    let subjects: Vec<&str> = got.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "Bonjour 1",
            "Hello 1",
            "Wochenbericht 1",
            "Bonjour 1",
            "Hello 1"
        ]
    );
    assert_eq!(got[0].text.trim(), "fr-CA");

    // A preview in a language renders the named set with that locale.
    let received = sink.messages().len();
    let (status, shown) = preview(
        &app,
        "default.fr",
        &json!({"body": {"n": 2}, "locale": "fr-CA"}),
    )
    .await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(
        (shown["subject"].as_str(), shown["text"].as_str()),
        (Some("Bonjour 2"), Some("fr-CA"))
    );
    let (status, shown) = preview(
        &app,
        "default",
        &json!({"body": {"n": 2}, "locale": "nope!"}),
    )
    .await;
    assert_eq!(status, 400, "{shown}");
    app.drain().await;
    assert_eq!(sink.messages().len(), received, "a preview sends nothing");
}
crate::backend_test!(sets_per_language_fall_back);

async fn page(app: &TestApp, method: Method, path: &str, language: Option<&str>) -> (u16, String) {
    let mut req = app.bare(method, path);
    if let Some(language) = language {
        req = req.header("Accept-Language", language);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// The public pages speak the browser's language (`Accept-Language`).
async fn public_pages_follow_accept_language(app: TestApp) {
    let doc = json!({"subscriber": "mailto:anna@example.com", "ttl": 86400});
    let new = NewSubscription::from_json(doc.as_object().unwrap()).unwrap();
    let created = subscriptions::create(
        &app.state.deps(),
        &ProjectId::parse(PROJECT).unwrap(),
        &QueueName::parse("q").unwrap(),
        new,
    )
    .await
    .unwrap();
    let link = url::Url::parse(&created.confirm_url.unwrap()).unwrap();
    let path = format!("{}?{}", link.path(), link.query().unwrap_or(""));

    let (status, html) = page(&app, Method::GET, &path, Some("de-AT, de;q=0.9, en;q=0.5")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"de\">"), "{html}");
    assert!(
        html.contains("<title>Bestätigen Sie Ihr Abonnement</title>"),
        "{html}"
    );
    assert!(
        html.contains("die Nachrichten der Queue <strong>q</strong> erhalten soll."),
        "{html}"
    );
    assert!(html.contains(">Abonnement bestätigen</button>"), "{html}");
    // q-values decide: French wins over a lower-ranked German.
    let (_, html) = page(&app, Method::GET, &path, Some("de;q=0.3, fr-CA;q=0.8")).await;
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains(">Confirmer l’abonnement</button>"), "{html}");
    // None, or one tidings does not speak: English.
    for language in [None, Some("es-MX, es"), Some("*"), Some("not a tag!!")] {
        let (status, html) = page(&app, Method::GET, &path, language).await;
        assert_eq!(status, 200, "{language:?}");
        assert!(
            html.contains(">Confirm subscription</button>"),
            "{language:?}: {html}"
        );
    }
    let (status, html) = page(&app, Method::POST, &path, Some("fr")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Votre abonnement est confirmé."), "{html}");
    let (status, html) = page(&app, Method::POST, &path, Some("de")).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Dieses Abonnement ist bereits bestätigt."),
        "{html}"
    );
    let bad =
        "/v2/queues/q/subscriptions?subscriber=mailto%3Aanna%40example.com&confirm_token=nope";
    let (status, html) = page(&app, Method::GET, bad, Some("fr")).await;
    assert_eq!(status, 404, "{html}");
    assert!(html.contains("Ce lien n’est pas valide"), "{html}");

    let unsubscribe = links::unsubscribe_url("http://h", &app.state.secret, "q", &created.id);
    let link = url::Url::parse(&unsubscribe).unwrap();
    let path = format!("{}?{}", link.path(), link.query().unwrap_or(""));
    let (status, html) = page(&app, Method::GET, &path, Some("fr")).await;
    assert_eq!(status, 200);
    assert!(html.contains(">Se désabonner</button>"), "{html}");
    let (status, html) = page(&app, Method::POST, &path, Some("de")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Sie sind abgemeldet"), "{html}");
}
crate::db_test!(public_pages_follow_accept_language);
