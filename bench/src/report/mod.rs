//! `report`: reads every result file of a run directory and writes
//! `<out-dir>/<YYYY-MM-DD>-<commit>.md` and `.json`.
pub mod catalog;
pub mod machine;
pub mod markdown;
pub mod results;
pub mod targets;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;
use serde_json::{json, Value};

use machine::Machine;
use results::Results;
use targets::{Ratio, Verdict};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Directory with `<system>-<db>-<workload>-<mode>-<rep>.json` files,
    /// and optionally `params.txt` (key=value lines) and `notes.txt`.
    #[arg(long)]
    pub run_dir: PathBuf,
    #[arg(long, default_value = "bench/results")]
    pub out_dir: PathBuf,
    /// Commit to stamp; defaults to `git rev-parse --short HEAD`.
    #[arg(long)]
    pub commit: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub date: String,
    pub generated_at: String,
    pub commit: String,
    pub dirty: bool,
    pub machine: Machine,
    /// `params.txt` of the run (key=value lines), in file order.
    pub params: Vec<(String, String)>,
    pub notes: Vec<String>,
    pub targets: Vec<Verdict>,
    pub ratios: Vec<Ratio>,
}

impl Report {
    pub fn commit_label(&self) -> String {
        if self.dirty {
            format!("{} with uncommitted changes", self.commit)
        } else {
            self.commit.clone()
        }
    }
}

fn read_lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn results_json(r: &Results) -> Vec<Value> {
    r.groups
        .iter()
        .map(|(key, reps)| {
            let mut fields = serde_json::Map::new();
            if let Some(first) = reps.first().and_then(Value::as_object) {
                for name in first.keys() {
                    if let Some(a) = results::aggregate(reps, name) {
                        fields.insert(name.clone(), json!(a));
                    }
                }
            }
            json!({
                "system": key.system, "db": key.db, "workload": key.workload,
                "mode": key.mode, "reps": reps.len(), "fields": fields, "raw": reps,
            })
        })
        .collect()
}

pub fn run(a: ReportArgs) -> Result<Value> {
    let results = results::load(&a.run_dir)?;
    let (date, generated_at) = machine::utc_now();
    let (commit, dirty) = match a.commit {
        Some(c) => (c, false),
        None => machine::git_commit().unwrap_or_else(|| ("nogit".into(), false)),
    };
    let params = read_lines(&a.run_dir.join("params.txt"))
        .into_iter()
        .filter_map(|l| {
            l.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect();
    let report = Report {
        date,
        generated_at,
        commit,
        dirty,
        machine: machine::machine(),
        params,
        notes: read_lines(&a.run_dir.join("notes.txt")),
        targets: targets::evaluate(&results),
        ratios: targets::ratios(&results),
    };
    fs::create_dir_all(&a.out_dir).with_context(|| format!("creating {}", a.out_dir.display()))?;
    let stem = format!("{}-{}", report.date, report.commit);
    let md_path = a.out_dir.join(format!("{stem}.md"));
    let json_path = a.out_dir.join(format!("{stem}.json"));
    let md = markdown::render(&report, &results);
    fs::write(&md_path, md).with_context(|| format!("writing {}", md_path.display()))?;
    let mut doc = serde_json::to_value(&report)?;
    doc["params"] = Value::Object(
        report
            .params
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    );
    doc["results"] = Value::Array(results_json(&results));
    doc["unreadable"] = json!(results.unreadable);
    let text = serde_json::to_string_pretty(&doc)?;
    fs::write(&json_path, text + "\n")
        .with_context(|| format!("writing {}", json_path.display()))?;
    let met = report
        .targets
        .iter()
        .filter(|t| t.met == Some(true))
        .count();
    let missed = report
        .targets
        .iter()
        .filter(|t| t.met == Some(false))
        .count();
    Ok(json!({
        "workload": "report",
        "markdown": md_path,
        "json": json_path,
        "groups": results.groups.len(),
        "targets_met": met,
        "targets_missed": missed,
        "targets_not_run": report.targets.len() - met - missed,
    }))
}
