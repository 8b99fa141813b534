//! The in-memory request limits (governor): requests per second per
//! project, and requests per client IP on the public pages (the links in
//! emails). Each node counts on its own; the per-address confirmation cap,
//! which must hold across nodes and restarts, lives in the database
//! (`confirmation_cap`).
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// How often (in checks) idle keys are dropped, so a flood of made-up
/// project names or addresses cannot grow the tables without bound.
const RETAIN_EVERY: u64 = 4096;

/// One keyed limit.
pub struct KeyedLimit {
    limiter: DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
}

impl KeyedLimit {
    /// `per_second` cells replenish each second, up to `burst`; None when
    /// the rate is 0 (no limit).
    pub fn new(per_second: f64, burst: u32) -> Option<KeyedLimit> {
        if per_second <= 0.0 || !per_second.is_finite() {
            return None;
        }
        let period = Duration::from_secs_f64(1.0 / per_second);
        let burst = NonZeroU32::new(burst.max(1))?;
        let quota = Quota::with_period(period)?.allow_burst(burst);
        Some(KeyedLimit {
            limiter: RateLimiter::keyed(quota),
            checks: AtomicU64::new(0),
        })
    }

    /// Ok, or the whole seconds to wait (at least 1) before `key` may go on.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % RETAIN_EVERY == RETAIN_EVERY - 1 {
            self.limiter.retain_recent();
        }
        let key = key.to_string();
        self.limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }
}

/// The limits a server enforces in memory.
pub struct AbuseLimits {
    pub per_project: Option<KeyedLimit>,
    pub per_page_client: Option<KeyedLimit>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_refusals_with_a_wait() {
        let limit = KeyedLimit::new(0.01, 3).unwrap();
        for _ in 0..3 {
            assert_eq!(limit.check("p1"), Ok(()));
        }
        let wait = limit.check("p1").unwrap_err();
        assert!((90..=100).contains(&wait), "{wait}");
        // Keys are counted apart.
        assert_eq!(limit.check("p2"), Ok(()));
        assert!(KeyedLimit::new(0.0, 10).is_none());
    }
}
