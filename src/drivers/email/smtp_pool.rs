//! SMTP connections with `TCP_NODELAY`, kept open between sends.
//!
//! lettre 0.11.23's own pool opens its sockets with Nagle's algorithm on.
//! On a reused connection every command then waits for the relay's delayed
//! ACK (about 40 ms), so 32 kept connections carried about 700 emails/s.
//! The fix (lettre/lettre#1159) is merged upstream but not released. This
//! pool opens the TCP stream itself, sets `TCP_NODELAY`, and hands it to
//! lettre's `AsyncSmtpConnection`, which still does the whole SMTP dialogue
//! (EHLO, STARTTLS, AUTH, MAIL/RCPT/DATA). Implicit TLS (`smtps://`) stays
//! on lettre's transport: its TLS is set up inside lettre before EHLO.
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use tokio::net::TcpStream;

/// A connection idle this long is closed instead of reused: relays drop
/// idle clients (Postfix after 300 s), and a stale one costs an attempt.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// A connection idle longer than this is probed with NOOP before reuse;
/// one reused at once (a burst) is not, which saves a round trip per email.
const PROBE_AFTER: Duration = Duration::from_secs(2);
/// Bounds the NOOP probe and the QUIT on close: a relay that vanished
/// without a FIN would otherwise keep a send waiting for an answer forever.
const SHORT_EXCHANGE: Duration = Duration::from_secs(5);

/// How the connection is secured after EHLO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartTls {
    Never,
    WhenOffered,
    Required,
}

/// Why a send did not get an SMTP answer, or got a refusal.
#[derive(Debug)]
pub enum SmtpFailure {
    /// The TCP connection could not be opened, or a step took longer than
    /// the timeout.
    Connect(String),
    /// lettre's error: a reply code, a dropped connection, TLS, a timeout.
    Smtp(lettre::transport::smtp::Error),
}

impl std::fmt::Display for SmtpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SmtpFailure::Connect(detail) => write!(f, "connection failed: {detail}"),
            SmtpFailure::Smtp(e) => write!(f, "{e}"),
        }
    }
}

impl From<lettre::transport::smtp::Error> for SmtpFailure {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        SmtpFailure::Smtp(e)
    }
}

struct Idle {
    connection: AsyncSmtpConnection,
    since: Instant,
}

pub struct SmtpPool {
    host: String,
    port: u16,
    starttls: StartTls,
    tls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
    max_idle: usize,
    idle: Mutex<Vec<Idle>>,
}

pub struct SmtpPoolSettings {
    pub host: String,
    pub port: u16,
    pub starttls: StartTls,
    pub tls: Option<TlsParameters>,
    pub credentials: Option<Credentials>,
    pub timeout: Duration,
    pub max_idle: usize,
}

impl SmtpPool {
    pub fn new(settings: SmtpPoolSettings) -> SmtpPool {
        SmtpPool {
            host: settings.host,
            port: settings.port,
            starttls: settings.starttls,
            tls: settings.tls,
            credentials: settings.credentials,
            hello: ClientId::default(),
            timeout: settings.timeout,
            max_idle: settings.max_idle,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// One send on a kept connection, or a new one. The connection goes
    /// back to the pool only after a clean answer.
    pub async fn send(&self, envelope: &Envelope, email: &[u8]) -> Result<Response, SmtpFailure> {
        let mut connection = match self.checkout().await {
            Some(connection) => connection,
            None => self.connect().await?,
        };
        let sent = tokio::time::timeout(self.timeout, connection.send(envelope, email)).await;
        match sent {
            Ok(Ok(response)) if !connection.has_broken() => {
                self.checkin(connection);
                Ok(response)
            }
            Ok(result) => {
                close(connection).await;
                Ok(result?)
            }
            // Dropping the connection closes it: after a timeout the
            // dialogue's state is unknown, so QUIT would be a guess.
            Err(_) => Err(SmtpFailure::Connect(
                "no SMTP answer within the timeout".into(),
            )),
        }
    }

    async fn checkout(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let idle = self.lock_idle().pop()?;
            let waited = idle.since.elapsed();
            let mut connection = idle.connection;
            if waited > IDLE_TIMEOUT {
                close(connection).await;
                continue;
            }
            if waited <= PROBE_AFTER {
                return Some(connection);
            }
            let probe = tokio::time::timeout(SHORT_EXCHANGE, connection.test_connected()).await;
            if probe == Ok(true) {
                return Some(connection);
            }
            close(connection).await;
        }
    }

    fn checkin(&self, connection: AsyncSmtpConnection) {
        let mut idle = self.lock_idle();
        if idle.len() < self.max_idle {
            idle.push(Idle {
                connection,
                since: Instant::now(),
            });
        }
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        // A panic while holding the lock leaves a plain Vec behind: still usable.
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SmtpFailure> {
        let address = (self.host.as_str(), self.port);
        let stream = match tokio::time::timeout(self.timeout, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return Err(SmtpFailure::Connect(e.to_string())),
            Err(_) => return Err(SmtpFailure::Connect("connection timed out".into())),
        };
        // The reason this pool exists; see the module comment.
        stream
            .set_nodelay(true)
            .map_err(|e| SmtpFailure::Connect(e.to_string()))?;
        let dialogue = async {
            let mut connection =
                AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await?;
            if let Some(tls) = &self.tls {
                let offered = connection.can_starttls();
                if offered || self.starttls == StartTls::Required {
                    // Not offered but required: lettre answers with an error.
                    connection.starttls(tls.clone(), &self.hello).await?;
                }
            }
            if let Some(credentials) = &self.credentials {
                connection.auth(DEFAULT_MECHANISMS, credentials).await?;
            }
            Ok::<_, SmtpFailure>(connection)
        };
        match tokio::time::timeout(self.timeout, dialogue).await {
            Ok(result) => result,
            Err(_) => Err(SmtpFailure::Connect(
                "no SMTP greeting within the timeout".into(),
            )),
        }
    }
}

/// QUIT and close, bounded; past the bound, dropping closes the socket.
async fn close(mut connection: AsyncSmtpConnection) {
    let _ = tokio::time::timeout(SHORT_EXCHANGE, connection.abort()).await;
}
