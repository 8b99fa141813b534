//! Broker answers and client errors → `AttemptOutcome`. Pure, so the table
//! is unit-tested without a broker.
use std::time::Duration;

use lapin::message::BasicReturnMessage;
use lapin::{Confirmation, ErrorKind};

use crate::drivers::{AttemptOutcome, Verdict};

/// AMQP reply codes that name a mistake only a person can fix: retrying on
/// the schedule would fail the same way for hours.
/// 311 CONTENT_TOO_LARGE, 403 ACCESS_REFUSED (credentials, permissions),
/// 404 NOT_FOUND, 406 PRECONDITION_FAILED (an exchange of another type),
/// 530 NOT_ALLOWED (no such vhost, or no access to it).
const NEEDS_A_PERSON: [u16; 5] = [311, 403, 404, 406, 530];

fn outcome(verdict: Verdict, code: Option<u16>, detail: String) -> AttemptOutcome {
    AttemptOutcome {
        verdict,
        code: code.map(i32::from),
        detail,
        duration: Duration::ZERO,
    }
}

fn transient(code: Option<u16>, detail: String) -> AttemptOutcome {
    outcome(Verdict::Transient { retry_after: None }, code, detail)
}

/// What the broker's answer to one publish (with confirms and `mandatory`)
/// means. `require_route`: whether a message no queue received counts as
/// failed (`options.require_route`); either way the detail says so.
pub fn confirmation(
    confirmation: Confirmation,
    exchange: &str,
    routing_key: &str,
    require_route: bool,
) -> AttemptOutcome {
    match confirmation {
        Confirmation::Ack(None) => outcome(
            Verdict::Delivered,
            None,
            format!(
                "confirmed by the broker: routed by exchange {exchange:?} with key {routing_key:?}"
            ),
        ),
        Confirmation::Ack(Some(returned)) => {
            unroutable(&returned, exchange, routing_key, require_route)
        }
        Confirmation::Nack(returned) => {
            let code = returned.as_ref().map(|r| r.reply_code);
            transient(
                code,
                format!(
                    "nacked by the broker (exchange {exchange:?}, key {routing_key:?}): it could not take the message"
                ),
            )
        }
        // Every channel is put in confirm mode before use; this would be a bug.
        Confirmation::NotRequested => transient(
            None,
            "published without a publisher confirm; not counted as delivered".into(),
        ),
    }
}

fn unroutable(
    returned: &BasicReturnMessage,
    exchange: &str,
    routing_key: &str,
    require_route: bool,
) -> AttemptOutcome {
    let why = format!(
        "unroutable: no queue is bound to exchange {exchange:?} for key {routing_key:?} (broker returned {} {})",
        returned.reply_code, returned.reply_text
    );
    if require_route {
        transient(
            Some(returned.reply_code),
            format!("{why}; options.require_route is true, so this is a failed attempt"),
        )
    } else {
        outcome(
            Verdict::Delivered,
            Some(returned.reply_code),
            format!("confirmed by the broker but {why}; the broker dropped it (set options.require_route to retry instead)"),
        )
    }
}

/// A client or broker error on the way (connect, declare, publish, confirm).
/// `stage` says which step failed, for the delivery log.
pub fn error(stage: &str, err: &lapin::Error) -> AttemptOutcome {
    match err.kind() {
        ErrorKind::ProtocolError(amqp) => {
            let code = amqp.get_id();
            let detail = format!("{stage}: broker said {} {}", code, amqp.get_message());
            if NEEDS_A_PERSON.contains(&code) {
                outcome(Verdict::Permanent, Some(code), detail)
            } else {
                transient(Some(code), detail)
            }
        }
        ErrorKind::IOError(io) => {
            let what = match io.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
                std::io::ErrorKind::ConnectionReset => "connection reset".to_string(),
                std::io::ErrorKind::ConnectionAborted => "connection aborted".to_string(),
                std::io::ErrorKind::BrokenPipe => "connection broken".to_string(),
                std::io::ErrorKind::UnexpectedEof => "connection closed by the broker".to_string(),
                _ => format!("connection failed: {io}"),
            };
            transient(None, format!("{stage}: {what}"))
        }
        ErrorKind::InvalidConnectionState(state) => transient(
            None,
            format!("{stage}: the broker connection is {state:?} (it was lost; reconnecting)"),
        ),
        ErrorKind::InvalidChannelState(state, _) => transient(
            None,
            format!("{stage}: the channel is {state:?} (it was closed; reopening)"),
        ),
        ErrorKind::MissingHeartbeatError => transient(
            None,
            format!("{stage}: the broker stopped sending heartbeats"),
        ),
        ErrorKind::InvalidProtocolVersion(_) => outcome(
            Verdict::Permanent,
            None,
            format!("{stage}: the peer does not speak AMQP 0-9-1"),
        ),
        other => transient(None, format!("{stage}: {other:?}")),
    }
}

