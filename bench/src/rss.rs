//! Resident memory of a process tree, from /proc.
//!
//! Summed over descendants because the systems differ in shape: tidings is
//! one process, Zaqar under uWSGI is a master, an HTTP router and workers.
use std::collections::{HashMap, HashSet};
use std::fs;

/// Parent PID from `/proc/<pid>/stat`; the command name may contain spaces
/// and parentheses, so parse after the last `)`.
fn parent_of(pid: u32) -> Option<u32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

fn rss_kb(pid: u32) -> u64 {
    let Ok(status) = fs::read_to_string(format!("/proc/{pid}/status")) else {
        return 0;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// `roots` and all their living descendants.
pub fn process_tree(roots: &[u32]) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(dir) = fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
                continue;
            };
            if let Some(ppid) = parent_of(pid) {
                children.entry(ppid).or_default().push(pid);
            }
        }
    }
    let mut seen: HashSet<u32> = HashSet::new();
    let mut stack: Vec<u32> = roots.to_vec();
    while let Some(pid) = stack.pop() {
        if seen.insert(pid) {
            if let Some(kids) = children.get(&pid) {
                stack.extend(kids);
            }
        }
    }
    let mut all: Vec<u32> = seen.into_iter().collect();
    all.sort_unstable();
    all
}

/// Summed VmRSS of the trees under `roots`, in MiB (what `ps` and `top`
/// show divided by 1024).
pub fn tree_rss_mb(roots: &[u32]) -> f64 {
    let kb: u64 = process_tree(roots).into_iter().map(rss_kb).sum();
    kb as f64 / 1024.0
}

pub fn parse_pids(list: &str) -> anyhow::Result<Vec<u32>> {
    list.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("bad PID {s:?} in {list:?}"))
        })
        .collect()
}

/// Samples the tree's RSS every 50 ms in the background and keeps the peak.
pub struct PeakSampler {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<f64>,
}

impl PeakSampler {
    pub fn start(roots: Vec<u32>) -> Self {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            let mut peak: f64 = 0.0;
            if roots.is_empty() {
                return peak;
            }
            loop {
                let roots = roots.clone();
                // /proc scans block; keep them off the async workers.
                let now = tokio::task::spawn_blocking(move || tree_rss_mb(&roots))
                    .await
                    .unwrap_or(0.0);
                peak = peak.max(now);
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_millis(50)) => {}
                    _ = stopped.changed() => return peak,
                }
            }
        });
        PeakSampler { stop, task }
    }

    /// Stops sampling; the peak in MiB (0 when no PIDs were given).
    pub async fn finish(self) -> f64 {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_has_memory() {
        let me = std::process::id();
        assert!(process_tree(&[me]).contains(&me));
        assert!(tree_rss_mb(&[me]) > 0.5);
    }

    #[test]
    fn pid_lists() {
        assert_eq!(parse_pids("1, 2,").unwrap(), vec![1, 2]);
        assert!(parse_pids("x").is_err());
    }
}
