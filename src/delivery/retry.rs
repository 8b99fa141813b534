//! Placeholder retry schedule (replaced by the full Zaqar policy module).
use std::time::Duration;

use serde_json::Value;

pub struct Schedule {
    delays: Vec<Duration>,
}

pub fn effective_policy(_queue: Option<&Value>, _subscription: Option<&Value>) -> Schedule {
    Schedule {
        delays: [0u64, 5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800]
            .iter()
            .map(|s| Duration::from_secs(*s))
            .collect(),
    }
}

pub fn delay_before_attempt(
    schedule: &Schedule,
    attempts_made: u32,
    _rng: &mut impl rand::Rng,
) -> Option<Duration> {
    schedule.delays.get(attempts_made as usize).copied()
}
