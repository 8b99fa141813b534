//! What an API token may do. Roles are cumulative: each one can do all
//! that the ones before it can.
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Every GET: queues, messages, subscriptions, deliveries, routes.
    Reader,
    /// Also posting messages, claiming and deleting them.
    Publisher,
    /// Also creating, changing, confirming and deleting subscriptions,
    /// and redelivering failed deliveries.
    Subscriber,
    /// Also creating, changing, purging, sharing and deleting queues;
    /// with project `*`, the server-wide views (`/metrics`).
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Reader, Role::Publisher, Role::Subscriber, Role::Admin];

    pub fn parse(raw: &str) -> Option<Role> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "reader" => Some(Role::Reader),
            "publisher" => Some(Role::Publisher),
            "subscriber" => Some(Role::Subscriber),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Publisher => "publisher",
            Role::Subscriber => "subscriber",
            Role::Admin => "admin",
        }
    }

    /// True when a holder of `self` may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which projects a token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenScope {
    Project(super::ProjectId),
    /// `*`: every project (the request names one with `X-Project-Id`) and
    /// the server-wide views.
    AllProjects,
}

impl TokenScope {
    pub const ALL_PROJECTS: &'static str = "*";

    pub fn parse(raw: &str) -> Option<TokenScope> {
        let raw = raw.trim();
        if raw == Self::ALL_PROJECTS {
            return Some(TokenScope::AllProjects);
        }
        super::ProjectId::parse(raw).map(TokenScope::Project)
    }

    pub fn as_str(&self) -> &str {
        match self {
            TokenScope::Project(p) => p.as_str(),
            TokenScope::AllProjects => Self::ALL_PROJECTS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_parse_back() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert!(Role::Admin.allows(Role::Reader));
        assert!(Role::Subscriber.allows(Role::Publisher));
        assert!(!Role::Publisher.allows(Role::Subscriber));
        assert!(!Role::Reader.allows(Role::Publisher));
        assert_eq!(Role::parse("ADMIN"), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn scopes() {
        assert_eq!(TokenScope::parse("*"), Some(TokenScope::AllProjects));
        assert_eq!(TokenScope::parse("p1").unwrap().as_str(), "p1");
        assert_eq!(TokenScope::parse(""), None);
    }
}
