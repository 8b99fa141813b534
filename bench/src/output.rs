//! The one result line a workload prints: `JSON {...}` on stdout, so a script
//! can `grep '^JSON '` it out of whatever else was printed.
use serde_json::Value;

pub fn emit(result: &Value) {
    println!("JSON {result}");
}

/// Progress and diagnostics go to stderr, never mixed into the result line.
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => { eprintln!("[tidings-bench] {}", format!($($arg)*)) };
}
