//! In-process counters for `/metrics` (Prometheus text format). Gauges that
//! live in the database (due, in flight) are read at scrape time.
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::domain::abuse_limit::LimitKind;
use crate::store::deliveries::Backlog;

pub const CHANNELS: [&str; 3] = ["webhook", "email", "amqp"];
pub const OUTCOMES: [&str; 3] = ["delivered", "transient_failure", "permanent_failure"];
/// Attempt latency histogram bounds, in seconds.
pub const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 15.0];

#[derive(Default)]
pub struct Metrics {
    attempts: [[AtomicU64; 3]; 3],
    latency_buckets: [[AtomicU64; 10]; 3],
    latency_count: [AtomicU64; 3],
    latency_sum_micros: [AtomicU64; 3],
    pub messages_posted: AtomicU64,
    pub deliveries_skipped: AtomicU64,
    /// Active subscriptions a posted message was not for (routing).
    pub fanout_routed_out: AtomicU64,
    /// Refusals by each abuse limit, in `LimitKind::ALL` order.
    rate_limited: [AtomicU64; 3],
}

fn channel_index(channel: &str) -> usize {
    CHANNELS.iter().position(|c| *c == channel).unwrap_or(0)
}

impl Metrics {
    pub fn record_rate_limited(&self, kind: LimitKind) {
        let i = LimitKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        self.rate_limited[i].fetch_add(1, Ordering::Relaxed);
    }

    pub fn record_attempt(&self, channel: &str, outcome: &str, duration: Duration) {
        let c = channel_index(channel);
        if let Some(o) = OUTCOMES.iter().position(|x| *x == outcome) {
            self.attempts[c][o].fetch_add(1, Ordering::Relaxed);
        }
        let secs = duration.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.latency_buckets[c][i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count[c].fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros[c].fetch_add(duration.as_micros() as u64, Ordering::Relaxed);
    }

    /// The exposition text; the backlog gauges come from the database.
    pub fn render(&self, backlog: Backlog) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP tidings_delivery_attempts_total Delivery attempts by channel and outcome."
        );
        let _ = writeln!(out, "# TYPE tidings_delivery_attempts_total counter");
        for (c, channel) in CHANNELS.iter().enumerate() {
            for (o, outcome) in OUTCOMES.iter().enumerate() {
                let n = self.attempts[c][o].load(Ordering::Relaxed);
                let _ = writeln!(out, "tidings_delivery_attempts_total{{channel=\"{channel}\",outcome=\"{outcome}\"}} {n}");
            }
        }
        let _ = writeln!(
            out,
            "# HELP tidings_delivery_attempt_duration_seconds Time one delivery attempt took."
        );
        let _ = writeln!(
            out,
            "# TYPE tidings_delivery_attempt_duration_seconds histogram"
        );
        for (c, channel) in CHANNELS.iter().enumerate() {
            for (i, bound) in BUCKETS.iter().enumerate() {
                let n = self.latency_buckets[c][i].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "tidings_delivery_attempt_duration_seconds_bucket{{channel=\"{channel}\",le=\"{bound}\"}} {n}"
                );
            }
            let count = self.latency_count[c].load(Ordering::Relaxed);
            let sum = self.latency_sum_micros[c].load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(out, "tidings_delivery_attempt_duration_seconds_bucket{{channel=\"{channel}\",le=\"+Inf\"}} {count}");
            let _ = writeln!(
                out,
                "tidings_delivery_attempt_duration_seconds_sum{{channel=\"{channel}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "tidings_delivery_attempt_duration_seconds_count{{channel=\"{channel}\"}} {count}"
            );
        }
        let gauges = [
            (
                "tidings_deliveries_due",
                "Pending deliveries whose next attempt is due.",
                backlog.due,
            ),
            (
                "tidings_deliveries_in_flight",
                "Deliveries leased by a worker right now.",
                backlog.in_flight,
            ),
            (
                "tidings_fanouts_pending",
                "Posted messages not yet expanded into deliveries.",
                backlog.fanouts_pending,
            ),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        let counters = [
            (
                "tidings_messages_posted_total",
                "Messages accepted by POST .../messages.",
                &self.messages_posted,
            ),
            (
                "tidings_deliveries_skipped_total",
                "Deliveries dropped because their subscription ended.",
                &self.deliveries_skipped,
            ),
            (
                "tidings_fanout_routed_out_total",
                "Active subscriptions a posted message was not for (event types, filter or notification policy).",
                &self.fanout_routed_out,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP tidings_rate_limited_total Requests and confirmation emails refused by an abuse limit.\n# TYPE tidings_rate_limited_total counter"
        );
        for (kind, value) in LimitKind::ALL.iter().zip(&self.rate_limited) {
            let _ = writeln!(
                out,
                "tidings_rate_limited_total{{limit=\"{}\"}} {}",
                kind.as_str(),
                value.load(Ordering::Relaxed)
            );
        }
        out
    }
}
