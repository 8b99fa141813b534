//! Bounce intake: tidings' email goes out from a per-delivery VERP address;
//! a DSN that exim4 produced (committed in tests/fixtures/bounces, host
//! names are the test's own `mta.test`/`mail.test`) and an ARF complaint
//! come back through `POST /v2/bounces` and `tidings bounce`, and end in
//! the right state. When exim4 is installed, one test drives it live.
use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use tidings::domain::{Role, TokenScope};
use tidings::service::api_tokens;
use tokio::io::AsyncWriteExt;

use crate::helpers::{env, spawn_with, Backend, TestApp, CLIENT_ID, PROJECT};
use crate::smtp_sink::{ReceivedMail, SmtpSink};

const EXIM_DSN: &str = include_str!("../fixtures/bounces/exim4-dsn-unknown-user.eml");
const ARF: &str = include_str!("../fixtures/bounces/arf-abuse.eml");
const EXIM_CONF: &str = include_str!("../fixtures/bounces/exim4.conf");
/// The token exim saw when the fixtures were captured.
const CAPTURED_TOKEN: &str = "0123abcd";
const BOUNCE_ADDRESS: &str = "bounces+{token}@mail.test";

async fn app_with(backend: Backend, sink: &SmtpSink, extra: &[(&str, &str)]) -> Option<TestApp> {
    let mut pairs = vec![
        ("TIDINGS_MAIL_URL", sink.url()),
        ("TIDINGS_BOUNCE_ADDRESS", BOUNCE_ADDRESS.to_string()),
    ];
    pairs.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    spawn_with(backend, env(&pairs)).await
}

