//! A suppressed address: why it receives nothing, and how addresses are
//! compared (the local part as written, the domain in any letter case,
//! since only the domain is case-insensitive by RFC 5321).
use std::fmt;

use super::email_address::EmailAddress;

/// Why an address is on a suppression list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressionReason {
    /// Put there by hand (the API).
    Manual,
    /// A permanent delivery failure (5.x.x), or too many temporary ones in
    /// a row.
    HardBounce,
    /// The recipient reported the mail as spam (an ARF complaint).
    Complaint,
    /// The recipient asked for no mail from this project at all.
    UnsubscribeAll,
}

impl SuppressionReason {
    pub const ALL: [SuppressionReason; 4] = [
        SuppressionReason::Manual,
        SuppressionReason::HardBounce,
        SuppressionReason::Complaint,
        SuppressionReason::UnsubscribeAll,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionReason::Manual => "manual",
            SuppressionReason::HardBounce => "hard_bounce",
            SuppressionReason::Complaint => "complaint",
            SuppressionReason::UnsubscribeAll => "unsubscribe_all",
        }
    }

    pub fn parse(raw: &str) -> Option<SuppressionReason> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

impl fmt::Display for SuppressionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which list an entry is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuppressionScope {
    /// One project's list.
    Project(String),
    /// The server-wide list, which every project honours.
    Server,
}

/// The project column of a server-wide entry: no project id can be `*`.
pub const SERVER_SCOPE: &str = "*";

impl SuppressionScope {
    pub fn column(&self) -> &str {
        match self {
            SuppressionScope::Project(p) => p,
            SuppressionScope::Server => SERVER_SCOPE,
        }
    }
}

/// The form an address is stored and compared in: the domain in lower
/// case, the local part as written.
pub fn suppression_key(address: &str) -> String {
    let address = address.trim();
    match address.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_ascii_lowercase()),
        None => address.to_string(),
    }
}

/// A valid address in its stored form.
pub fn parse_address(raw: &str) -> Result<String, String> {
    EmailAddress::parse(raw.trim()).map(|a| suppression_key(a.as_str()))
}

/// An address that must not be mailed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppressed {
    /// The address as the caller gave it.
    pub address: String,
    pub reason: SuppressionReason,
    /// True when the server-wide list holds it.
    pub server_wide: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_folds_local_part_does_not() {
        assert_eq!(suppression_key("Ann@Example.COM"), "Ann@example.com");
        assert_ne!(suppression_key("ann@x.org"), suppression_key("Ann@x.org"));
        assert_eq!(parse_address(" bob@X.org ").unwrap(), "bob@x.org");
        assert!(parse_address("not an address").is_err());
    }

    #[test]
    fn reasons_round_trip() {
        for r in SuppressionReason::ALL {
            assert_eq!(SuppressionReason::parse(r.as_str()), Some(r));
        }
        assert_eq!(SuppressionReason::parse("spam"), None);
    }
}
