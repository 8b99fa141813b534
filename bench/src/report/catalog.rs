//! What the report shows for each workload: which runs are expected (so a
//! missing one says "not run" instead of vanishing) and which fields, how.

/// How a field is summarised over repetitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// median and min–max: the headline number of a workload.
    Range,
    Median,
    /// The worst repetition: losses and errors must not hide in a median.
    Max,
    /// yes only if every repetition says yes.
    All,
}

pub struct Column {
    pub label: &'static str,
    pub field: &'static str,
    pub show: Show,
}

pub struct Table {
    pub workload: &'static str,
    pub title: &'static str,
    pub why: &'static str,
    pub rows: &'static [(&'static str, &'static str, &'static str)],
    pub columns: &'static [Column],
}

const fn col(label: &'static str, field: &'static str, show: Show) -> Column {
    Column { label, field, show }
}

pub fn system_label(system: &str, db: &str) -> String {
    match (system, db) {
        ("ceiling", _) => "loopback ceiling (actix-web, 201)".into(),
        ("tidings", "sqlite") => "tidings / SQLite".into(),
        ("tidings", "postgres") => "tidings / PostgreSQL".into(),
        ("tidings", "seeded") => "tidings / SQLite after W7 seed".into(),
        ("zaqar", _) => "Zaqar 23.0.1 / Redis (uWSGI 4×1)".into(),
        (s, d) => format!("{s} / {d}"),
    }
}

pub fn mode_label(mode: &str) -> &str {
    match mode {
        "ka" => "keep-alive",
        "close" => "Connection: close",
        "idle" => "idle",
        "seed" => "seed",
        _ => "",
    }
}

const FANOUT_ROWS: &[(&str, &str, &str)] = &[
    ("tidings", "sqlite", "run"),
    ("tidings", "postgres", "run"),
    ("tidings", "seeded", "run"),
    ("zaqar", "redis", "run"),
];

const FANOUT_COLUMNS: &[Column] = &[
    col("subscribers × messages", "subs", Show::Median),
    col("deliveries/s", "deliveries_per_s", Show::Range),
    col("time to last (s)", "time_to_last_s", Show::Range),
    col("post phase (s)", "post_phase_s", Show::Median),
    col("lost (worst)", "lost", Show::Max),
    col("dups (worst)", "duplicates", Show::Max),
    col("peak RSS MiB", "peak_rss_mb", Show::Median),
    col("p99 post→arrival ms", "latency_p99_ms", Show::Median),
    col("all complete", "complete", Show::All),
];

