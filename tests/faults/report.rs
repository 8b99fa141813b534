//! Sizes (shortened or full) and the one line each run reports.
use std::io::Write;
use std::time::Duration;

/// True when `TIDINGS_FAULTS=full`: the sizes of docs/reliability.md.
pub fn full() -> bool {
    std::env::var("TIDINGS_FAULTS").is_ok_and(|v| v == "full")
}

/// `smoke` in CI, `full` for the recorded run.
pub fn size<T>(smoke: T, full_size: T) -> T {
    if full() {
        full_size
    } else {
        smoke
    }
}

#[derive(Debug, Default, serde::Serialize)]
pub struct Outcome {
    pub experiment: &'static str,
    pub backend: &'static str,
    pub size: &'static str,
    /// What the experiment did, in words and numbers.
    pub parameters: String,
    /// Deliveries owed for what got a 201.
    pub acknowledged: usize,
    /// Distinct deliveries that arrived.
    pub arrived: usize,
    pub lost: usize,
    /// Arrivals beyond the first of each delivery.
    pub duplicated: usize,
    /// From the end of the fault to the last owed arrival.
    pub recovery_ms: Option<u128>,
    /// Anything else the experiment measured.
    pub notes: String,
}

impl Outcome {
    pub fn new(experiment: &'static str, backend: &'static str) -> Outcome {
        Outcome {
            experiment,
            backend,
            size: if full() { "full" } else { "smoke" },
            ..Outcome::default()
        }
    }

    pub fn recovered_after(&mut self, d: Duration) {
        self.recovery_ms = Some(d.as_millis());
    }

    /// Prints the line (stderr, so the harness shows it) and appends it to
    /// `TIDINGS_FAULTS_REPORT` when set.
    pub fn report(&self) {
        let line = serde_json::to_string(self).expect("outcome as JSON");
        let _ = writeln!(std::io::stderr(), "fault result: {line}");
        if let Some(path) = std::env::var_os("TIDINGS_FAULTS_REPORT") {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .expect("open TIDINGS_FAULTS_REPORT");
            writeln!(file, "{line}").expect("write TIDINGS_FAULTS_REPORT");
        }
    }
}

/// The p-th percentile (0..=100) of `values`, which it sorts.
pub fn percentile(values: &mut [Duration], p: usize) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    values.sort_unstable();
    let rank = (values.len() * p).div_ceil(100).max(1) - 1;
    values[rank.min(values.len() - 1)]
}
