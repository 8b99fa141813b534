//! Per-queue template sets: the API and its bad input (nothing stored),
//! the resolution order (subscription's choice, queue default, operator
//! directory, built-in) with each level present and absent, the sandbox
//! at delivery, preview against what is then sent, the mailto subject
//! winning, and a Pulp report rendered readably by the built-in email.
use std::collections::HashMap;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{env, spawn_with, Backend, TestApp};
use crate::smtp_sink::SmtpSink;

pub(crate) async fn put_set(app: &TestApp, name: &str, set: &Value) -> (u16, Value) {
    let resp = app
        .send_json(Method::PUT, &format!("/v2/queues/q/templates/{name}"), set)
        .await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn delete_set(app: &TestApp, name: &str) -> u16 {
    app.req(Method::DELETE, &format!("/v2/queues/q/templates/{name}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

pub(crate) async fn preview(app: &TestApp, name: &str, request: &Value) -> (u16, Value) {
    let resp = app
        .send_json(
            Method::POST,
            &format!("/v2/queues/q/templates/{name}/preview"),
            request,
        )
        .await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn the_api(app: TestApp) {
    app.create_queue("q").await;
    let set = json!({"subject": "About {{ queue }}", "text": "{{ message.body | pretty }}"});
    let (status, stored) = put_set(&app, "weekly", &set).await;
    assert_eq!(status, 201, "{stored}");
    assert_eq!(stored["name"], "weekly");
    assert_eq!(stored["subject"], "About {{ queue }}");
    assert!(stored["html"].is_null());
    assert_eq!(stored["href"], "/v2/queues/q/templates/weekly");
    let with_html = json!({"subject": "s", "text": "t", "html": "<p>{{ queue }}</p>"});
    let (status, stored) = put_set(&app, "weekly", &with_html).await;
    assert_eq!(status, 200, "replaced: {stored}");
    assert_eq!(stored["html"], "<p>{{ queue }}</p>");
    let (status, _) = put_set(&app, "default", &set).await;
    assert_eq!(status, 201);

    let (status, one) = app.get_json("/v2/queues/q/templates/weekly").await;
    assert_eq!((status, one["text"].as_str()), (200, Some("t")));
    let (status, list) = app.get_json("/v2/queues/q/templates").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default", "weekly"]);
    let (_, page) = app.get_json("/v2/queues/q/templates?limit=1").await;
    assert_eq!(page["templates"].as_array().unwrap().len(), 1);
    assert!(page["links"][0]["href"]
        .as_str()
        .unwrap()
        .contains("marker=default"));
    // Sets belong to their queue.
    let (_, other) = app.get_json("/v2/queues/other/templates").await;
    assert_eq!(other["templates"], json!([]));

    assert_eq!(delete_set(&app, "weekly").await, 204);
    assert_eq!(delete_set(&app, "weekly").await, 204);
    let (status, body) = app.get_json("/v2/queues/q/templates/weekly").await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = preview(&app, "weekly", &json!({"body": {}})).await;
    assert_eq!(status, 404);
}
crate::db_test!(the_api);

async fn bad_input_stores_nothing(app: TestApp) {
    app.create_queue("q").await;
    let before = app.row_counts().await;
    let cases = [
        (
            "t",
            json!({"subject": "s", "text": "fine\n{% if %}\n"}),
            "text, line 2: syntax error",
        ),
        (
            "t",
            json!({"subject": "s", "text": "a\n\nb {{ x | shout }}"}),
            "text, line 3: unknown filter \"shout\"",
        ),
        (
            "t",
            json!({"subject": "s", "text": "t", "html": "{% include \"/etc/passwd\" %}"}),
            "subject, text or html",
        ),
        (
            "t",
            json!({"subject": "{% for x in y %}", "text": "t"}),
            "subject, line 1",
        ),
        ("t", json!({"text": "t"}), "needs a subject"),
        (
            "t",
            json!({"subject": "s", "text": ["t"]}),
            "must be a string",
        ),
        (
            "t",
            json!({"subject": "s", "text": "t", "css": "x"}),
            "\"css\"",
        ),
        (
            "a.b",
            json!({"subject": "s", "text": "t"}),
            "not a template name",
        ),
    ];
    for (name, set, says) in cases {
        let (status, body) = put_set(&app, name, &set).await;
        assert_eq!(status, 400, "{set}: {body}");
        let description = body["description"].as_str().unwrap_or_default();
        assert!(description.contains(says), "{set}: {description}");
    }
    let resp = app
        .req(Method::PUT, "/v2/queues/q/templates/t")
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let (status, body) = app.get_json("/v2/queues/q/templates").await;
    assert_eq!((status, body["templates"].clone()), (200, json!([])));
    assert_eq!(app.row_counts().await, before);
    // A subscription may only name a set by a valid name.
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/q/subscriptions",
            &json!({"subscriber": "mailto:a@example.com", "ttl": 3600, "options": {"template": "../x"}}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 400);
    // A preview needs a body.
    let (status, body) = preview(&app, "default", &json!({"sample": 1})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(app.row_counts().await, before);
}
crate::db_test!(bad_input_stores_nothing);

/// One received email, parsed.
#[derive(Debug, Clone)]
pub(crate) struct Mail {
    pub rcpt: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn parse(data: &str, rcpt: &[String]) -> Mail {
    let message = mail_parser::MessageParser::default()
        .parse(data.as_bytes())
        .expect("a parsable email");
    Mail {
        rcpt: rcpt.to_vec(),
        subject: message.subject().unwrap_or_default().to_string(),
        text: message
            .body_text(0)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        html: message
            .body_html(0)
            .map(|t| t.to_string())
            .unwrap_or_default(),
    }
}

pub(crate) fn parse_mail(mail: &crate::smtp_sink::ReceivedMail) -> Mail {
    parse(&mail.data, &mail.rcpt_to)
}

/// The notifications received so far: the emails with an unsubscribe
/// header (confirmation emails, in any language, have none).
pub(crate) fn notifications(sink: &SmtpSink) -> Vec<Mail> {
    sink.messages()
        .iter()
        .filter(|m| m.header("List-Unsubscribe").is_some())
        .map(|m| parse(&m.data, &m.rcpt_to))
        .collect()
}

pub(crate) async fn mail_app(
    backend: Backend,
    sink: &SmtpSink,
    extra: &[(&str, &str)],
) -> Option<TestApp> {
    let mut vars: HashMap<String, String> = env(&[("TIDINGS_MAIL_URL", &sink.url())]);
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    spawn_with(backend, vars).await
}

pub(crate) async fn subscribe(app: &TestApp, subscriber: &str, options: Value) -> String {
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/q/subscriptions",
            &json!({"subscriber": subscriber, "ttl": 3600, "options": options}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let body: Value = resp.json().await.unwrap();
    let id = body["subscription_id"].as_str().unwrap().to_string();
    let resp = app
        .send_json(
            Method::PUT,
            &format!("/v2/queues/q/subscriptions/{id}/confirm"),
            &json!({"confirmed": true}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 204);
    id
}

/// Posts one message and returns the notifications it produced, by
/// recipient.
pub(crate) async fn send(app: &TestApp, sink: &SmtpSink, body: Value, expect: usize) -> Vec<Mail> {
    let before = notifications(sink).len();
    let received = sink.messages().len();
    app.post_messages("q", json!([{"body": body, "ttl": 300}]))
        .await;
    app.drain().await;
    if expect > 0 {
        sink.wait_for(received + expect, Duration::from_secs(10))
            .await;
    }
    let mut got: Vec<Mail> = notifications(sink).into_iter().skip(before).collect();
    assert_eq!(got.len(), expect, "{got:?}");
    got.sort_by(|a, b| a.rcpt.cmp(&b.rcpt));
    got
}

async fn resolution_order(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("email/notification")).unwrap();
    std::fs::write(
        dir.path().join("email/notification/subject.txt"),
        "Operator: {{ queue }}\n",
    )
    .unwrap();
    let sink = SmtpSink::start().await;
    let templates_dir = dir.path().display().to_string();
    let Some(app) = mail_app(
        backend,
        &sink,
        &[("TIDINGS_TEMPLATES_DIR", templates_dir.as_str())],
    )
    .await
    else {
        return;
    };
    app.create_queue("q").await;
    subscribe(
        &app,
        "mailto:chooser@example.com",
        json!({"template": "fancy"}),
    )
    .await;
    subscribe(&app, "mailto:plain@example.com", json!({})).await;
    app.drain().await;
    let subjects =
        |mails: &[Mail]| -> Vec<String> { mails.iter().map(|m| m.subject.clone()).collect() };

    // No set at all: the operator's file (it replaces only the subject).
    let got = send(&app, &sink, json!({"n": 1}), 2).await;
    assert_eq!(subjects(&got), ["Operator: q", "Operator: q"]);
    assert!(
        got[0].text.contains("\"n\": 1"),
        "built-in body: {}",
        got[0].text
    );

    // The queue's default, for both (the chosen set does not exist yet).
    let (status, _) = put_set(
        &app,
        "default",
        &json!({"subject": "Default {{ message.body.n }}", "text": "default text"}),
    )
    .await;
    assert_eq!(status, 201);
    let got = send(&app, &sink, json!({"n": 2}), 2).await;
    assert_eq!(subjects(&got), ["Default 2", "Default 2"]);
    assert_eq!(got[0].text.trim(), "default text");

    // The subscription's choice, for the one that chose it.
    let (status, _) = put_set(
        &app,
        "fancy",
        &json!({"subject": "Fancy {{ message.body.n }}", "text": "fancy text"}),
    )
    .await;
    assert_eq!(status, 201);
    let got = send(&app, &sink, json!({"n": 3}), 2).await;
    assert_eq!(got[0].rcpt, ["chooser@example.com"]);
    assert_eq!(subjects(&got), ["Fancy 3", "Default 3"]);

    // Without the default: the chooser keeps its set, the other falls
    // back to the operator's file; without both, both do.
    assert_eq!(delete_set(&app, "default").await, 204);
    let got = send(&app, &sink, json!({"n": 4}), 2).await;
    assert_eq!(subjects(&got), ["Fancy 4", "Operator: q"]);
    assert_eq!(delete_set(&app, "fancy").await, 204);
    let got = send(&app, &sink, json!({"n": 5}), 2).await;
    assert_eq!(subjects(&got), ["Operator: q", "Operator: q"]);

    // No operator directory: the built-in email.
    let sink = SmtpSink::start().await;
    let app = crate::helpers::spawn_on(
        backend,
        &app.database_url,
        env(&[("TIDINGS_MAIL_URL", &sink.url())]),
    )
    .await;
    let got = send(&app, &sink, json!({"n": 6}), 2).await;
    assert_eq!(
        subjects(&got),
        ["New message on queue q", "New message on queue q"]
    );
}
crate::backend_test!(resolution_order);

async fn preview_is_what_is_sent(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = mail_app(backend, &sink, &[]).await else {
        return;
    };
    app.create_queue("q").await;
    let set = json!({
        "subject": "{{ event_type }}: {{ message.body.title }}",
        "text": "{{ message.body.title }} at {{ message.posted_at | date }}\nfor {{ subscription.subscriber }}\n{{ message.body | pretty }}\nUnsubscribe: {{ links.unsubscribe }}",
        "html": "<h1>{{ message.body.title }}</h1><a href=\"{{ links.unsubscribe }}\">unsubscribe</a>",
    });
    assert_eq!(put_set(&app, "default", &set).await.0, 201);
    let sub = subscribe(&app, "mailto:reader@example.com", json!({})).await;
    app.drain().await;
    let body = json!({"event_type": "doc.published", "title": "<script>alert(1)</script> & more"});
    let (status, shown) = preview(
        &app,
        "default",
        &json!({"body": body, "subscription_id": sub}),
    )
    .await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(
        shown["subject"],
        "doc.published: <script>alert(1)</script> & more"
    );
    let html = shown["html"].as_str().unwrap();
    assert!(
        html.contains("<h1>&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; more</h1>"),
        "{html}"
    );
    let text = shown["text"].as_str().unwrap();
    assert!(text.contains("for mailto:r***@example.com"), "{text}");
    assert!(!text.contains("reader@"), "{text}");
    let before = app.row_counts().await;
    assert!(
        sink.messages()
            .iter()
            .all(|m| !m.data.contains("doc.published")),
        "a preview sends nothing"
    );

    let got = send(&app, &sink, body, 1).await;
    assert_eq!(got[0].subject, shown["subject"].as_str().unwrap());
    assert_eq!(got[0].text.replace("\r\n", "\n"), text);
    assert_eq!(got[0].html.replace("\r\n", "\n"), html);
    assert!(app.row_counts().await >= before);

    // A mailto subject wins over the template's.
    subscribe(
        &app,
        "mailto:pulp@example.com?subject=pulp%20notification",
        json!({}),
    )
    .await;
    app.drain().await;
    let got = send(&app, &sink, json!({"title": "t"}), 2).await;
    let subjects: Vec<&str> = got.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects, ["pulp notification", ": t"]);
}
crate::backend_test!(preview_is_what_is_sent);

async fn a_set_that_loops_is_cut_off(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = mail_app(backend, &sink, &[]).await else {
        return;
    };
    app.create_queue("q").await;
    let set = json!({
        "subject": "s",
        "text": "{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}{% endfor %}",
    });
    assert_eq!(put_set(&app, "default", &set).await.0, 201);
    let (status, body) = preview(&app, "default", &json!({"body": 1})).await;
    assert_eq!(status, 400, "{body}");
    let description = body["description"].as_str().unwrap();
    assert!(description.contains("text"), "{description}");
    assert!(
        description.contains("too long") || description.contains("larger than"),
        "{description}"
    );

    let sub = subscribe(&app, "mailto:reader@example.com", json!({})).await;
    app.drain().await;
    send(&app, &sink, json!(1), 0).await;
    let (_, log) = app
        .get_json(&format!("/v2/queues/q/subscriptions/{sub}/deliveries"))
        .await;
    let notification = log["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "notification")
        .cloned()
        .unwrap();
    assert_eq!(notification["status"], "failed", "{notification}");
    let reason = notification.to_string();
    assert!(reason.contains("cannot compose"), "{reason}");
}
crate::backend_test!(a_set_that_loops_is_cut_off);

async fn a_pulp_report_reads_as_a_summary(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = mail_app(backend, &sink, &[]).await else {
        return;
    };
    app.create_queue("q").await;
    subscribe(&app, "mailto:ops@example.com", json!({})).await;
    app.drain().await;
    let report = json!({
        "event_type": "repo.sync.finish",
        "payload": {
            "repo_id": "zoo", "result": "failed",
            "started": "2012-10-19T19:09:16Z", "completed": "2012-10-19T19:10:02Z",
            "added_count": 3, "updated_count": 0, "removed_count": 1,
            "error_message": "feed <unreachable>", "exception": null, "traceback": null
        },
        "call_report": {"task_id": "79be77a8-1a20-11e2-aeb9-1803731e94c4", "state": "finished",
                        "tags": ["pulp:repository:zoo", "pulp:action:sync"]}
    });
    let got = send(&app, &sink, report.clone(), 1).await;
    let mail = &got[0];
    assert_eq!(mail.subject, "Pulp: repository sync finished (zoo), failed");
    let text = &mail.text;
    for line in [
        "Pulp repository sync finished on the queue \"q\".",
        "Repository:  zoo",
        "State:       failed",
        "Started:     2012-10-19 19:09:16 UTC",
        "Finished:    2012-10-19 19:10:02 UTC",
        "Units:       added 3, updated 0, removed 1",
        "feed <unreachable>",
        "The full report:",
        "\"repo_id\": \"zoo\"",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    assert!(
        text.find("Repository:").unwrap() < text.find("The full report:").unwrap(),
        "summary first"
    );
    assert!(
        mail.html.contains("feed &lt;unreachable&gt;"),
        "{}",
        mail.html
    );
    assert!(mail.html.contains("The full report"));

    // The same through a preview of the built-in default.
    let (status, shown) = preview(&app, "default", &json!({"body": report})).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["subject"], mail.subject.as_str());
}
crate::backend_test!(a_pulp_report_reads_as_a_summary);
