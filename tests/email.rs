//! The email driver against real peers: an SMTP server on 127.0.0.1, a
//! sendmail-compatible script, and a mail directory.
mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use support::smtp_sink::SmtpSink;
use tidings::drivers::email::{build_notification, Mailer, NotificationRequest, OutgoingEmail};
use tidings::drivers::Verdict;
use tidings::templates::Templates;

const WAIT: Duration = Duration::from_secs(10);
const FROM: &str = "tidings <no-reply@tidings.test>";

fn notification(subscriber: &str, options: &Value) -> OutgoingEmail {
    let templates = Templates::load(None).expect("embedded templates");
    let body = json!({"event": "disk-full", "host": "db1"});
    build_notification(
        &templates,
        FROM,
        &NotificationRequest {
            subscriber,
            options,
            queue: "alerts",
            project: "p1",
            body: &body,
            posted_at_ms: Some(1_795_964_400_000),
            unsubscribe_url: Some("http://127.0.0.1:8888/unsubscribe?token=abc"),
            subscription_id: None,
            event_type: None,
            template: None,
        },
    )
    .expect("notification builds")
}

fn simple(to: &str) -> OutgoingEmail {
    OutgoingEmail {
        from: FROM.into(),
        to: vec![to.into()],
        subject: "hello".into(),
        text: "plain".into(),
        ..Default::default()
    }
}

fn is_transient(verdict: Verdict) -> bool {
    matches!(verdict, Verdict::Transient { .. })
}

