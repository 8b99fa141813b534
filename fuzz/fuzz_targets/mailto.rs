#![no_main]
//! See `harness::mailto`.
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::mailto(data));
