//! The retry schedule: which delay precedes the next attempt of a delivery.
//!
//! Pure data and functions, no I/O and no clock: the worker passes in how many
//! attempts were made (and the driver's `Retry-After` hint) and gets back how
//! long to wait, or `None` when the schedule is exhausted (dead letter).
//!
//! Two sources of schedules:
//! - a Zaqar `_retry_policy` (queue metadata or subscription option), expanded
//!   exactly like Zaqar's `WebhookTask._retry_post` (zaqar/notification/tasks/
//!   webhook.py), without jitter so the sequence is what Zaqar users expect;
//! - otherwise [`DEFAULT_DELAYS`], spanning ~16 hours with ±20 % jitter, because
//!   a subscriber that is down for a deploy or a night should not lose mail.
use std::time::Duration;

use rand::Rng;
use serde_json::Value;

use crate::domain::retry_policy::{
    DEFAULT_MAXIMUM_DELAY, DEFAULT_MINIMUM_DELAY, LINEAR_INTERVAL, MAX_DELAY_SECS,
};

/// Zaqar defaults for the counts (zaqar/common/consts.py).
pub const DEFAULT_RETRIES_WITH_NO_DELAY: u32 = 3;
pub const DEFAULT_MINIMUM_DELAY_RETRIES: u32 = 3;
pub const DEFAULT_MAXIMUM_DELAY_RETRIES: u32 = 3;

/// Waits between attempts when no `_retry_policy` applies: after the first
/// (immediate) attempt fails, retry after 5 s, 30 s, 2 min, 10 min, 30 min,
/// 1 h, 2 h, 4 h and 8 h. Short waits first absorb blips; the long tail
/// (~15.8 h in total) outlasts an overnight outage before dead-lettering.
pub const DEFAULT_DELAYS: [u64; 9] = [5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800];
/// ±20 %: spreads retries of many deliveries to one recovering subscriber.
pub const DEFAULT_JITTER: f64 = 0.2;
/// A peer's `Retry-After` may push a retry later than the schedule, never
/// further than this (drivers bound it too; this keeps the function total).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backoff {
    Linear,
    Arithmetic,
    Exponential,
    Geometric,
}

/// A Zaqar `_retry_policy` with its defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZaqarPolicy {
    pub retries_with_no_delay: u32,
    pub minimum_delay_retries: u32,
    pub minimum_delay: u64,
    pub maximum_delay: u64,
    pub maximum_delay_retries: u32,
    pub backoff: Backoff,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryPolicy {
    /// No `_retry_policy` anywhere: tidings' long default schedule.
    Default,
    Zaqar(ZaqarPolicy),
}

/// Waits between consecutive attempts: `delays[i]` precedes attempt `i + 2`
/// (the first attempt is immediate). `jitter` is the relative spread.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub delays: Vec<Duration>,
    pub jitter: f64,
}

/// Which policy applies: the subscription's `options._retry_policy`, else the
/// queue's; `ignore_subscription_override: true` on either forces the queue's.
/// Like Zaqar (`sub or queue or {}`), an empty or null policy counts as absent.
/// Both absent gives [`RetryPolicy::Default`]. The JSON was validated when it
/// was stored (`domain::retry_policy::validate`); odd values fall back to the
/// defaults here rather than failing a delivery.
pub fn effective_policy(
    queue_policy: Option<&Value>,
    subscription_policy: Option<&Value>,
) -> RetryPolicy {
    let queue = non_empty(queue_policy);
    let sub = non_empty(subscription_policy);
    let forced = [queue, sub].iter().flatten().any(|m| {
        m.get("ignore_subscription_override")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    });
    let chosen = if forced { queue } else { sub.or(queue) };
    match chosen {
        Some(map) => RetryPolicy::Zaqar(ZaqarPolicy::from_map(map)),
        None => RetryPolicy::Default,
    }
}

fn non_empty(policy: Option<&Value>) -> Option<&serde_json::Map<String, Value>> {
    policy.and_then(Value::as_object).filter(|m| !m.is_empty())
}

impl ZaqarPolicy {
    fn from_map(map: &serde_json::Map<String, Value>) -> Self {
        let int = |key: &str, default: i64| -> i64 {
            map.get(key)
                .and_then(Value::as_i64)
                .filter(|n| *n >= 0)
                .unwrap_or(default)
        };
        let count = |key: &str, default: u32| -> u32 {
            u32::try_from(int(key, i64::from(default))).unwrap_or(default)
        };
        let backoff = match map.get("retry_backoff_function").and_then(Value::as_str) {
            Some("arithmetic") => Backoff::Arithmetic,
            Some("exponential") => Backoff::Exponential,
            Some("geometric") => Backoff::Geometric,
            _ => Backoff::Linear,
        };
        let delay = |key: &str, default: i64| int(key, default).min(MAX_DELAY_SECS).unsigned_abs();
        ZaqarPolicy {
            retries_with_no_delay: count("retries_with_no_delay", DEFAULT_RETRIES_WITH_NO_DELAY),
            minimum_delay_retries: count("minimum_delay_retries", DEFAULT_MINIMUM_DELAY_RETRIES),
            minimum_delay: delay("minimum_delay", DEFAULT_MINIMUM_DELAY),
            maximum_delay: delay("maximum_delay", DEFAULT_MAXIMUM_DELAY),
            maximum_delay_retries: count("maximum_delay_retries", DEFAULT_MAXIMUM_DELAY_RETRIES),
            backoff,
        }
    }

