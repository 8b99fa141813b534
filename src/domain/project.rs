/// The tenant every read and write is scoped to (`X-Project-ID`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProjectId(String);

pub const MAX_PROJECT_ID_LEN: usize = 256;

impl ProjectId {
    /// Non-empty and at most 256 characters, as Zaqar's queue-identification
    /// check demands.
    pub fn parse(raw: &str) -> Option<ProjectId> {
        (!raw.is_empty() && raw.chars().count() <= MAX_PROJECT_ID_LEN)
            .then(|| ProjectId(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ProjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
