//! `pick`: one number out of result files, for the runbook script (e.g. the
//! W4 rate is half the W1 median; smoke fails on any `lost` above 0), so the
//! script needs neither jq nor Python.
use std::fs;
use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use serde_json::Value;

use crate::report::results::numbers;
use crate::stats::median;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Agg {
    Median,
    Min,
    Max,
}

#[derive(Debug, Args)]
pub struct PickArgs {
    #[arg(long)]
    pub field: String,
    #[arg(long, value_enum, default_value_t = Agg::Median)]
    pub agg: Agg,
    pub files: Vec<PathBuf>,
}

pub fn run(a: PickArgs) -> Result<f64> {
    let reps: Vec<Value> = a
        .files
        .iter()
        .filter_map(|f| fs::read_to_string(f).ok())
        .filter_map(|t| {
            let line = t
                .lines()
                .find_map(|l| l.strip_prefix("JSON "))
                .unwrap_or(&t)
                .to_string();
            serde_json::from_str(line.trim()).ok()
        })
        .collect();
    let v = numbers(&reps, &a.field);
    let picked = match a.agg {
        Agg::Median => median(&v),
        Agg::Min => v.iter().copied().reduce(f64::min),
        Agg::Max => v.iter().copied().reduce(f64::max),
    };
    match picked {
        Some(x) => Ok(x),
        None => bail!("no {:?} in {} file(s)", a.field, a.files.len()),
    }
}