#[tokio::test]
async fn smtp_delivers_a_notification_with_every_header() {
    let sink = SmtpSink::start().await;
    let mailer = Mailer::from_url(&sink.url()).unwrap();
    let email = notification(
        "mailto:alice@example.com?subject=Disk%20alert&cc=carol@example.com",
        &json!({"from": "ops@example.org", "bcc": ["boss@example.com"]}),
    );

    let outcome = mailer.send(&email).await;

    assert_eq!(outcome.verdict, Verdict::Delivered, "{outcome:?}");
    assert_eq!(outcome.code, Some(250));
    let mail = &sink.wait_for(1, WAIT).await[0];
    assert_eq!(mail.mail_from, "ops@example.org");
    assert_eq!(
        mail.rcpt_to,
        vec!["alice@example.com", "carol@example.com", "boss@example.com"]
    );
    assert_eq!(mail.header("From").as_deref(), Some("ops@example.org"));
    assert_eq!(mail.header("To").as_deref(), Some("alice@example.com"));
    assert_eq!(mail.header("Cc").as_deref(), Some("carol@example.com"));
    assert_eq!(mail.header("Bcc"), None, "Bcc must not be visible");
    assert_eq!(mail.header("Subject").as_deref(), Some("Disk alert"));
    assert_eq!(
        mail.header("List-Unsubscribe").as_deref(),
        Some("<http://127.0.0.1:8888/unsubscribe?token=abc>")
    );
    assert_eq!(
        mail.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(
        mail.header("Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    let message_id = mail.header("Message-ID").expect("Message-ID");
    assert!(message_id.starts_with('<') && message_id.ends_with("@example.org>"));
    assert!(mail
        .header("Content-Type")
        .unwrap()
        .starts_with("multipart/alternative"));
    assert!(
        mail.data.contains("Content-Type: text/plain"),
        "{}",
        mail.data
    );
    assert!(
        mail.data.contains("Content-Type: text/html"),
        "{}",
        mail.data
    );
    assert!(mail.data.contains("disk-full"), "{}", mail.data);
}

#[tokio::test]
async fn smtp_4xx_is_transient_and_5xx_permanent_with_the_code() {
    let sink = SmtpSink::start().await;
    let mailer = Mailer::from_url(&sink.url()).unwrap();

    sink.reply_to_rcpt(Some(451));
    let outcome = mailer.send(&simple("alice@example.com")).await;
    assert!(is_transient(outcome.verdict), "{outcome:?}");
    assert_eq!(outcome.code, Some(451));

    sink.reply_to_rcpt(None);
    sink.reply_to_data(Some(554));
    let outcome = mailer.send(&simple("alice@example.com")).await;
    assert_eq!(outcome.verdict, Verdict::Permanent, "{outcome:?}");
    assert_eq!(outcome.code, Some(554));
    assert!(!outcome.detail.contains("alice@"), "{}", outcome.detail);

    sink.reply_to_data(None);
    sink.reply_to_rcpt(Some(550));
    let outcome = mailer.send(&simple("alice@example.com")).await;
    assert_eq!(outcome.verdict, Verdict::Permanent, "{outcome:?}");
    assert_eq!(outcome.code, Some(550));
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn smtp_closed_port_is_transient() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mailer = Mailer::from_url(&format!("smtp://127.0.0.1:{port}")).unwrap();
    let outcome = mailer.send(&simple("alice@example.com")).await;
    assert!(is_transient(outcome.verdict), "{outcome:?}");
    assert_eq!(outcome.code, None);
}

#[tokio::test]
async fn smtp_reuses_one_connection_for_consecutive_sends() {
    let sink = SmtpSink::start().await;
    let mailer = Mailer::from_url(&sink.url()).unwrap();
    for to in ["a@example.com", "b@example.com", "c@example.com"] {
        let outcome = mailer.send(&simple(to)).await;
        assert_eq!(outcome.verdict, Verdict::Delivered, "{outcome:?}");
    }
    let mails = sink.wait_for(3, WAIT).await;
    assert_eq!(sink.connections(), 1);
    assert!(mails.iter().all(|m| m.connection == 1));
}

#[tokio::test]
async fn header_injection_never_reaches_the_wire() {
    let sink = SmtpSink::start().await;
    let mailer = Mailer::from_url(&sink.url()).unwrap();
    let attempts = [
        notification(
            "mailto:alice@example.com",
            &json!({"subject": "hi\r\nBcc: evil@example.net"}),
        ),
        notification(
            "mailto:alice@example.com",
            &json!({"from": "ops@example.org\r\nX-Evil: yes"}),
        ),
        notification(
            "mailto:alice@example.com?subject=hi%0D%0ABcc:%20evil@example.net",
            &json!({}),
        ),
        notification(
            "mailto:alice@example.com%0D%0ABcc:evil@example.net",
            &json!({}),
        ),
    ];
    for email in attempts {
        let outcome = mailer.send(&email).await;
        assert_eq!(outcome.verdict, Verdict::Permanent, "{outcome:?}");
        assert!(
            outcome.detail.contains("header injection"),
            "{}",
            outcome.detail
        );
    }
    // A well-formed email afterwards proves the sink was listening.
    mailer.send(&simple("alice@example.com")).await;
    let mails = sink.wait_for(1, WAIT).await;
    assert_eq!(mails.len(), 1);
    assert!(!mails[0].data.contains("evil"));
    assert!(!mails[0].data.contains("X-Evil"));
}

/// A sendmail stand-in: records its arguments and stdin, then exits with
/// `code` after printing a complaint naming an address on stderr.
fn sendmail_script(dir: &Path, code: i32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(format!("sendmail-{code}"));
    let script = format!(
        "#!/bin/sh\n\
         printf '%s\\n' \"$@\" > '{dir}/args'\n\
         cat > '{dir}/message.eml'\n\
         if [ {code} -ne 0 ]; then echo 'sendmail: cannot deliver to bob@example.com' >&2; echo 'second line' >&2; fi\n\
         exit {code}\n",
        dir = dir.display()
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

// One test for both cases: writing an executable while another test thread
// forks can make exec fail with "Text file busy".
#[tokio::test]
async fn sendmail_gets_the_message_on_stdin_and_failures_are_transient() {
    let dir = tempfile::tempdir().unwrap();
    let ok = sendmail_script(dir.path(), 0);
    let failing = sendmail_script(dir.path(), 75);

    let mailer = Mailer::from_url(&format!("sendmail:{}", ok.display())).unwrap();
    let email = notification(
        "mailto:alice@example.com",
        &json!({"bcc": "boss@example.com", "subject": "via sendmail"}),
    );
    let outcome = mailer.send(&email).await;
    assert_eq!(outcome.verdict, Verdict::Delivered, "{outcome:?}");
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
    assert_eq!(args, "-t\n-oi\n");
    let message = std::fs::read_to_string(dir.path().join("message.eml")).unwrap();
    assert!(message.contains("Subject: via sendmail\n"), "{message}");
    assert!(message.contains("To: alice@example.com\n"), "{message}");
    // `-t` reads recipients from the headers, so Bcc must be there for
    // sendmail to find (and strip).
    assert!(message.contains("Bcc: boss@example.com\n"), "{message}");
    assert!(!message.contains('\r'));

    let mailer = Mailer::from_url(&format!("sendmail:{}", failing.display())).unwrap();
    let outcome = mailer.send(&email).await;
    assert!(is_transient(outcome.verdict), "{outcome:?}");
    assert_eq!(outcome.code, Some(75));
    assert!(outcome.detail.contains("75"), "{}", outcome.detail);
    assert!(
        outcome
            .detail
            .contains("cannot deliver to b***@example.com"),
        "{}",
        outcome.detail
    );
    assert!(!outcome.detail.contains("second line"));

    let mailer = Mailer::from_url(&format!(
        "sendmail:{}",
        dir.path().join("missing").display()
    ))
    .unwrap();
    let outcome = mailer.send(&email).await;
    assert!(is_transient(outcome.verdict), "{outcome:?}");
}

#[tokio::test]
async fn file_transport_writes_an_eml_into_a_new_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mail_dir = dir.path().join("var/mail");
    let mailer = Mailer::from_url(&format!("file:{}", mail_dir.display())).unwrap();
    assert_eq!(mailer.transport_name(), "file");

    let outcome = mailer
        .send(&notification("mailto:alice@example.com", &json!({})))
        .await;

    assert_eq!(outcome.verdict, Verdict::Delivered, "{outcome:?}");
    let files: Vec<_> = std::fs::read_dir(&mail_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].extension().unwrap(), "eml");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        text.contains("Subject: New message on queue alerts"),
        "{text}"
    );
    assert!(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
}

#[tokio::test]
async fn file_transport_into_an_unwritable_place_is_transient() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let mailer = Mailer::from_url(&format!("file:{}", blocker.join("mail").display())).unwrap();
    let outcome = mailer.send(&simple("alice@example.com")).await;
    assert!(is_transient(outcome.verdict), "{outcome:?}");
}

#[test]
fn bad_mail_urls_name_the_variable() {
    for bad in ["ftp://x", "smtp://u:pw@", "sendmail:"] {
        let err = format!("{:#}", Mailer::from_url(bad).err().unwrap());
        assert!(err.contains("TIDINGS_MAIL_URL"), "{bad}: {err}");
    }
}

/// CPS's black list: `options.blocked_recipients` takes addresses out of a
/// multi-recipient send, whichever field names them, in any letter case.
#[tokio::test]
async fn blocked_recipients_never_receive_the_send() {
    let sink = SmtpSink::start().await;
    let mailer = Mailer::from_url(&sink.url()).unwrap();
    let email = notification(
        "mailto:alice@example.com,bob@example.com?cc=carol@example.com",
        &json!({"bcc": ["boss@example.com"], "blocked_recipients": ["BOB@example.com", "boss@example.com"]}),
    );

    let outcome = mailer.send(&email).await;

    assert_eq!(outcome.verdict, Verdict::Delivered, "{outcome:?}");
    let mail = &sink.wait_for(1, WAIT).await[0];
    assert_eq!(mail.rcpt_to, vec!["alice@example.com", "carol@example.com"]);
    assert!(!mail.data.to_lowercase().contains("bob@example.com"));
    assert!(!mail.data.contains("boss@example.com"));
}
