#![no_main]
//! See `harness::subscriber_uri`.
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::subscriber_uri(data));
