//! Zaqar's limits and defaults (zaqar-v2.md §2).
pub const MIN_MESSAGE_TTL: i64 = 60;
pub const MAX_MESSAGE_TTL: i64 = 1_209_600;
pub const DEFAULT_MESSAGE_TTL: i64 = 3600;
pub const MAX_MESSAGE_DELAY: i64 = 900;
pub const MAX_MESSAGES_POST_SIZE: i64 = 262_144;
pub const MAX_QUEUE_METADATA: u64 = 65_536;
pub const MIN_CLAIM_TTL: i64 = 60;
pub const MAX_CLAIM_TTL: i64 = 43_200;
pub const DEFAULT_CLAIM_TTL: i64 = 300;
pub const MIN_CLAIM_GRACE: i64 = 60;
pub const MAX_CLAIM_GRACE: i64 = 43_200;
pub const DEFAULT_CLAIM_GRACE: i64 = 60;
pub const MAX_MESSAGES_PER_CLAIM_OR_POP: i64 = 20;
pub const DEFAULT_CLAIM_LIMIT: i64 = 10;
pub const MAX_PER_PAGE: i64 = 20;
pub const DEFAULT_PER_PAGE: i64 = 10;
/// Largest request body read at all; every valid Zaqar body is smaller.
pub const MAX_REQUEST_BODY: usize = 1024 * 1024;
