#![no_main]
//! See `harness::routing`.
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::routing(data));
