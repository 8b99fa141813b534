//! Zaqar's pre-signed URLs (zaqar/common/urls.py): the signature the
//! webhook confirmation payload carries and `/share` hands out.
//!
//! `hex(HMAC-SHA256(key, paths + SEP + methods + SEP + project + SEP + expires))`
//! where paths and methods are sorted and comma-joined, and SEP is the two
//! characters backslash and `n` (Zaqar formats with a raw string), not a
//! newline. `expires` is `%Y-%m-%dT%H:%M:%S` in UTC.
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

pub fn sign(
    key: &[u8],
    paths: &[String],
    methods: &[String],
    project: &str,
    expires: &str,
) -> String {
    let mut paths = paths.to_vec();
    paths.sort();
    let mut methods = methods.to_vec();
    methods.sort();
    let msg = format!(
        "{}\\n{}\\n{}\\n{}",
        paths.join(","),
        methods.join(","),
        project,
        expires
    );
    // HMAC accepts keys of any length; this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(msg.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Constant-time comparison of a presented signature with the expected one.
pub fn signature_matches(expected: &str, presented: &str) -> bool {
    expected.as_bytes().ct_eq(presented.as_bytes()).into()
}

/// `%Y-%m-%dT%H:%M:%S` (UTC) for epoch milliseconds.
pub fn format_expires(ms: i64) -> String {
    crate::clock::iso8601(ms).trim_end_matches('Z').to_string()
}

/// Parses `%Y-%m-%dT%H:%M:%S` into epoch milliseconds.
pub fn parse_expires(raw: &str) -> Option<i64> {
    let b = raw.as_bytes();
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = raw.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    let ms = ((days * 86_400) + hh * 3600 + mm * 60 + ss) * 1000;
    // Reject dates like Feb 30 that do not round-trip.
    (format_expires(ms) == raw).then_some(ms)
}

/// Howard Hinnant's civil-to-days algorithm (inverse of clock's).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed independently with:
    /// python3 -c 'import hmac,hashlib;print(hmac.new(b"test-secret",
    ///   r"/v2/queues/cap-b1/subscriptions/850fa9e6-9712-4ad0-a56d-90ece0e8c1a5/confirm\nPUT\np1\n2026-11-22T09:32:42".encode(),
    ///   hashlib.sha256).hexdigest())'
    #[test]
    fn signature_matches_zaqar() {
        let sig = sign(
            b"test-secret",
            &[
                "/v2/queues/cap-b1/subscriptions/850fa9e6-9712-4ad0-a56d-90ece0e8c1a5/confirm"
                    .into(),
            ],
            &["PUT".into()],
            "p1",
            "2026-11-22T09:32:42",
        );
        assert_eq!(sig, PYTHON_SIG);
        // Sorting: order of input lists does not matter.
        let a = sign(
            b"k",
            &["/b".into(), "/a".into()],
            &["PUT".into(), "GET".into()],
            "p",
            "x",
        );
        let b = sign(
            b"k",
            &["/a".into(), "/b".into()],
            &["GET".into(), "PUT".into()],
            "p",
            "x",
        );
        assert_eq!(a, b);
        assert!(signature_matches(&a, &b));
        assert!(!signature_matches(&a, &b[1..]));
    }

    const PYTHON_SIG: &str = "e4c22127650b9c24606ec59c5f0b99058a32c3e70297d3c6e3f8d5ad4d45bbac";

    #[test]
    fn expires_round_trip() {
        let ms = parse_expires("2026-11-22T09:32:42").unwrap();
        assert_eq!(format_expires(ms), "2026-11-22T09:32:42");
        assert_eq!(parse_expires("2000-02-29T00:00:00"), Some(951_782_400_000));
        for bad in [
            "2026-02-30T00:00:00",
            "2026-11-22 09:32:42",
            "1795336362",
            "2026-11-22T09:32:42Z",
        ] {
            assert!(parse_expires(bad).is_none(), "{bad}");
        }
    }
}
