//! HTTP status → verdict, `Retry-After` parsing, bounded body excerpt.
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;

use super::RESPONSE_EXCERPT_BYTES;
use crate::drivers::{AttemptOutcome, Verdict};

/// A peer may not push a retry sooner than 1 s or later than 1 h: beyond
/// that the retry schedule, not the peer, decides.
pub const MIN_RETRY_AFTER: Duration = Duration::from_secs(1);
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

pub async fn response(mut response: reqwest::Response) -> AttemptOutcome {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    let excerpt = read_excerpt(&mut response).await;
    let verdict = verdict(status, retry_after);
    let mut detail = format!("HTTP {}", status.as_u16());
    if status.is_redirection() {
        detail.push_str(": redirects are not followed");
    }
    if !excerpt.is_empty() {
        detail.push_str(": ");
        detail.push_str(&excerpt);
    }
    AttemptOutcome {
        verdict,
        code: Some(i32::from(status.as_u16())),
        detail,
        duration: Duration::ZERO,
    }
}

/// 2xx delivered; 408, 429 and 5xx worth retrying (429 and 503 with the
/// peer's hint); everything else (3xx, other 4xx, 1xx) will not improve.
pub fn verdict(status: StatusCode, retry_after: Option<Duration>) -> Verdict {
    let code = status.as_u16();
    match code {
        200..=299 => Verdict::Delivered,
        408 | 429 | 500..=599 => Verdict::Transient {
            retry_after: if code == 429 || code == 503 {
                retry_after
            } else {
                None
            },
        },
        _ => Verdict::Permanent,
    }
}

/// `Retry-After` as delay-seconds or an HTTP-date, clamped to
/// [MIN_RETRY_AFTER, MAX_RETRY_AFTER]. Unparseable → `None`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at = httpdate::parse_http_date(value).ok()?;
            at.duration_since(now).unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.clamp(MIN_RETRY_AFTER, MAX_RETRY_AFTER))
}

/// Reads at most RESPONSE_EXCERPT_BYTES of the body, chunk by chunk, so a
/// huge or endless response cannot exhaust memory; a read error just ends
/// the excerpt (the status already decided the verdict).
async fn read_excerpt(response: &mut reqwest::Response) -> String {
    let mut buf = Vec::new();
    while buf.len() < RESPONSE_EXCERPT_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = RESPONSE_EXCERPT_BYTES - buf.len();
                buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&buf);
    text.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_table() {
        let s = |c: u16| StatusCode::from_u16(c).unwrap();
        let hint = Some(Duration::from_secs(7));
        let transient = |r| Verdict::Transient { retry_after: r };
        let cases = [
            (200, Verdict::Delivered),
            (204, Verdict::Delivered),
            (299, Verdict::Delivered),
            (301, Verdict::Permanent),
            (302, Verdict::Permanent),
            (400, Verdict::Permanent),
            (401, Verdict::Permanent),
            (404, Verdict::Permanent),
            (410, Verdict::Permanent),
            (408, transient(None)),
            (429, transient(hint)),
            (500, transient(None)),
            (502, transient(None)),
            (503, transient(hint)),
            (599, transient(None)),
        ];
        for (code, want) in cases {
            assert_eq!(verdict(s(code), hint), want, "{code}");
        }
    }

    #[test]
    fn retry_after_forms_and_bounds() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        let p = |v: &str| parse_retry_after(v, now);
        assert_eq!(p("120"), Some(Duration::from_secs(120)));
        assert_eq!(p(" 0 "), Some(MIN_RETRY_AFTER));
        assert_eq!(p("999999"), Some(MAX_RETRY_AFTER));
        assert_eq!(
            p("Sun, 06 Nov 1994 08:50:37 GMT"),
            Some(Duration::from_secs(60))
        );
        assert_eq!(p("Sun, 06 Nov 1994 08:00:00 GMT"), Some(MIN_RETRY_AFTER));
        assert_eq!(p("Mon, 07 Nov 1994 08:49:37 GMT"), Some(MAX_RETRY_AFTER));
        assert_eq!(p("soon"), None);
        assert_eq!(p("-5"), None);
    }
}
