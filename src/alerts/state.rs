//! The states an element can be in, ordered ok < warning < error.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    Ok,
    Warning,
    Error,
}

impl AlertState {
    pub const ALL: [AlertState; 3] = [AlertState::Ok, AlertState::Warning, AlertState::Error];

    /// Case-insensitive: monitors send `ERROR`, the seed says `Error`.
    pub fn parse(text: &str) -> Option<AlertState> {
        let text = text.trim();
        AlertState::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text))
    }

    /// The stored and wire form: `ok`, `warning`, `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Ok => "ok",
            AlertState::Warning => "warning",
            AlertState::Error => "error",
        }
    }

    /// The form used in email subjects: `ERROR occurred: shop/api/pay`.
    pub fn label(self) -> &'static str {
        match self {
            AlertState::Ok => "OK",
            AlertState::Warning => "WARNING",
            AlertState::Error => "ERROR",
        }
    }
}

impl std::fmt::Display for AlertState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an alert notification says about its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertKind {
    Occurred,
    Resolved,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Occurred => "occurred",
            AlertKind::Resolved => "resolved",
        }
    }

    pub fn parse(text: &str) -> Option<AlertKind> {
        match text {
            "occurred" => Some(AlertKind::Occurred),
            "resolved" => Some(AlertKind::Resolved),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_ignores_case_and_orders_states() {
        assert_eq!(AlertState::parse("Error"), Some(AlertState::Error));
        assert_eq!(AlertState::parse("WARNING"), Some(AlertState::Warning));
        assert_eq!(AlertState::parse(" ok "), Some(AlertState::Ok));
        assert_eq!(AlertState::parse("critical"), None);
        assert!(AlertState::Ok < AlertState::Warning);
        assert!(AlertState::Warning < AlertState::Error);
        assert_eq!(AlertState::Error.label(), "ERROR");
    }
}
