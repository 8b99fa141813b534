#![no_main]
//! See `harness::bounce_report`.
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::bounce_report(data));
