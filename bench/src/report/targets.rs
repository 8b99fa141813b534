//! The targets, evaluated against a run, and the ratios between
//! systems. A target whose inputs were not measured says "not run".
use serde::Serialize;

use super::results::{Key, Results};

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub target: &'static str,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub unit: &'static str,
    pub met: Option<bool>,
    pub status: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    pub name: String,
    pub value: Option<f64>,
}

fn med(r: &Results, system: &str, db: &str, wl: &str, mode: &str, field: &str) -> Option<f64> {
    r.agg(&Key::new(system, db, wl, mode), field)
        .map(|a| a.median)
}

fn worst(r: &Results, system: &str, db: &str, wl: &str, field: &str) -> Option<f64> {
    r.agg(&Key::new(system, db, wl, "run"), field)
        .map(|a| a.max)
}

#[derive(Clone, Copy)]
enum Dir {
    AtLeast,
    AtMost,
}

fn judge(
    target: &'static str,
    unit: &'static str,
    value: Option<f64>,
    threshold: Option<f64>,
    dir: Dir,
    missing: &str,
) -> Verdict {
    let (met, status) = match (value, threshold) {
        (Some(v), Some(t)) => {
            let ok = match dir {
                Dir::AtLeast => v >= t,
                Dir::AtMost => v <= t,
            };
            if ok {
                (Some(true), "met".to_string())
            } else {
                let gap = (v - t).abs();
                let pct = if t != 0.0 { gap / t.abs() * 100.0 } else { 0.0 };
                (
                    Some(false),
                    format!("missed by {} {unit} ({pct:.0}%)", super::markdown::num(gap)),
                )
            }
        }
        _ => (None, format!("not run ({missing})")),
    };
    Verdict {
        target,
        value,
        threshold,
        unit,
        met,
        status,
    }
}

/// A verdict on a smaller workload than the target names says so.
fn require_size(mut v: Verdict, measured: Option<f64>, wanted: f64, what: &str) -> Verdict {
    if let Some(m) = measured.filter(|m| (*m - wanted).abs() > 0.5) {
        if v.met.is_some() {
            v.status = format!(
                "{} (but measured with {m:.0} {what}, not {wanted:.0}: indicative only)",
                v.status
            );
        }
    }
    v
}

/// A loss turns a throughput target into a miss whatever the speed.
fn require_no_loss(mut v: Verdict, lost: Option<f64>) -> Verdict {
    if let Some(l) = lost.filter(|l| *l > 0.0) {
        v.met = Some(false);
        v.status = format!("missed: {l:.0} deliveries lost in the worst repetition");
    }
    v
}