/// A failed connect. On an `amqps://` broker a TLS failure (rustls reports
/// it as invalid data) gets words an operator can act on: the usual causes
/// are a plain AMQP port and a certificate the system does not trust.
pub fn connect_error(err: &lapin::Error, tls: bool, port: u16) -> AttemptOutcome {
    let stage = "connecting";
    let ErrorKind::IOError(io) = err.kind() else {
        return error(stage, err);
    };
    if !tls || io.kind() != std::io::ErrorKind::InvalidData {
        return error(stage, err);
    }
    let text = io.to_string();
    let hint = if text.contains("certificate") {
        "the broker's certificate must chain to a CA in the system trust store \
         (or in the file named by SSL_CERT_FILE) and name the host in the URI"
            .to_string()
    } else {
        format!(
            "is port {port} a TLS listener? amqps:// needs the broker's TLS port \
             (5671 by default); plain amqp:// uses 5672"
        )
    };
    transient(
        None,
        format!("{stage}: TLS handshake failed: {text}; {hint}"),
    )
}

pub fn timed_out(stage: &str, after: Duration) -> AttemptOutcome {
    transient(
        None,
        format!("{stage}: no answer from the broker within {after:?}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use lapin::protocol::{AMQPError, AMQPErrorKind, AMQPHardError, AMQPSoftError};

    fn protocol(kind: AMQPErrorKind, text: &str) -> lapin::Error {
        lapin::Error::from(ErrorKind::ProtocolError(AMQPError::new(kind, text.into())))
    }

    #[test]
    fn plain_ack_is_delivered() {
        let o = confirmation(Confirmation::Ack(None), "pulp", "repo.sync.finish", false);
        assert_eq!(o.verdict, Verdict::Delivered);
        assert!(o.detail.contains("routed"), "{}", o.detail);
    }

    #[test]
    fn nack_is_retried() {
        let o = confirmation(Confirmation::Nack(None), "pulp", "k", false);
        assert!(matches!(o.verdict, Verdict::Transient { .. }));
        assert!(o.detail.contains("nacked"));
    }

    #[test]
    fn protocol_errors_split_by_who_can_fix_them() {
        let mismatch = protocol(
            AMQPErrorKind::Soft(AMQPSoftError::PRECONDITIONFAILED),
            "PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'pulp'",
        );
        let o = error("declaring exchange \"pulp\"", &mismatch);
        assert_eq!(o.verdict, Verdict::Permanent);
        assert_eq!(o.code, Some(406));
        assert!(o.detail.contains("inequivalent arg 'type'"), "{}", o.detail);

        let refused = protocol(
            AMQPErrorKind::Soft(AMQPSoftError::ACCESSREFUSED),
            "ACCESS_REFUSED",
        );
        assert_eq!(error("connecting", &refused).verdict, Verdict::Permanent);
        let vhost = protocol(
            AMQPErrorKind::Hard(AMQPHardError::NOTALLOWED),
            "vhost nope not found",
        );
        assert_eq!(error("connecting", &vhost).code, Some(530));
        assert_eq!(error("connecting", &vhost).verdict, Verdict::Permanent);

        let shutdown = protocol(
            AMQPErrorKind::Hard(AMQPHardError::CONNECTIONFORCED),
            "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'",
        );
        let o = error("publishing", &shutdown);
        assert!(matches!(o.verdict, Verdict::Transient { .. }));
        assert_eq!(o.code, Some(320));
    }

    #[test]
    fn tls_failures_say_what_to_check() {
        let tls = |text: &str| -> lapin::Error {
            std::io::Error::new(std::io::ErrorKind::InvalidData, text.to_string()).into()
        };
        let plain = connect_error(
            &tls("received corrupt message of type InvalidContentType"),
            true,
            5672,
        );
        assert!(matches!(plain.verdict, Verdict::Transient { .. }));
        assert!(
            plain
                .detail
                .starts_with("connecting: TLS handshake failed: received corrupt message"),
            "{}",
            plain.detail
        );
        assert!(
            plain.detail.contains("is port 5672 a TLS listener?"),
            "{}",
            plain.detail
        );
        let cert = connect_error(&tls("invalid peer certificate: UnknownIssuer"), true, 5671);
        assert!(cert.detail.contains("UnknownIssuer"), "{}", cert.detail);
        assert!(
            cert.detail.contains("system trust store"),
            "{}",
            cert.detail
        );
        // Without TLS the same error is an ordinary connection failure.
        let o = connect_error(&tls("bad frame"), false, 5672);
        assert_eq!(o.detail, "connecting: connection failed: bad frame");
    }

    #[test]
    fn io_errors_are_retried() {
        let refused: lapin::Error =
            std::io::Error::from(std::io::ErrorKind::ConnectionRefused).into();
        let o = error("connecting", &refused);
        assert!(matches!(o.verdict, Verdict::Transient { .. }));
        assert_eq!(o.detail, "connecting: connection refused");
        let o = timed_out("waiting for the confirm", Duration::from_secs(15));
        assert!(matches!(o.verdict, Verdict::Transient { .. }));
    }
}
