//! Waiting for deliveries, bounded twice: by a total timeout, and by an idle
//! time without any progress (a system that has stopped delivering will not
//! finish, so there is no point waiting out the whole timeout).
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub timeout: Duration,
    pub idle: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Complete,
    TimedOut,
    Idle,
}

/// Polls every 20 ms. `progress` returns (done, activity): `done` is compared
/// with `expected`; any change of `activity` (e.g. requests received,
/// duplicates included) resets the idle clock.
pub async fn until<F: FnMut() -> (u64, u64)>(
    expected: u64,
    since: Instant,
    bounds: Bounds,
    progress: F,
) -> Outcome {
    until_every(expected, since, bounds, Duration::from_millis(20), progress).await
}

/// `until`, polling every `poll` (for waits that must end as soon as the
/// last notification is in, such as W8's one message at a time).
pub async fn until_every<F: FnMut() -> (u64, u64)>(
    expected: u64,
    since: Instant,
    bounds: Bounds,
    poll: Duration,
    mut progress: F,
) -> Outcome {
    let mut last_activity = u64::MAX;
    let mut last_change = Instant::now();
    loop {
        let (done, activity) = progress();
        if done >= expected {
            return Outcome::Complete;
        }
        let now = Instant::now();
        if activity != last_activity {
            last_activity = activity;
            last_change = now;
        }
        if now.duration_since(since) > bounds.timeout {
            return Outcome::TimedOut;
        }
        if now.duration_since(last_change) > bounds.idle {
            return Outcome::Idle;
        }
        tokio::time::sleep(poll).await;
    }
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Complete => "complete",
            Outcome::TimedOut => "timeout",
            Outcome::Idle => "idle",
        }
    }
}