pub fn evaluate(r: &Results) -> Vec<Verdict> {
    let mut out = Vec::new();
    let w1_ka = med(r, "tidings", "sqlite", "w1", "ka", "rps");
    out.push(judge(
        "W1 SQLite keep-alive ≥ 30,000 req/s",
        "req/s",
        w1_ka,
        Some(30_000.0),
        Dir::AtLeast,
        "needs tidings/sqlite W1 keep-alive",
    ));
    let close = med(r, "tidings", "sqlite", "w1", "close", "rps");
    let ceiling_close = med(r, "ceiling", "none", "w1", "close", "rps");
    out.push(judge(
        "W1 Connection: close ≥ 50% of the ceiling's close figure",
        "req/s",
        close,
        ceiling_close.map(|c| c * 0.5),
        Dir::AtLeast,
        "needs tidings/sqlite and ceiling W1 close",
    ));
    let w2 = med(r, "tidings", "sqlite", "w2", "run", "deliveries_per_s");
    let zaqar_w2 = med(r, "zaqar", "redis", "w2", "run", "deliveries_per_s");
    out.push(require_no_loss(
        judge(
            "W2 ≥ 15× Zaqar's deliveries/s, 0 lost",
            "deliveries/s",
            w2,
            zaqar_w2.map(|z| z * 15.0),
            Dir::AtLeast,
            "needs tidings/sqlite and Zaqar W2",
        ),
        worst(r, "tidings", "sqlite", "w2", "lost"),
    ));
    let w3 = require_no_loss(
        judge(
            "W3 (10,000 subscribers × 1 message) all delivered ≤ 2 s",
            "s",
            med(r, "tidings", "sqlite", "w3", "run", "time_to_last_s"),
            Some(2.0),
            Dir::AtMost,
            "needs tidings/sqlite W3",
        ),
        worst(r, "tidings", "sqlite", "w3", "lost"),
    );
    let w3_subs = med(r, "tidings", "sqlite", "w3", "run", "subs");
    out.push(require_size(w3, w3_subs, 10_000.0, "subscribers"));
    out.push(require_no_loss(
        judge(
            "W4 post→arrival p99 ≤ 20 ms",
            "ms",
            med(r, "tidings", "sqlite", "w4", "run", "p99_ms"),
            Some(20.0),
            Dir::AtMost,
            "needs tidings/sqlite W4",
        ),
        worst(r, "tidings", "sqlite", "w4", "lost"),
    ));
    out.push(judge(
        "W6 idle RSS ≤ 30 MiB",
        "MiB",
        med(r, "tidings", "sqlite", "w6", "idle", "rss_mb"),
        Some(30.0),
        Dir::AtMost,
        "needs tidings/sqlite W6",
    ));
    // W3 has 100× the subscribers of W2 (and half the deliveries): a peak
    // that does not grow with the audience stays within 1.5× of W2's.
    let w2_peak = med(r, "tidings", "sqlite", "w2", "run", "peak_rss_mb");
    out.push(judge(
        "Peak RSS independent of subscriber count: W3 peak ≤ 1.5× W2 peak",
        "MiB",
        med(r, "tidings", "sqlite", "w3", "run", "peak_rss_mb"),
        w2_peak.map(|p| p * 1.5),
        Dir::AtMost,
        "needs tidings/sqlite W2 and W3 with --pids",
    ));
    out.push(judge(
        "W7 W1 keep-alive after seeding within 2× of empty",
        "req/s",
        med(r, "tidings", "seeded", "w1", "ka", "rps"),
        w1_ka.map(|v| v / 2.0),
        Dir::AtLeast,
        "needs W7 and tidings/sqlite W1 keep-alive",
    ));
    out.push(require_no_loss(
        judge(
            "W7 W2 deliveries/s after seeding within 2× of empty",
            "deliveries/s",
            med(r, "tidings", "seeded", "w2", "run", "deliveries_per_s"),
            w2.map(|v| v / 2.0),
            Dir::AtLeast,
            "needs W7 and tidings/sqlite W2",
        ),
        worst(r, "tidings", "seeded", "w2", "lost"),
    ));
    let w8 = judge(
        "W8 routing 10,000 filtered subscriptions ≤ 5 ms server CPU per message (one at a time), 0 lost, 0 misrouted",
        "ms",
        med(r, "tidings", "sqlite", "w8", "run", "routing_cpu_ms_per_msg"),
        Some(5.0),
        Dir::AtMost,
        "needs tidings/sqlite W8",
    );
    let mut w8 = require_no_loss(w8, worst(r, "tidings", "sqlite", "w8", "lost"));
    if let Some(m) = worst(r, "tidings", "sqlite", "w8", "misrouted").filter(|m| *m > 0.0) {
        w8.met = Some(false);
        w8.status = format!("missed: {m:.0} deliveries reached subscriptions they were not for");
    }
    out.push(require_size(
        w8,
        med(r, "tidings", "sqlite", "w8", "run", "subs"),
        10_000.0,
        "subscriptions",
    ));
    let w9 = med(r, "tidings", "sqlite", "w9", "run", "deliveries_per_s");
    out.push(require_size(
        require_no_loss(
            judge(
                "W9 AMQP fan-out ≥ 10,000 confirmed publishes/s, 0 lost",
                "deliveries/s",
                w9,
                Some(10_000.0),
                Dir::AtLeast,
                "needs tidings/sqlite W9 and a RabbitMQ",
            ),
            worst(r, "tidings", "sqlite", "w9", "lost"),
        ),
        med(r, "tidings", "sqlite", "w9", "run", "expected"),
        20_000.0,
        "deliveries",
    ));
    out
}

