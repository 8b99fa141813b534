//! CPU time a process tree has used, from /proc: the steadier yardstick on
//! a shared machine (requests/s moves with the neighbours, CPU time per
//! request much less).
use std::fs;

use crate::rss::process_tree;

/// Linux reports `utime`/`stime` in USER_HZ ticks, 100 a second on every
/// architecture it supports.
const TICKS_PER_S: f64 = 100.0;

/// `utime + stime` of one process (all its threads), in ticks. Fields 14
/// and 15 of `/proc/<pid>/stat`, counted after the `)` that ends the
/// command name (which may itself contain spaces and parentheses).
fn ticks(pid: u32) -> u64 {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    let Some(close) = stat.rfind(')') else {
        return 0;
    };
    let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    // After ")": state is field 3, so utime (14) and stime (15) are at 11, 12.
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

/// CPU seconds used so far by the trees under `roots`.
pub fn tree_cpu_s(roots: &[u32]) -> f64 {
    let total: u64 = process_tree(roots).into_iter().map(ticks).sum();
    total as f64 / TICKS_PER_S
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_uses_cpu() {
        let me = std::process::id();
        let before = tree_cpu_s(&[me]);
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while start.elapsed().as_millis() < 60 {
            x = x.wrapping_mul(31).wrapping_add(7);
        }
        std::hint::black_box(x);
        assert!(tree_cpu_s(&[me]) > before);
    }
}
