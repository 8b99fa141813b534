//! `Mailer`: the email driver. One transport chosen by `TIDINGS_MAIL_URL`;
//! every send becomes an `AttemptOutcome` for the delivery worker.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::sync::Semaphore;

use super::address::{mask_address, mask_addresses_in};
use super::mail_url::{MailUrl, SmtpSecurity};
use super::outgoing::OutgoingEmail;
use super::sendmail::{run_sendmail, SendmailResult};
use super::smtp_pool::{SmtpFailure, SmtpPool, SmtpPoolSettings, StartTls};
use crate::config::Settings;
use crate::drivers::{AttemptOutcome, Verdict};

/// Bounds every SMTP command, so a stalled relay costs one attempt, not a worker.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
/// Details are stored with each attempt; keep them short.
const MAX_DETAIL: usize = 300;
/// Emails handed to the relay (or sendmail processes running) at once, and
/// the SMTP connections kept open for reuse. Relays limit connections per
/// client (Postfix: 50 by default); a worker with hundreds of attempts in
/// flight would otherwise open a connection for each and reuse almost none.
/// Plain and STARTTLS relays go through `SmtpPool`, which sets TCP_NODELAY
/// (lettre 0.11.23's pool does not, and stalls ~40 ms per reused send).
const SENDING_AT_ONCE: usize = 32;

/// Cheap to clone: clones share the SMTP connection pool.
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    sending: Arc<Semaphore>,
}

// Only the transport kind: the SMTP URL may carry a password.
impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("transport", &self.transport_name())
            .finish()
    }
}

#[derive(Clone)]
enum Transport {
    /// `smtp://` and STARTTLS: our connections, with TCP_NODELAY.
    SmtpPool(Arc<SmtpPool>),
    /// `smtps://`: lettre's transport and pool, TLS from the first byte.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Sendmail(PathBuf),
    File {
        dir: PathBuf,
        transport: AsyncFileTransport<Tokio1Executor>,
    },
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Mailer> {
        Mailer::from_url(&settings.mail_url)
    }

    /// Builds the transport; connects lazily, on the first send.
    pub fn from_url(mail_url: &str) -> anyhow::Result<Mailer> {
        let transport = match MailUrl::parse(mail_url)? {
            MailUrl::Smtp {
                host,
                port,
                credentials,
                security,
            } if security == SmtpSecurity::Implicit => {
                Transport::Smtp(smtp_transport(&host, port, credentials, security)?)
            }
            MailUrl::Smtp {
                host,
                port,
                credentials,
                security,
            } => Transport::SmtpPool(Arc::new(smtp_pool(host, port, credentials, security)?)),
            MailUrl::Sendmail { binary } => Transport::Sendmail(binary),
            MailUrl::File { dir } => Transport::File {
                transport: AsyncFileTransport::new(&dir),
                dir,
            },
        };
        Ok(Mailer {
            transport,
            sending: Arc::new(Semaphore::new(SENDING_AT_ONCE)),
        })
    }

    /// `smtp`, `sendmail` or `file`, for logs and the health page.
    pub fn transport_name(&self) -> &'static str {
        match self.transport {
            Transport::Smtp(_) | Transport::SmtpPool(_) => "smtp",
            Transport::Sendmail(_) => "sendmail",
            Transport::File { .. } => "file",
        }
    }

    /// One attempt. Never retries and never sleeps: the worker decides.
    pub async fn send(&self, email: &OutgoingEmail) -> AttemptOutcome {
        // Waiting for a turn is not part of the attempt's duration.
        let _turn = self.sending.acquire().await;
        let started = Instant::now();
        let recipients = masked_recipients(email);
        let (verdict, code, detail) = self.attempt(email).await;
        let outcome = AttemptOutcome {
            verdict,
            code,
            detail: truncate(detail),
            duration: started.elapsed(),
        };
        tracing::debug!(
            transport = self.transport_name(),
            recipients = %recipients,
            outcome = outcome.outcome_label(),
            code = outcome.code,
            detail = %outcome.detail,
            "email attempt"
        );
        outcome
    }

    async fn attempt(&self, email: &OutgoingEmail) -> (Verdict, Option<i32>, String) {
        let keep_bcc = matches!(self.transport, Transport::Sendmail(_));
        let message = match email.to_message(keep_bcc) {
            Ok(message) => message,
            Err(e) => return (Verdict::Permanent, None, e.to_string()),
        };
        match &self.transport {
            Transport::SmtpPool(pool) => {
                match pool.send(message.envelope(), &message.formatted()).await {
                    Ok(response) => accepted(&response),
                    Err(SmtpFailure::Smtp(e)) => classify_smtp_error(&e),
                    Err(SmtpFailure::Connect(detail)) => (transient(), None, detail),
                }
            }
            Transport::Smtp(smtp) => match send_smtp(smtp, message).await {
                Ok(response) => accepted(&response),
                Err(e) => classify_smtp_error(&e),
            },
            Transport::Sendmail(binary) => {
                match run_sendmail(binary, &message.formatted(), email.envelope_from.as_deref())
                    .await
                {
                    SendmailResult::Accepted => {
                        (Verdict::Delivered, None, "accepted by sendmail".into())
                    }
                    SendmailResult::Failed { code, detail } => (transient(), code, detail),
                    SendmailResult::NotRun(detail) => (transient(), None, detail),
                }
            }
            Transport::File { dir, transport } => {
                if let Err(e) = tokio::fs::create_dir_all(dir).await {
                    return (
                        transient(),
                        None,
                        format!("cannot create mail directory {}: {e}", dir.display()),
                    );
                }
                match transport.send(message).await {
                    Ok(id) => {
                        let path = dir.join(format!("{id}.eml"));
                        log_file_written(email, &path);
                        (
                            Verdict::Delivered,
                            None,
                            format!("written to {}", path.display()),
                        )
                    }
                    Err(e) => (
                        transient(),
                        None,
                        format!("cannot write email into {}: {e}", dir.display()),
                    ),
                }
            }
        }
    }
}

