//! Integration tests against a real tidings server (one test binary, so the
//! crate links once).
#[allow(dead_code)] // shared with tests/compat.rs; not every helper is used by both
mod helpers;

mod bad_input;
mod claims;
mod messages;
mod misc;
mod queues;
