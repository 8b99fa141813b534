//! Wall-clock time in microseconds since the Unix epoch.
//!
//! Wall clock, not `Instant`: the load generator stamps `t_us` into a message
//! body and the sink compares it with its own clock when the notification
//! arrives, and only the wall clock is shared by both ends.
use std::time::{SystemTime, UNIX_EPOCH};

pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}
