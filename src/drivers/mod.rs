//! Task drivers (email, webhook, AMQP): the only code that talks to the outside world. Each driver
//! turns one delivery attempt into an `AttemptOutcome`; the delivery worker
//! records it and decides about retries. Drivers never sleep and never retry
//! on their own.
use std::time::Duration;

pub mod amqp;
pub mod email;
pub mod webhook;

/// The result of one attempt, whatever the channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptOutcome {
    pub verdict: Verdict,
    /// HTTP status or SMTP reply code, when the peer gave one.
    pub code: Option<i32>,
    /// A short, log-safe explanation: no secrets, tokens or full addresses.
    pub detail: String,
    /// How long the attempt took.
    pub duration: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Accepted by the peer.
    Delivered,
    /// Worth retrying later (connection error, timeout, 408, 429, 5xx,
    /// SMTP 4xx, sendmail non-zero exit). `retry_after` is the peer's hint
    /// (HTTP `Retry-After`), already bounded by the driver.
    Transient { retry_after: Option<Duration> },
    /// Retrying cannot help (other 4xx, SMTP 5xx, refused by the SSRF guard,
    /// malformed address).
    Permanent,
}

impl AttemptOutcome {
    pub fn outcome_label(&self) -> &'static str {
        match self.verdict {
            Verdict::Delivered => "delivered",
            Verdict::Transient { .. } => "transient_failure",
            Verdict::Permanent => "permanent_failure",
        }
    }
}
