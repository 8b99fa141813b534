/// A queue name as Zaqar accepts it: `^[a-zA-Z0-9_\-.]+$`, at most 64 chars.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueueName(String);

pub const MAX_QUEUE_NAME_LEN: usize = 64;

impl QueueName {
    pub fn parse(raw: &str) -> Option<QueueName> {
        let ok = !raw.is_empty()
            && raw.len() <= MAX_QUEUE_NAME_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        ok.then(|| QueueName(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for QueueName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_zaqar_names_only() {
        for good in ["a", "fizbit", "my-queue_1.v2", &"x".repeat(64)] {
            assert!(QueueName::parse(good).is_some(), "{good}");
        }
        for bad in [
            "",
            "has space",
            "slash/",
            "ümlaut",
            "a%20b",
            &"x".repeat(65),
        ] {
            assert!(QueueName::parse(bad).is_none(), "{bad}");
        }
    }
}