/// A confirmed subscription for `address` on queue q, one notification
/// sent to it; returns the subscription id and the email as sent.
async fn one_notification(app: &TestApp, sink: &SmtpSink, address: &str) -> (String, ReceivedMail) {
    app.create_queue("q").await;
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/q/subscriptions",
            &json!({"subscriber": format!("mailto:{address}"), "ttl": 3600}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let sub = resp.json::<Value>().await.unwrap()["subscription_id"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = app
        .send_json(
            Method::PUT,
            &format!("/v2/queues/q/subscriptions/{sub}/confirm"),
            &json!({"confirmed": true}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 204);
    let before = sink.messages().len();
    app.post_messages("q", json!([{"body": "hello", "ttl": 300}]))
        .await;
    app.drain().await;
    let mails = sink.wait_for(before + 1, Duration::from_secs(10)).await;
    let notification = mails
        .into_iter()
        .rev()
        .find(|m| m.data.contains("hello"))
        .expect("the notification");
    (sub, notification)
}

/// The VERP token of a sent email.
fn token_of(mail: &ReceivedMail) -> String {
    let sender = mail.mail_from.trim_matches(|c| c == '<' || c == '>');
    let token = sender
        .strip_prefix("bounces+")
        .and_then(|rest| rest.strip_suffix("@mail.test"))
        .unwrap_or_else(|| panic!("not a VERP sender: {sender}"));
    assert_eq!(token.len(), 32, "{token}");
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
    token.to_string()
}

async fn post_bounce(app: &TestApp, raw: &str) -> (u16, Value) {
    let resp = app
        .bare(Method::POST, "/v2/bounces")
        .header("Content-Type", "message/rfc822")
        .body(raw.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn suppression(app: &TestApp, address: &str) -> Option<Value> {
    let (status, body) = app.get_json(&format!("/v2/suppressions/{address}")).await;
    (status == 200).then_some(body)
}

async fn deliveries(app: &TestApp, sub: &str) -> Vec<Value> {
    let (_, body) = app
        .get_json(&format!("/v2/queues/q/subscriptions/{sub}/deliveries"))
        .await;
    body["deliveries"].as_array().unwrap().clone()
}

/// After a permanent bounce or complaint: the address suppressed, the
/// delivery failed with the bounce in its log, the next message skipped.
async fn assert_suppressed_after(
    app: &TestApp,
    sub: &str,
    address: &str,
    reason: &str,
    bounce: &Value,
) {
    let entry = suppression(app, address).await.expect("suppressed");
    assert_eq!(entry["reason"], reason);
    assert_eq!(
        entry["source"],
        format!("bounce {}", bounce["id"].as_str().unwrap())
    );
    let log = deliveries(app, sub).await;
    let notification = log.iter().find(|d| d["kind"] == "notification").unwrap();
    assert_eq!(notification["status"], "failed", "{notification}");
    let last = notification["attempts"].as_array().unwrap().last().unwrap();
    assert_eq!(last["outcome"], "permanent_failure");
    assert!(
        !last["detail"].as_str().unwrap().contains(address),
        "{last}"
    );
    app.post_messages("q", json!([{"body": "again", "ttl": 300}]))
        .await;
    app.drain().await;
    let log = deliveries(app, sub).await;
    assert!(
        log.iter()
            .any(|d| d["status"] == "skipped" && d["reason"].as_str().unwrap().contains(reason)),
        "{log:?}"
    );
}

async fn exim_dsn_suppresses_and_fails_the_delivery(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = app_with(backend, &sink, &[]).await else {
        return;
    };
    let (sub, mail) = one_notification(&app, &sink, "nobody-here@mail.test").await;
    let token = token_of(&mail);
    // The RFC 5321 envelope sender, not a header of the message.
    assert!(!mail.data.contains(&token));
    let (status, bounce) = post_bounce(&app, &EXIM_DSN.replace(CAPTURED_TOKEN, &token)).await;
    assert_eq!(status, 201, "{bounce}");
    assert_eq!(bounce["kind"], "dsn");
    assert_eq!(bounce["classification"], "permanent");
    assert_eq!(bounce["project"], PROJECT);
    let recipient = &bounce["details"]["recipients"][0];
    assert_eq!(recipient["status"], "5.0.0");
    assert_eq!(recipient["action"], "suppressed (hard_bounce)");
    assert_suppressed_after(&app, &sub, "nobody-here@mail.test", "hard_bounce", &bounce).await;

    // The audit trail: listed, and kept whole.
    let list: Value = app
        .bare(Method::GET, "/v2/bounces")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["bounces"][0]["id"], bounce["id"]);
    let one: Value = app
        .bare(
            Method::GET,
            &format!("/v2/bounces/{}", bounce["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(one["raw"]
        .as_str()
        .unwrap()
        .contains("Reporting-MTA: dns; mta.test"));

    // Taken off the list, the address gets mail again.
    let resp = app
        .req(Method::DELETE, "/v2/suppressions/nobody-here@mail.test")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    let before = sink.messages().len();
    app.post_messages("q", json!([{"body": "back", "ttl": 300}]))
        .await;
    app.drain().await;
    sink.wait_for(before + 1, Duration::from_secs(10)).await;
}
crate::backend_test!(exim_dsn_suppresses_and_fails_the_delivery);

async fn arf_complaint_suppresses(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = app_with(backend, &sink, &[]).await else {
        return;
    };
    let (sub, mail) = one_notification(&app, &sink, "complainer@isp.example.net").await;
    let token = token_of(&mail);
    let (status, bounce) = post_bounce(&app, &ARF.replace(CAPTURED_TOKEN, &token)).await;
    assert_eq!(status, 201, "{bounce}");
    assert_eq!(bounce["kind"], "arf");
    assert_eq!(bounce["classification"], "complaint");
    assert_suppressed_after(
        &app,
        &sub,
        "complainer@isp.example.net",
        "complaint",
        &bounce,
    )
    .await;
}
crate::backend_test!(arf_complaint_suppresses);

async fn forged_reports_change_nothing(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = app_with(backend, &sink, &[]).await else {
        return;
    };
    let (sub, mail) = one_notification(&app, &sink, "nobody-here@mail.test").await;
    let token = token_of(&mail);
    // A token tidings never issued.
    let (status, bounce) =
        post_bounce(&app, &EXIM_DSN.replace(CAPTURED_TOKEN, &"f".repeat(32))).await;
    assert_eq!(status, 201);
    assert_eq!(bounce["classification"], "unmatched");
    assert!(bounce["project"].is_null());
    // A real token, but about an address the delivery never went to.
    let other = EXIM_DSN
        .replace(CAPTURED_TOKEN, &token)
        .replace("nobody-here@mail.test", "someone-else@mail.test");
    let (status, bounce) = post_bounce(&app, &other).await;
    assert_eq!(status, 201);
    assert_eq!(
        bounce["details"]["recipients"][0]["action"],
        "none: not a recipient of the delivery"
    );
    assert!(suppression(&app, "nobody-here@mail.test").await.is_none());
    assert!(suppression(&app, "someone-else@mail.test").await.is_none());
    let log = deliveries(&app, &sub).await;
    assert!(log.iter().all(|d| d["status"] == "delivered"), "{log:?}");
}
crate::backend_test!(forged_reports_change_nothing);

async fn temporary_failures_suppress_after_the_limit(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = app_with(backend, &sink, &[("TIDINGS_SOFT_BOUNCE_LIMIT", "2")]).await else {
        return;
    };
    let (sub, mail) = one_notification(&app, &sink, "nobody-here@mail.test").await;
    let delayed = EXIM_DSN
        .replace(CAPTURED_TOKEN, &token_of(&mail))
        .replace("Action: failed", "Action: delayed")
        .replace("Status: 5.0.0", "Status: 4.4.1");
    let (_, first) = post_bounce(&app, &delayed).await;
    assert_eq!(first["classification"], "transient");
    assert_eq!(
        first["details"]["recipients"][0]["action"],
        "counted: 1 of 2 temporary failures in a row"
    );
    assert!(suppression(&app, "nobody-here@mail.test").await.is_none());
    let log = deliveries(&app, &sub).await;
    assert!(log.iter().all(|d| d["status"] == "delivered"), "{log:?}");
    let (_, second) = post_bounce(&app, &delayed).await;
    assert!(second["details"]["recipients"][0]["action"]
        .as_str()
        .unwrap()
        .starts_with("suppressed (hard_bounce)"));
    let entry = suppression(&app, "nobody-here@mail.test").await.unwrap();
    assert_eq!(entry["reason"], "hard_bounce");
}
crate::backend_test!(temporary_failures_suppress_after_the_limit);

async fn a_sent_email_ends_the_run_of_temporary_failures(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = app_with(backend, &sink, &[("TIDINGS_SOFT_BOUNCE_LIMIT", "2")]).await else {
        return;
    };
    let (_, mail) = one_notification(&app, &sink, "sometimes@mail.test").await;
    let delayed = EXIM_DSN
        .replace(CAPTURED_TOKEN, &token_of(&mail))
        .replace("nobody-here@mail.test", "sometimes@mail.test")
        .replace("Action: failed", "Action: delayed")
        .replace("Status: 5.0.0", "Status: 4.4.1");
    let (_, first) = post_bounce(&app, &delayed).await;
    assert_eq!(
        first["details"]["recipients"][0]["action"], "counted: 1 of 2 temporary failures in a row",
        "{first}"
    );
    // The next email is accepted: the run is over.
    let before = sink.messages().len();
    app.post_messages("q", json!([{"body": "later", "ttl": 300}]))
        .await;
    app.drain().await;
    sink.wait_for(before + 1, Duration::from_secs(10)).await;
    let (_, second) = post_bounce(&app, &delayed).await;
    assert_eq!(
        second["details"]["recipients"][0]["action"], "counted: 1 of 2 temporary failures in a row",
        "{second}"
    );
    assert!(suppression(&app, "sometimes@mail.test").await.is_none());
    // Without a sent email between them, two in a row suppress.
    let (_, third) = post_bounce(&app, &delayed).await;
    assert!(third["details"]["recipients"][0]["action"]
        .as_str()
        .unwrap()
        .starts_with("suppressed (hard_bounce)"));
}
crate::backend_test!(a_sent_email_ends_the_run_of_temporary_failures);

async fn bad_bounces_are_400_and_write_nothing(app: TestApp) {
    let before = app.row_counts().await;
    for raw in [
        "",
        "   \r\n",
        "To: a@example.com\r\nSubject: hi\r\n\r\nnot a report\r\n",
    ] {
        let (status, body) = post_bounce(&app, raw).await;
        assert_eq!(status, 400, "{raw:?}");
        assert!(
            body["title"].is_string() && body["description"].is_string(),
            "{body}"
        );
    }
    assert_eq!(app.row_counts().await, before);
    let resp = app
        .bare(Method::GET, "/v2/bounces/nope")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
}
crate::db_test!(bad_bounces_are_400_and_write_nothing);

async fn intake_needs_a_star_admin(backend: Backend) {
    let env: HashMap<String, String> = [("TIDINGS_AUTH".to_string(), "token".to_string())].into();
    let Some(app) = spawn_with(backend, env).await else {
        return;
    };
    let token = |project: &'static str, role| {
        let app = &app;
        async move {
            api_tokens::create(
                &app.state.db,
                &TokenScope::parse(project).unwrap(),
                role,
                None,
                "",
                app.state.now(),
            )
            .await
            .unwrap()
            .secret
        }
    };
    let project_admin = token("p1", Role::Admin).await;
    let star_reader = token("*", Role::Reader).await;
    let star_admin = token("*", Role::Admin).await;
    let post = |t: String| {
        app.client
            .post(app.url("/v2/bounces"))
            .header("Client-ID", CLIENT_ID)
            .header("X-Auth-Token", t)
            .body(EXIM_DSN)
            .send()
    };
    assert_eq!(
        app.bare(Method::POST, "/v2/bounces")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    assert_eq!(post(project_admin).await.unwrap().status().as_u16(), 403);
    assert_eq!(post(star_reader).await.unwrap().status().as_u16(), 403);
    assert_eq!(post(star_admin).await.unwrap().status().as_u16(), 201);
}
crate::backend_test!(intake_needs_a_star_admin);

/// A bounce row as the intake keeps it, for project `project`.
async fn stored_bounce(app: &TestApp, project: Option<&str>, marker: &str) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    tidings::store::bounces::insert(
        &app.state.db,
        tidings::store::entities::bounce::Model {
            id: id.clone(),
            received_at: app.state.now(),
            project: project.map(String::from),
            delivery_id: project.map(|_| 1),
            kind: Some("dsn".into()),
            classification: "permanent".into(),
            details: json!({"recipients": []}).to_string(),
            raw: format!("Subject: {marker}\r\n\r\n{marker}\r\n"),
        },
    )
    .await
    .unwrap();
    id
}

async fn a_project_admin_reads_its_own_bounces(backend: Backend) {
    let env: HashMap<String, String> = [("TIDINGS_AUTH".to_string(), "token".to_string())].into();
    let Some(app) = spawn_with(backend, env).await else {
        return;
    };
    let token = |project: &'static str, role| {
        let app = &app;
        async move {
            api_tokens::create(
                &app.state.db,
                &TokenScope::parse(project).unwrap(),
                role,
                None,
                "",
                app.state.now(),
            )
            .await
            .unwrap()
            .secret
        }
    };
    let mine = stored_bounce(&app, Some("p1"), "mine").await;
    let theirs = stored_bounce(&app, Some("p2"), "theirs").await;
    let unmatched = stored_bounce(&app, None, "unmatched").await;
    let get = |path: String, t: String| {
        let app = &app;
        async move {
            let resp = app
                .client
                .get(app.url(&path))
                .header("Client-ID", CLIENT_ID)
                .header("X-Auth-Token", t)
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let ids = |list: &Value| -> Vec<String> {
        list["bounces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_str().unwrap().to_string())
            .collect()
    };
    let p1_admin = token("p1", Role::Admin).await;
    let (status, list) = get("/v2/bounces".into(), p1_admin.clone()).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(ids(&list), vec![mine.clone()]);
    let (status, one) = get(format!("/v2/bounces/{mine}"), p1_admin.clone()).await;
    assert_eq!(status, 200);
    assert!(one["raw"].as_str().unwrap().contains("mine"));
    for other in [&theirs, &unmatched] {
        let (status, body) = get(format!("/v2/bounces/{other}"), p1_admin.clone()).await;
        assert_eq!(status, 404, "{body}");
    }
    let (status, body) = get("/v2/bounces?project=p2".into(), p1_admin.clone()).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["title"], "Forbidden");
    assert_eq!(
        get("/v2/bounces?project=p1".into(), p1_admin.clone())
            .await
            .0,
        200
    );
    // Below admin, nothing.
    let p1_subscriber = token("p1", Role::Subscriber).await;
    assert_eq!(
        get("/v2/bounces".into(), p1_subscriber.clone()).await.0,
        403
    );
    assert_eq!(
        get(format!("/v2/bounces/{mine}"), p1_subscriber).await.0,
        403
    );
    // A `*` admin sees every one, and may narrow to a project.
    let star_admin = token("*", Role::Admin).await;
    let (status, list) = get("/v2/bounces".into(), star_admin.clone()).await;
    assert_eq!(status, 200);
    let mut all = ids(&list);
    all.sort();
    let mut expected = vec![mine.clone(), theirs.clone(), unmatched.clone()];
    expected.sort();
    assert_eq!(all, expected);
    let (_, list) = get("/v2/bounces?project=p2".into(), star_admin.clone()).await;
    assert_eq!(ids(&list), vec![theirs.clone()]);
    assert_eq!(
        get(format!("/v2/bounces/{unmatched}"), star_admin).await.0,
        200
    );
}
crate::backend_test!(a_project_admin_reads_its_own_bounces);

/// `tidings bounce < message`, as an MTA pipe transport runs it.
async fn cli_intake(app: &TestApp, raw: &str, recipient: Option<&str>) -> (i32, String) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tidings"));
    command
        .arg("bounce")
        .env_clear()
        .env("TIDINGS_DATABASE_URL", &app.database_url)
        .env("TIDINGS_BOUNCE_ADDRESS", BOUNCE_ADDRESS)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(r) = recipient {
        command.arg("--recipient").arg(r);
    }
    let mut child = command.spawn().expect("run tidings bounce");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(raw.as_bytes()).await.unwrap();
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("tidings bounce finishes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), stdout)
}

async fn the_pipe_command(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = app_with(backend, &sink, &[]).await else {
        return;
    };
    let (sub, mail) = one_notification(&app, &sink, "nobody-here@mail.test").await;
    let token = token_of(&mail);
    // The token only in --recipient (what exim knows as the local part):
    // the report's own headers name another address.
    let raw = EXIM_DSN.replace(
        &format!("bounces+{CAPTURED_TOKEN}@mail.test"),
        "postmaster@mail.test",
    );
    let (code, stdout) = cli_intake(&app, &raw, Some(&format!("bounces+{token}@mail.test"))).await;
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.starts_with("Recorded bounce "), "{stdout}");
    assert!(stdout.contains(": permanent (delivery "), "{stdout}");
    assert!(
        stdout.contains("n***@mail.test 5.0.0: suppressed (hard_bounce)"),
        "{stdout}"
    );
    assert!(!stdout.contains("nobody-here"), "masked: {stdout}");
    let entry = suppression(&app, "nobody-here@mail.test").await.unwrap();
    assert_eq!(entry["reason"], "hard_bounce");
    let log = deliveries(&app, &sub).await;
    assert!(log.iter().any(|d| d["status"] == "failed"), "{log:?}");
    // Whatever arrives is recorded and accepted, so the MTA does not
    // bounce the bounce.
    let (code, stdout) = cli_intake(&app, "Subject: hi\n\njunk\n", None).await;
    assert_eq!(code, 0);
    assert!(stdout.ends_with(": unrecognised\n"), "{stdout}");
}
crate::backend_test!(the_pipe_command);

fn exim_binary() -> Option<&'static str> {
    ["/usr/sbin/exim4", "/usr/sbin/exim"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

/// Hands tidings' own email to a real exim4 for a user that does not
/// exist; exim's DSN goes back to the VERP sender and into tidings.
async fn live_exim4(backend: Backend) {
    let Some(exim) = exim_binary() else {
        eprintln!("skipped: exim4 is not installed (apt-get install exim4-daemon-light)");
        return;
    };
    let sink = SmtpSink::start().await;
    let Some(app) = app_with(backend, &sink, &[]).await else {
        return;
    };
    let (sub, mail) = one_notification(&app, &sink, "nobody-here@mail.test").await;
    let sender = mail
        .mail_from
        .trim_matches(|c| c == '<' || c == '>')
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().display().to_string();
    for sub_dir in ["spool", "log", "out"] {
        let path = dir.path().join(sub_dir);
        std::fs::create_dir(&path).unwrap();
        // exim gives up root for a -C configuration and writes as its user.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let conf = dir.path().join("exim4.conf");
    std::fs::write(&conf, EXIM_CONF.replace("DIR", &root)).unwrap();
    let mut child = tokio::process::Command::new(exim)
        .arg("-C")
        .arg(&conf)
        .args(["-odi", "-oi", "-f", &sender, "nobody-here@mail.test"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("run exim4");
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(mail.data.replace("\r\n", "\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exim4 finishes")
        .unwrap();
    assert!(status.success(), "exim4: {status}");
    let dsn = std::fs::read_to_string(dir.path().join("out/bounce.eml")).unwrap_or_else(|e| {
        let log = std::fs::read_to_string(dir.path().join("log/mainlog")).unwrap_or_default();
        panic!("no DSN from exim4 ({e}); its log:\n{log}")
    });
    assert!(dsn.contains("message/delivery-status"), "{dsn}");
    let (status, bounce) = post_bounce(&app, &dsn).await;
    assert_eq!(status, 201, "{bounce}");
    assert_eq!(bounce["classification"], "permanent", "{bounce}");
    assert_suppressed_after(&app, &sub, "nobody-here@mail.test", "hard_bounce", &bounce).await;
}
crate::backend_test!(live_exim4);

async fn tokens_stored(app: &TestApp) -> i64 {
    let counts = app.row_counts().await;
    counts
        .iter()
        .find(|(t, _)| t == "bounce_tokens")
        .map(|(_, n)| *n)
        .unwrap()
}

/// A token is remembered for each email sent, and only for those.
async fn skipped_emails_leave_no_token(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = app_with(backend, &sink, &[]).await else {
        return;
    };
    app.create_queue("q").await;
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/q/subscriptions",
            &json!({"subscriber": "mailto:later@mail.test", "ttl": 3600}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    app.drain().await;
    let confirmation = sink.wait_for(1, Duration::from_secs(10)).await;
    token_of(&confirmation[0]);
    assert_eq!(tokens_stored(&app).await, 1);
    // Pending: the notification is skipped, nothing is sent or stored.
    app.post_messages("q", json!([{"body": "hello", "ttl": 300}]))
        .await;
    app.drain().await;
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(tokens_stored(&app).await, 1);
}
crate::backend_test!(skipped_emails_leave_no_token);