fn accepted(
    response: &lettre::transport::smtp::response::Response,
) -> (Verdict, Option<i32>, String) {
    (
        Verdict::Delivered,
        Some(i32::from(u16::from(response.code()))),
        format!(
            "accepted: {}",
            mask_addresses_in(response.first_line().unwrap_or(""))
        ),
    )
}

fn smtp_pool(
    host: String,
    port: u16,
    credentials: Option<(String, String)>,
    security: SmtpSecurity,
) -> anyhow::Result<SmtpPool> {
    let starttls = match security {
        SmtpSecurity::Plain => StartTls::Never,
        SmtpSecurity::StartTlsOpportunistic => StartTls::WhenOffered,
        SmtpSecurity::StartTlsRequired | SmtpSecurity::Implicit => StartTls::Required,
    };
    let tls =
        match starttls {
            StartTls::Never => None,
            _ => Some(TlsParameters::new(host.clone()).map_err(|e| {
                anyhow::anyhow!("TIDINGS_MAIL_URL: cannot set up TLS for {host}: {e}")
            })?),
        };
    Ok(SmtpPool::new(SmtpPoolSettings {
        host,
        port,
        starttls,
        tls,
        credentials: credentials.map(|(user, pass)| Credentials::new(user, pass)),
        timeout: SMTP_TIMEOUT,
        max_idle: SENDING_AT_ONCE,
    }))
}

fn smtp_transport(
    host: &str,
    port: u16,
    credentials: Option<(String, String)>,
    security: SmtpSecurity,
) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let tls = match security {
        SmtpSecurity::Plain => Tls::None,
        other => {
            let params = TlsParameters::new(host.to_string()).map_err(|e| {
                anyhow::anyhow!("TIDINGS_MAIL_URL: cannot set up TLS for {host}: {e}")
            })?;
            match other {
                SmtpSecurity::StartTlsOpportunistic => Tls::Opportunistic(params),
                SmtpSecurity::StartTlsRequired => Tls::Required(params),
                _ => Tls::Wrapper(params),
            }
        }
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .tls(tls)
        .timeout(Some(SMTP_TIMEOUT))
        // The pool keeps connections open between sends, so a burst of
        // notifications costs one TCP (and TLS) handshake, not one each.
        .pool_config(PoolConfig::new().max_size(SENDING_AT_ONCE as u32));
    if let Some((user, pass)) = credentials {
        builder = builder.credentials(Credentials::new(user, pass));
    }
    Ok(builder.build())
}

async fn send_smtp(
    smtp: &AsyncSmtpTransport<Tokio1Executor>,
    message: lettre::Message,
) -> Result<lettre::transport::smtp::response::Response, lettre::transport::smtp::Error> {
    let result = smtp.send(message).await;
    // lettre hands the connection back to its pool from a spawned task;
    // yielding once lets that task run, so the caller's next send finds the
    // connection idle instead of opening a second one.
    tokio::task::yield_now().await;
    result
}

fn classify_smtp_error(error: &lettre::transport::smtp::Error) -> (Verdict, Option<i32>, String) {
    let code = error.status().map(|c| i32::from(u16::from(c)));
    let detail = mask_addresses_in(&error.to_string());
    if error.is_permanent() {
        (Verdict::Permanent, code, detail)
    } else {
        // 4xx replies, refused or dropped connections, timeouts and TLS
        // failures may all clear up later.
        (transient(), code, detail)
    }
}

fn transient() -> Verdict {
    Verdict::Transient { retry_after: None }
}

fn log_file_written(email: &OutgoingEmail, path: &std::path::Path) {
    match &email.dev_log_link {
        // A local mail directory means nobody receives this email, so the link
        // is shown where a developer will see it.
        Some(link) => tracing::info!(
            path = %path.display(),
            link = %link,
            "email written to file; open the link to continue"
        ),
        None => tracing::info!(path = %path.display(), "email written to file"),
    }
}

fn masked_recipients(email: &OutgoingEmail) -> String {
    email
        .to
        .iter()
        .chain(&email.cc)
        .chain(&email.bcc)
        .map(|a| mask_address(a))
        .collect::<Vec<_>>()
        .join(",")
}

fn truncate(mut detail: String) -> String {
    if detail.len() > MAX_DETAIL {
        let mut end = MAX_DETAIL;
        while !detail.is_char_boundary(end) {
            end -= 1;
        }
        detail.truncate(end);
        detail.push('…');
    }
    detail
}
