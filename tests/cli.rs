//! The `tidings` client commands, run as the built binary in a separate
//! process against a live server (the API suite's `spawn()`: port 0, a
//! fresh SQLite database, a manual clock). Each test asserts what a user
//! sees: the table or the JSON, the exit status, the one-line error.
#[path = "api/amqp_broker.rs"]
mod amqp_broker;
#[path = "api/helpers.rs"]
mod helpers;
#[path = "api/sink.rs"]
mod sink;

mod cli {
    pub mod run;

    mod delivery;
    mod formats;
    mod listener;
    mod listener_amqp;
    mod message;
    mod misc;
    mod queue;
    mod routes;
    mod subscription;
    mod token;
}