    /// Zaqar's four phases after the first attempt: immediate retries, retries
    /// after `minimum_delay`, one retry per backoff value, retries after
    /// `maximum_delay`.
    pub fn delays_secs(&self) -> Vec<u64> {
        let mut out = Vec::new();
        out.extend(std::iter::repeat_n(0, self.retries_with_no_delay as usize));
        out.extend(std::iter::repeat_n(
            self.minimum_delay,
            self.minimum_delay_retries as usize,
        ));
        out.extend(backoff_delays(
            self.backoff,
            self.minimum_delay,
            self.maximum_delay,
        ));
        out.extend(std::iter::repeat_n(
            self.maximum_delay,
            self.maximum_delay_retries as usize,
        ));
        out
    }
}

/// Zaqar's backoff functions with `times` = LINEAR_INTERVAL, mirroring its
/// float arithmetic and `int()` truncation so the sequences match exactly.
/// Where Zaqar would raise (min = 0 divides by zero; fewer than two steps
/// divides by zero) the phase is empty: Zaqar abandons the retries there, we
/// move on to the maximum-delay phase instead of dropping the delivery.
pub fn backoff_delays(backoff: Backoff, min: u64, max: u64) -> Vec<u64> {
    let times = LINEAR_INTERVAL.unsigned_abs();
    if backoff == Backoff::Linear {
        return (min..max).step_by(times as usize).collect();
    }
    let (minf, maxf) = (min as f64, max as f64);
    let x_max = max.saturating_sub(min) / times;
    if x_max < 2 || (min == 0 && backoff != Backoff::Arithmetic) {
        return Vec::new();
    }
    let xf = x_max as f64;
    let k = 10f64.powf((maxf / minf).log10() / (xf - 1.0));
    (1..=x_max)
        .map(|a| {
            let a = a as f64;
            let v = match backoff {
                Backoff::Geometric => minf * k.powf(a - 1.0),
                Backoff::Exponential => (minf / k) * k.powf(a),
                _ => {
                    let d = 2.0 * (maxf - minf) / (xf * (xf - 1.0));
                    minf + (a - 1.0) * a * d / 2.0
                }
            };
            // Python's int() truncates; the values are non-negative.
            v as u64
        })
        .collect()
}

impl RetryPolicy {
    pub fn schedule(&self) -> Schedule {
        match self {
            RetryPolicy::Default => Schedule {
                delays: DEFAULT_DELAYS
                    .iter()
                    .map(|s| Duration::from_secs(*s))
                    .collect(),
                jitter: DEFAULT_JITTER,
            },
            RetryPolicy::Zaqar(p) => Schedule {
                delays: p
                    .delays_secs()
                    .into_iter()
                    .map(Duration::from_secs)
                    .collect(),
                jitter: 0.0,
            },
        }
    }
}

impl Schedule {
    /// Attempts in total, the first included.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.delays.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1)
    }
}

/// How long to wait before the next attempt, given the attempts already made.
/// `attempts_made == 0` means the first attempt: no wait. `None`: exhausted.
pub fn delay_before_attempt(
    schedule: &Schedule,
    attempts_made: u32,
    rng: &mut impl Rng,
) -> Option<Duration> {
    if attempts_made == 0 {
        return Some(Duration::ZERO);
    }
    let base = *schedule.delays.get(attempts_made as usize - 1)?;
    if schedule.jitter <= 0.0 || base.is_zero() {
        return Some(base);
    }
    let factor = rng.gen_range((1.0 - schedule.jitter)..=(1.0 + schedule.jitter));
    Some(base.mul_f64(factor))
}

/// [`delay_before_attempt`] honouring the peer's `Retry-After`: it can push
/// the retry later (bounded by [`MAX_RETRY_AFTER`]), never earlier, and never
/// revives an exhausted schedule.
pub fn next_delay(
    schedule: &Schedule,
    attempts_made: u32,
    retry_after: Option<Duration>,
    rng: &mut impl Rng,
) -> Option<Duration> {
    let planned = delay_before_attempt(schedule, attempts_made, rng)?;
    let hint = retry_after.unwrap_or(Duration::ZERO).min(MAX_RETRY_AFTER);
    Some(planned.max(hint))
}

#[cfg(test)]
#[path = "retry_tests.rs"]
mod tests;
