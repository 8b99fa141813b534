//! ISO 8601 timestamps as a Zaqar client may send them in `/share`'s
//! `expires` (Zaqar parses with oslo's `parse_isotime`): a date, optionally
//! a time with optional seconds and fraction, optionally `Z` or an offset.

use super::signed_url::{days_from_civil, format_expires};

fn digits(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// `YYYY-MM-DD` as days since the epoch, refusing dates like Feb 30.
fn date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(&s[0..4])?, digits(&s[5..7])?, digits(&s[8..10])?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    format_expires(days * 86_400_000)
        .starts_with(s)
        .then_some(days)
}

/// `Z`, `+HH`, `+HH:MM` or `+HHMM` (and `-`) as seconds east of UTC.
fn offset(s: &str) -> Option<i64> {
    if s.is_empty() || s.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = match s.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = s[1..].replace(':', "");
    let (h, m) = match rest.len() {
        2 => (digits(&rest)?, 0),
        4 => (digits(&rest[..2])?, digits(&rest[2..])?),
        _ => return None,
    };
    (h <= 23 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

/// `HH:MM[:SS[.fraction]]` followed by an optional zone, as seconds since
/// midnight UTC-adjusted.
fn time(s: &str) -> Option<i64> {
    let zone_at = s.find(['Z', 'z', '+', '-']).unwrap_or(s.len());
    let (clock, zone) = s.split_at(zone_at);
    let clock = clock.split('.').next()?;
    let mut parts = clock.split(':');
    let h = digits(parts.next()?)?;
    let m = digits(parts.next()?)?;
    let sec = match parts.next() {
        None => 0,
        Some(p) => digits(p)?,
    };
    if parts.next().is_some() || h > 23 || m > 59 || sec > 59 {
        return None;
    }
    Some(h * 3600 + m * 60 + sec - offset(zone)?)
}

/// Epoch milliseconds (UTC) for an ISO 8601 timestamp, or None.
pub fn parse_iso8601(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let (day, rest) = (raw.get(..10)?, &raw[10..]);
    let days = date(day)?;
    let secs = match rest.chars().next() {
        None => 0,
        Some('T' | 't' | ' ') => time(&rest[1..])?,
        Some(_) => return None,
    };
    Some((days * 86_400 + secs) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_oslo_parse_isotime_accepts() {
        let want = parse_iso8601("2099-01-01T12:30:00").unwrap();
        for same in [
            "2099-01-01T12:30:00Z",
            "2099-01-01T12:30",
            "2099-01-01 12:30:00",
            "2099-01-01T12:30:00.123456",
            "2099-01-01T14:30:00+02:00",
            "2099-01-01T10:00:00-0230",
            "2099-01-01T13:30:00+01",
        ] {
            assert_eq!(parse_iso8601(same), Some(want), "{same}");
        }
        assert_eq!(
            parse_iso8601("2099-01-01"),
            Some(want - (12 * 3600 + 30 * 60) * 1000)
        );
        for bad in [
            "tomorrow",
            "12345",
            "2099-02-30T00:00:00",
            "2099-01-01T25:00:00",
            "2099-01-01X12:00:00",
            "2099-01-01T12:00:00+5",
            "",
        ] {
            assert!(parse_iso8601(bad).is_none(), "{bad}");
        }
    }
}