pub const TABLES: &[Table] = &[
    Table {
        workload: "w1",
        title: "W1: single-message POST, 32 connections",
        why: "the API's request rate, against the most any server gets on this machine (ceiling) and against Zaqar",
        rows: &[
            ("ceiling", "none", "ka"),
            ("ceiling", "none", "close"),
            ("tidings", "sqlite", "ka"),
            ("tidings", "sqlite", "close"),
            ("tidings", "postgres", "ka"),
            ("tidings", "postgres", "close"),
            ("tidings", "seeded", "ka"),
            ("zaqar", "redis", "ka"),
            ("zaqar", "redis", "close"),
        ],
        columns: &[
            col("req/s (2xx)", "rps", Show::Range),
            col("p50 ms", "p50_ms", Show::Median),
            col("p99 ms", "p99_ms", Show::Median),
            col("non-2xx (worst)", "non_2xx", Show::Max),
            col("socket errors (worst)", "errors", Show::Max),
        ],
    },
    Table {
        workload: "w2",
        title: "W2: webhook fan-out, 100 subscribers × 200 messages",
        why: "sustained delivery throughput and correctness (nothing lost) when every message has many subscribers",
        rows: FANOUT_ROWS,
        columns: FANOUT_COLUMNS,
    },
    Table {
        workload: "w3",
        title: "W3: webhook fan-out, 10,000 subscribers × 1 message",
        why: "one message to a very large audience: expansion cost and whether memory grows with the subscriber count",
        rows: &[("tidings", "sqlite", "run"), ("zaqar", "redis", "run")],
        columns: FANOUT_COLUMNS,
    },
    Table {
        workload: "w4",
        title: "W4: post→arrival latency at half the W1 keep-alive rate",
        why: "how long a subscriber waits for a message when the service is busy but not saturated",
        rows: &[("tidings", "sqlite", "run")],
        columns: &[
            col("p50 ms", "p50_ms", Show::Median),
            col("p99 ms", "p99_ms", Show::Range),
            col("max ms", "max_ms", Show::Median),
            col("rate asked", "rate_target", Show::Median),
            col("posted/s", "rate_achieved", Show::Median),
            col("send lag p99 ms", "send_lag_p99_ms", Show::Median),
            col("lost (worst)", "lost", Show::Max),
        ],
    },
    Table {
        workload: "w5",
        title: "W5: email fan-out, 1,000 mailto subscribers × 1 message",
        why: "SMTP delivery throughput through a local server that accepts everything",
        rows: &[("tidings", "sqlite", "run")],
        columns: &[
            col("emails/s", "emails_per_s", Show::Range),
            col("time to last (s)", "time_to_last_s", Show::Median),
            col("received", "received", Show::Median),
            col("lost (worst)", "lost", Show::Max),
            col("SMTP connections", "smtp_connections", Show::Median),
            col("all complete", "complete", Show::All),
        ],
    },
    Table {
        workload: "w8",
        title: "W8: routed fan-out, 10,000 subscriptions with their own event types and filters, 1% matching each message",
        why: "what routing costs: server CPU per message to decide for every subscription (compiled once, no query per subscription), and how soon the matching deliveries arrive",
        rows: &[("tidings", "sqlite", "run")],
        columns: &[
            col("subscriptions × matching messages", "subs", Show::Median),
            col("routing CPU ms/msg, one at a time", "routing_cpu_ms_per_msg", Show::Range),
            col("routing CPU ms/msg, batched", "routing_batched_cpu_ms_per_msg", Show::Range),
            col("routed msgs/s, batched", "routing_batched_msgs_per_s", Show::Median),
            col("matching per msg", "matching_per_msg", Show::Median),
            col("CPU ms/msg with deliveries", "cpu_ms_per_msg", Show::Median),
            col("time to last (s)", "time_to_last_s", Show::Range),
            col("p99 post→arrival ms", "latency_p99_ms", Show::Median),
            col("lost (worst)", "lost", Show::Max),
            col("misrouted (worst)", "misrouted", Show::Max),
            col("all complete", "complete", Show::All),
        ],
    },
    Table {
        workload: "w9",
        title: "W9: AMQP fan-out into RabbitMQ, 100 subscriptions × 200 messages",
        why: "confirmed publishes per second into a real broker (each counted by a consumer bound to # only once the broker confirmed it), beside W2's webhooks",
        rows: &[("tidings", "sqlite", "run")],
        columns: &[
            col("subscriptions × messages", "subs", Show::Median),
            col("confirmed deliveries/s", "deliveries_per_s", Show::Range),
            col("time to last (s)", "time_to_last_s", Show::Range),
            col("post phase (s)", "post_phase_s", Show::Median),
            col("lost (worst)", "lost", Show::Max),
            col("dups (worst)", "duplicates", Show::Max),
            col("peak RSS MiB", "peak_rss_mb", Show::Median),
            col("p99 post→arrival ms", "latency_p99_ms", Show::Median),
            col("all complete", "complete", Show::All),
        ],
    },
    Table {
        workload: "w6",
        title: "W6: idle resident memory",
        why: "what the service costs when nothing happens",
        rows: &[("tidings", "sqlite", "idle"), ("zaqar", "redis", "idle")],
        columns: &[
            col("RSS MiB", "rss_mb", Show::Range),
            col("processes", "processes", Show::Median),
        ],
    },
    Table {
        workload: "w7",
        title: "W7: seeding a large database (by default 1,000,000 messages, 100,000 subscriptions)",
        why: "W1 and W2 are re-run beside this data (rows 'after W7 seed' above)",
        rows: &[("tidings", "seeded", "seed")],
        columns: &[
            col("messages", "messages", Show::Median),
            col("messages/s", "messages_per_s", Show::Median),
            col("subscriptions", "subscriptions", Show::Median),
            col("subscriptions (s)", "subscriptions_s", Show::Median),
            col("total (s)", "total_s", Show::Median),
            col("failures", "message_failures", Show::Max),
            col("all complete", "complete", Show::All),
        ],
    },
];
