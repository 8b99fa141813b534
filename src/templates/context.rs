//! Typed contexts, one per template, so a caller cannot misspell a key.
//! Addresses shown on pages are masked by the caller (`mask_address`).
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ConfirmEmail {
    pub queue: String,
    pub project: String,
    pub confirm_url: String,
    /// Human-readable expiry of the link, e.g. `2026-11-24 15:00 UTC`.
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnsubscribedEmail {
    pub queue: String,
    pub project: String,
    pub resubscribe_url: Option<String>,
}

/// An alert subscription's "occurred" or "resolved".
#[derive(Debug, Clone, Serialize)]
pub struct AlertEmail {
    pub queue: String,
    pub project: String,
    /// `occurred` or `resolved`.
    pub kind: String,
    /// `warning` or `error`.
    pub state: String,
    /// `WARNING` or `ERROR`.
    pub state_label: String,
    pub element: String,
    pub level: Option<String>,
    /// When the element entered the state now reported, e.g. `2026-11-24 15:00:00 UTC`.
    pub since: Option<String>,
    /// The state report, already pretty-printed.
    pub report: String,
    pub unsubscribe_url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfirmPage {
    pub queue: String,
    pub project: Option<String>,
    /// Masked address.
    pub address: String,
    /// Where the form POSTs: the page's own URL.
    pub action_url: String,
    /// Sent back as the hidden field `confirm_token`, when given.
    pub token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfirmedPage {
    pub queue: String,
    pub address: Option<String>,
    pub unsubscribe_url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnsubscribePage {
    pub queue: String,
    pub project: Option<String>,
    /// Masked address.
    pub address: String,
    pub action_url: String,
    /// Sent back as the hidden field `token`, when given.
    pub token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnsubscribedPage {
    pub queue: String,
    pub address: Option<String>,
    pub resubscribe_url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorPage {
    pub title: String,
    pub message: String,
}
