//! The abuse limits, named for `/metrics` and logs.

/// Which limit a refusal came from (the `limit` label in `/metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    Project,
    Page,
    Confirmation,
}

impl LimitKind {
    pub const ALL: [LimitKind; 3] = [LimitKind::Project, LimitKind::Page, LimitKind::Confirmation];

    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Project => "project_requests",
            LimitKind::Page => "page_requests",
            LimitKind::Confirmation => "confirmation_emails",
        }
    }
}
