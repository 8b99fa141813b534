//! Renders a report as Markdown: targets first (the question people ask),
//! then ratios, then one table per workload.
use std::fmt::Write;

use super::catalog::{mode_label, system_label, Show, TABLES};
use super::results::{Key, Results};
use super::Report;

/// Numbers as people read them: thousands separated, few decimals.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    if a >= 1000.0 {
        let s = format!("{:.0}", a);
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if x < 0.0 {
            out.insert(0, '-');
        }
        out
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a == a.trunc() {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

fn cell(r: &Results, key: &Key, field: &str, show: Show) -> String {
    let Some(a) = r.agg(key, field) else {
        return "–".into();
    };
    match show {
        Show::Range if a.n > 1 && a.min != a.max => {
            format!("**{}** ({}–{})", num(a.median), num(a.min), num(a.max))
        }
        Show::Range => format!("**{}**", num(a.median)),
        Show::Median => num(a.median),
        Show::Max => num(a.max),
        Show::All => if a.min >= 1.0 { "yes" } else { "**no**" }.into(),
    }
}

fn tables(out: &mut String, r: &Results) {
    for t in TABLES {
        let _ = writeln!(out, "\n## {}\n\n_Why: {}._\n", t.title, t.why);
        let mut head = String::from("| system | mode |");
        let mut rule = String::from("|---|---|");
        for c in t.columns {
            head.push_str(&format!(" {} |", c.label));
            rule.push_str("---|");
        }
        head.push_str(" reps |");
        rule.push_str("---|");
        let _ = writeln!(out, "{head}\n{rule}");
        for (system, db, mode) in t.rows {
            let key = Key::new(system, db, t.workload, mode);
            let label = system_label(system, db);
            let m = mode_label(mode);
            match r.get(&key) {
                None => {
                    let rest = " – |".repeat(t.columns.len().saturating_sub(1));
                    let _ = writeln!(out, "| {label} | {m} | not run |{rest} 0 |");
                }
                Some(reps) => {
                    let mut row = format!("| {label} | {m} |");
                    for c in t.columns {
                        let v = match c.field {
                            // Sizes differ between systems (Zaqar's W3), so say them.
                            "subs" => format!(
                                "{} × {}",
                                cell(r, &key, "subs", Show::Median),
                                cell(r, &key, "msgs", Show::Median)
                            ),
                            f => cell(r, &key, f, c.show),
                        };
                        row.push_str(&format!(" {v} |"));
                    }
                    row.push_str(&format!(" {} |", reps.len()));
                    let _ = writeln!(out, "{row}");
                }
            }
        }
    }
}

pub fn render(rep: &Report, r: &Results) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# tidings benchmark, {} (commit {})\n",
        rep.date,
        rep.commit_label()
    );
    let m = &rep.machine;
    let _ = writeln!(out, "- Generated (UTC): {}", rep.generated_at);
    let _ = writeln!(out, "- Commit: {}", rep.commit_label());
    let _ = writeln!(
        out,
        "- Machine: {}, {} cores, {} GiB memory, Linux {}",
        m.cpu_model, m.cores, m.memory_gib, m.kernel
    );
    if !rep.params.is_empty() {
        let p: Vec<String> = rep.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(out, "- Run parameters: {}", p.join(", "));
    }
    for n in &rep.notes {
        let _ = writeln!(out, "- Note: {n}");
    }
    let _ = writeln!(
        out,
        "\nEach figure is the **median** over repetitions, with (min–max) when they differ; \
         losses, duplicates and errors show the **worst** repetition. \
         Client, server and sink share the same cores, so absolute numbers are \
         machine-specific; the ratios are what carries over.\n"
    );
    let _ = writeln!(
        out,
        "## Targets\n\n| target | measured | threshold | verdict |\n|---|---|---|---|"
    );
    for v in &rep.targets {
        let f = |x: Option<f64>| {
            x.map(|x| format!("{} {}", num(x), v.unit))
                .unwrap_or_else(|| "–".into())
        };
        let verdict = match v.met {
            Some(true) => "✅ met".to_string(),
            Some(false) => format!("❌ {}", v.status),
            None => v.status.clone(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            v.target,
            f(v.value),
            f(v.threshold),
            verdict
        );
    }
    if !rep.ratios.is_empty() {
        let _ = writeln!(out, "\n## Ratios\n\n| ratio | value |\n|---|---|");
        for q in &rep.ratios {
            let v = q
                .value
                .map(|v| format!("{v:.2}×"))
                .unwrap_or_else(|| "not run".into());
            let _ = writeln!(out, "| {} | {} |", q.name, v);
        }
    }
    tables(&mut out, r);
    if !r.unreadable.is_empty() {
        let _ = writeln!(out, "\n## Result files that could not be read\n");
        for f in &r.unreadable {
            let _ = writeln!(out, "- {f}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(num(1_234_567.4), "1,234,567");
        assert_eq!(num(123.4), "123");
        assert_eq!(num(12.34), "12.3");
        assert_eq!(num(1.234), "1.23");
        assert_eq!(num(3.0), "3");
        assert_eq!(num(-4_500.0), "-4,500");
    }
}
