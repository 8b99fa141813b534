//! Integration tests against a real tidings server (one test binary, so the
//! crate links once).
mod helpers;

mod bad_input;
mod bad_subscribers;
mod claims;
mod confirmation;
mod messages;
mod misc;
// mod process; (enabled once the channels are wired)
mod queues;
mod sink;
mod subscriptions;