pub fn ratios(r: &Results) -> Vec<Ratio> {
    let mut out = Vec::new();
    let div = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    };
    let w9 = med(r, "tidings", "sqlite", "w9", "run", "deliveries_per_s");
    if w9.is_some() {
        out.push(Ratio {
            name: "W9 AMQP ÷ W2 webhook deliveries/s, tidings/sqlite".into(),
            value: div(
                w9,
                med(r, "tidings", "sqlite", "w2", "run", "deliveries_per_s"),
            ),
        });
    }
    for db in ["sqlite", "postgres", "seeded"] {
        for (mode, label) in [("ka", "keep-alive"), ("close", "Connection: close")] {
            let t = med(r, "tidings", db, "w1", mode, "rps");
            if t.is_none() {
                continue;
            }
            out.push(Ratio {
                name: format!("W1 {label} req/s, tidings/{db} ÷ ceiling"),
                value: div(t, med(r, "ceiling", "none", "w1", mode, "rps")),
            });
            out.push(Ratio {
                name: format!("W1 {label} req/s, tidings/{db} ÷ Zaqar"),
                value: div(t, med(r, "zaqar", "redis", "w1", mode, "rps")),
            });
        }
        for wl in ["w2", "w3"] {
            let t = med(r, "tidings", db, wl, "run", "deliveries_per_s");
            if t.is_none() {
                continue;
            }
            let mut name = format!("{} deliveries/s, tidings/{db} ÷ Zaqar", wl.to_uppercase());
            let subs = |s: &str, d: &str| med(r, s, d, wl, "run", "subs");
            if let (Some(a), Some(b)) = (subs("tidings", db), subs("zaqar", "redis")) {
                if a != b {
                    name.push_str(&format!(" (tidings {a:.0}, Zaqar {b:.0} subscribers)"));
                }
            }
            out.push(Ratio {
                name,
                value: div(t, med(r, "zaqar", "redis", wl, "run", "deliveries_per_s")),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn results(entries: &[(&str, &str, &str, &str, serde_json::Value)]) -> Results {
        let mut r = Results::default();
        for (s, d, w, m, v) in entries {
            r.groups
                .entry(Key::new(s, d, w, m))
                .or_default()
                .push(v.clone());
        }
        r
    }

    #[test]
    fn empty_run_says_not_run() {
        let v = evaluate(&Results::default());
        assert!(v
            .iter()
            .all(|t| t.met.is_none() && t.status.starts_with("not run")));
        assert!(ratios(&Results::default()).is_empty());
    }

    #[test]
    fn met_and_missed() {
        let r = results(&[
            ("tidings", "sqlite", "w1", "ka", json!({"rps": 24_000.0})),
            ("tidings", "sqlite", "w6", "idle", json!({"rss_mb": 12.0})),
            (
                "tidings",
                "sqlite",
                "w2",
                "run",
                json!({"deliveries_per_s": 50_000.0, "lost": 3}),
            ),
            (
                "zaqar",
                "redis",
                "w2",
                "run",
                json!({"deliveries_per_s": 1_000.0, "lost": 0}),
            ),
        ]);
        let v = evaluate(&r);
        assert_eq!(v[0].met, Some(false));
        assert_eq!(v[0].status, "missed by 6,000 req/s (20%)");
        assert_eq!(v[5].met, Some(true));
        assert_eq!(v[2].met, Some(false), "{}", v[2].status);
        assert!(v[2].status.contains("lost"));
        let q = ratios(&r);
        let small = results(&[(
            "tidings",
            "sqlite",
            "w3",
            "run",
            json!({"time_to_last_s": 0.1, "subs": 50, "lost": 0}),
        )]);
        let w3 = &evaluate(&small)[3];
        assert_eq!(w3.met, Some(true));
        assert!(w3.status.contains("indicative"), "{}", w3.status);
        assert!(q
            .iter()
            .any(|x| x.name.starts_with("W2") && x.value == Some(50.0)));
    }
}
