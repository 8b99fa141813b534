//! Queue and topic names. Zaqar keeps topics in a namespace of their own:
//! a topic and a queue of the same name are two resources. tidings stores a
//! topic as a queue row (messages, subscriptions, deliveries and the outbox
//! are shared) under the key `topic:NAME`. `:` is not allowed in a queue
//! name, so no queue key can ever equal a topic key.

/// Zaqar's rule for both: `^[a-zA-Z0-9_\-.]+$`, at most 64 chars.
pub const MAX_QUEUE_NAME_LEN: usize = 64;

/// What the stored key of a topic starts with.
pub const TOPIC_KEY_PREFIX: &str = "topic:";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Namespace {
    Queue,
    Topic,
}

impl Namespace {
    /// The path segment after `/v2/`: `queues` or `topics`.
    pub fn collection(self) -> &'static str {
        match self {
            Namespace::Queue => "queues",
            Namespace::Topic => "topics",
        }
    }

    /// `Queue` or `Topic`, as Zaqar's error texts start.
    pub fn title(self) -> &'static str {
        match self {
            Namespace::Queue => "Queue",
            Namespace::Topic => "Topic",
        }
    }

    /// `queue` or `topic`, for texts that name the kind mid-sentence.
    pub fn word(self) -> &'static str {
        match self {
            Namespace::Queue => "queue",
            Namespace::Topic => "topic",
        }
    }

    /// The namespace a request path is in (`/v2/topics/...` or anything else).
    pub fn of_path(path: &str) -> Namespace {
        if path == "/v2/topics" || path.starts_with("/v2/topics/") {
            Namespace::Topic
        } else {
            Namespace::Queue
        }
    }
}

/// A queue or topic name, valid by Zaqar's rule, with its namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueueName {
    /// The stored key: the name for a queue, `topic:NAME` for a topic.
    key: String,
    namespace: Namespace,
}

fn valid(raw: &str) -> bool {
    !raw.is_empty()
        && raw.len() <= MAX_QUEUE_NAME_LEN
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

impl QueueName {
    /// A queue name.
    pub fn parse(raw: &str) -> Option<QueueName> {
        QueueName::parse_in(Namespace::Queue, raw)
    }

    /// A topic name.
    pub fn parse_topic(raw: &str) -> Option<QueueName> {
        QueueName::parse_in(Namespace::Topic, raw)
    }

    pub fn parse_in(namespace: Namespace, raw: &str) -> Option<QueueName> {
        if !valid(raw) {
            return None;
        }
        let key = match namespace {
            Namespace::Queue => raw.to_string(),
            Namespace::Topic => format!("{TOPIC_KEY_PREFIX}{raw}"),
        };
        Some(QueueName { key, namespace })
    }

    /// The name behind a stored key (read back from a row).
    pub fn from_key(key: &str) -> Option<QueueName> {
        match key.strip_prefix(TOPIC_KEY_PREFIX) {
            Some(topic) => QueueName::parse_topic(topic),
            None => QueueName::parse(key),
        }
    }

    /// The stored key: what rows hold in their queue column.
    pub fn as_str(&self) -> &str {
        &self.key
    }

    /// The name as the client spelled it, without the namespace.
    pub fn name(&self) -> &str {
        match self.namespace {
            Namespace::Queue => &self.key,
            Namespace::Topic => &self.key[TOPIC_KEY_PREFIX.len()..],
        }
    }

    pub fn namespace(&self) -> Namespace {
        self.namespace
    }

    pub fn is_topic(&self) -> bool {
        self.namespace == Namespace::Topic
    }

    /// `/v2/queues/NAME` or `/v2/topics/NAME`.
    pub fn href(&self) -> String {
        format!("/v2/{}/{}", self.namespace.collection(), self.name())
    }
}

/// The client's name for a stored key (`topic:t1` is `t1`).
pub fn display_name(key: &str) -> &str {
    key.strip_prefix(TOPIC_KEY_PREFIX).unwrap_or(key)
}

/// `/v2/queues/NAME` or `/v2/topics/NAME` for a stored key.
pub fn key_href(key: &str) -> String {
    match key.strip_prefix(TOPIC_KEY_PREFIX) {
        Some(topic) => format!("/v2/topics/{topic}"),
        None => format!("/v2/queues/{key}"),
    }
}

impl std::fmt::Display for QueueName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_zaqar_names_only() {
        for good in ["a", "fizbit", "my-queue_1.v2", &"x".repeat(64)] {
            assert!(QueueName::parse(good).is_some(), "{good}");
            assert!(QueueName::parse_topic(good).is_some(), "{good}");
        }
        for bad in [
            "",
            "has space",
            "slash/",
            "ümlaut",
            "a%20b",
            "topic:t1",
            &"x".repeat(65),
        ] {
            assert!(QueueName::parse(bad).is_none(), "{bad}");
            assert!(QueueName::parse_topic(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn topics_and_queues_do_not_collide() {
        let queue = QueueName::parse("t1").unwrap();
        let topic = QueueName::parse_topic("t1").unwrap();
        assert_ne!(queue.as_str(), topic.as_str());
        assert_eq!(topic.name(), "t1");
        assert_eq!(topic.to_string(), "t1");
        assert_eq!(topic.href(), "/v2/topics/t1");
        assert_eq!(queue.href(), "/v2/queues/t1");
        assert_eq!(QueueName::from_key(topic.as_str()), Some(topic.clone()));
        assert_eq!(QueueName::from_key("t1"), Some(queue));
        assert_eq!(display_name(topic.as_str()), "t1");
        assert_eq!(key_href(topic.as_str()), "/v2/topics/t1");
    }
}
