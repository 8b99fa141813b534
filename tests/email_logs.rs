//! What the email driver writes to the logs: the file transport logs the
//! confirmation link (so a newcomer can click it), SMTP never logs a token
//! or a full address.
//!
//! A test binary of its own: `tracing` caches each call site's interest
//! process-wide, and another test thread that hits the same call site with
//! no subscriber can leave it disabled for this test's thread-local one.
mod support;

use std::time::Duration;

use serde_json::json;
use support::smtp_sink::SmtpSink;
use tidings::drivers::email::Mailer;
use tidings::drivers::Verdict;
use tidings::templates::Templates;

const WAIT: Duration = Duration::from_secs(10);
const FROM: &str = "tidings <no-reply@tidings.test>";

/// Collects what the fmt subscriber writes, to check what reaches the logs.
#[derive(Clone, Default)]
struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLogs {
    type Writer = CapturedLogs;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl CapturedLogs {
    fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

#[tokio::test]
async fn only_the_file_transport_logs_the_confirmation_link() {
    use tidings::drivers::email::{build_confirmation, ConfirmationRequest};
    let logs = CapturedLogs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let templates = Templates::load(None).unwrap();
    let link = "http://127.0.0.1:8888/v2/queues/alerts/subscriptions?subscriber=mailto%3Aalice%40example.com&confirm_token=SECRETTOKEN";
    let options = json!({});
    let email = build_confirmation(
        &templates,
        FROM,
        &ConfirmationRequest {
            subscriber: "mailto:alice@example.com",
            options: &options,
            queue: "alerts",
            project: "p1",
            confirm_url: link,
            expires_at_ms: Some(1_795_964_400_000),
        },
    )
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let file_mailer = Mailer::from_url(&format!("file:{}", dir.path().display())).unwrap();
    assert_eq!(file_mailer.send(&email).await.verdict, Verdict::Delivered);
    let file_logs = logs.take();
    assert!(file_logs.contains(link), "{file_logs}");
    assert!(file_logs.contains(".eml"), "{file_logs}");

    let sink = SmtpSink::start().await;
    let smtp_mailer = Mailer::from_url(&sink.url()).unwrap();
    assert_eq!(smtp_mailer.send(&email).await.verdict, Verdict::Delivered);
    let smtp_logs = logs.take();
    assert!(smtp_logs.contains("a***@example.com"), "{smtp_logs}");
    assert!(!smtp_logs.contains("SECRETTOKEN"), "{smtp_logs}");
    assert!(!smtp_logs.contains("alice@example.com"), "{smtp_logs}");
    let mail = &sink.wait_for(1, WAIT).await[0];
    let decoded = mail.data.replace("=\r\n", "").replace("=3D", "=");
    assert!(decoded.contains(link), "{}", mail.data);
}
