//! The committed fuzz corpus (`fuzz/corpus/<target>/`), crashes found and
//! fixed included, through the fuzz targets' own harness: on stable Rust,
//! on every test run, so a parser change that panics on a known input
//! fails here even where no nightly toolchain is at hand.
use std::path::Path;

#[path = "../fuzz/harness.rs"]
mod harness;

fn run(target: &str, harness: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 3, "{target}: a corpus of {}", inputs.len());
    for input in &inputs {
        let data = std::fs::read(input).expect("a corpus file");
        // A panic names the input that caused it.
        let outcome = std::panic::catch_unwind(|| harness(&data));
        assert!(outcome.is_ok(), "{target}: {} panicked", input.display());
    }
}

#[test]
fn mailto_corpus() {
    run("mailto", harness::mailto);
}

#[test]
fn subscriber_uri_corpus() {
    run("subscriber_uri", harness::subscriber_uri);
}

#[test]
fn routing_corpus() {
    run("routing", harness::routing);
}

#[test]
fn metadata_corpus() {
    run("metadata", harness::metadata);
}

#[test]
fn bounce_report_corpus() {
    run("bounce_report", harness::bounce_report);
}
