//! Integration tests against a real tidings server (one test binary, so the
//! crate links once).
mod helpers;

mod claims;
mod messages;
mod process;
mod queues;
mod sink;
