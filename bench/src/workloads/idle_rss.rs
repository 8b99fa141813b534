//! W6 (idle) and any ad-hoc look: the current RSS of a process tree.
use anyhow::{bail, Result};
use clap::Args;
use serde_json::{json, Value};

use crate::rss::{parse_pids, process_tree, tree_rss_mb};
use crate::stats::round1;

#[derive(Debug, Args)]
pub struct RssArgs {
    /// Comma-separated PIDs; their descendants are included.
    #[arg(long)]
    pub pids: String,
}

pub fn run(a: RssArgs) -> Result<Value> {
    let roots = parse_pids(&a.pids)?;
    let rss = tree_rss_mb(&roots);
    if rss <= 0.0 {
        bail!("none of the PIDs {roots:?} is alive");
    }
    Ok(json!({
        "workload": "rss",
        "pids": roots,
        "processes": process_tree(&roots).len(),
        "rss_mb": round1(rss),
    }))
}
