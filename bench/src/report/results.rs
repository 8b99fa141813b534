//! The result files of one run and their aggregation over repetitions.
//!
//! `run.sh` writes each workload's JSON line to
//! `<run-dir>/<system>-<db>-<workload>-<mode>-<rep>.json`; the five fields
//! contain no `-`, so the name splits cleanly.
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;

use crate::stats::median;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Key {
    pub system: String,
    pub db: String,
    pub workload: String,
    pub mode: String,
}

impl Key {
    pub fn new(system: &str, db: &str, workload: &str, mode: &str) -> Self {
        Key {
            system: system.into(),
            db: db.into(),
            workload: workload.into(),
            mode: mode.into(),
        }
    }
}

/// Every repetition's result object, grouped by key.
#[derive(Debug, Default)]
pub struct Results {
    pub groups: BTreeMap<Key, Vec<Value>>,
    /// Files that looked like results but could not be read.
    pub unreadable: Vec<String>,
}

/// `tidings-sqlite-w1-ka-2.json` -> key and rep.
pub fn parse_name(name: &str) -> Option<(Key, u32)> {
    let stem = name.strip_suffix(".json")?;
    let parts: Vec<&str> = stem.split('-').collect();
    let [system, db, workload, mode, rep] = parts.as_slice() else {
        return None;
    };
    Some((Key::new(system, db, workload, mode), rep.parse().ok()?))
}

/// The file holds either the bare JSON object or output with a `JSON ` line.
fn parse_content(text: &str) -> Option<Value> {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("JSON "))
        .unwrap_or(text);
    serde_json::from_str::<Value>(line.trim())
        .ok()
        .filter(Value::is_object)
}

pub fn load(dir: &Path) -> Result<Results> {
    let mut out = Results::default();
    let entries = fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    let mut named: Vec<(Key, u32, String)> = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if let Some((key, rep)) = parse_name(&name) {
            named.push((key, rep, name));
        }
    }
    named.sort();
    for (key, _, name) in named {
        let parsed = fs::read_to_string(dir.join(&name))
            .ok()
            .and_then(|t| parse_content(&t));
        match parsed {
            Some(v) => out.groups.entry(key).or_default().push(v),
            None => out.unreadable.push(name),
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Agg {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub n: usize,
}

pub fn numbers(reps: &[Value], field: &str) -> Vec<f64> {
    reps.iter()
        .filter_map(|r| match &r[field] {
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            v => v.as_f64(),
        })
        .collect()
}

pub fn aggregate(reps: &[Value], field: &str) -> Option<Agg> {
    let v = numbers(reps, field);
    Some(Agg {
        median: median(&v)?,
        min: v.iter().copied().fold(f64::INFINITY, f64::min),
        max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        n: v.len(),
    })
}

impl Results {
    pub fn get(&self, key: &Key) -> Option<&[Value]> {
        self.groups
            .get(key)
            .map(Vec::as_slice)
            .filter(|r| !r.is_empty())
    }

    pub fn agg(&self, key: &Key, field: &str) -> Option<Agg> {
        aggregate(self.get(key)?, field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names() {
        let (k, rep) = parse_name("tidings-sqlite-w1-ka-2.json").unwrap();
        assert_eq!(k, Key::new("tidings", "sqlite", "w1", "ka"));
        assert_eq!(rep, 2);
        assert!(parse_name("notes.txt").is_none());
        assert!(parse_name("a-b-c.json").is_none());
    }

    #[test]
    fn content_forms() {
        assert!(parse_content("{\"rps\":1}").is_some());
        assert!(parse_content("noise\nJSON {\"rps\":1}\n").is_some());
        assert!(parse_content("").is_none());
    }

    #[test]
    fn aggregates() {
        let reps = vec![
            json!({"rps": 3.0, "ok": true}),
            json!({"rps": 1.0, "ok": false}),
            json!({"rps": 2.0}),
        ];
        let a = aggregate(&reps, "rps").unwrap();
        assert_eq!((a.median, a.min, a.max, a.n), (2.0, 1.0, 3.0, 3));
        assert_eq!(aggregate(&reps, "ok").unwrap().min, 0.0);
        assert!(aggregate(&reps, "missing").is_none());
    }
}
