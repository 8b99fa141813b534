//! Fault experiments: each one runs real `tidings serve` processes against
//! real sinks on 127.0.0.1, breaks something on purpose, and counts what
//! was acknowledged against what arrived (deduplicated), reporting lost,
//! duplicated and the time to recover. Every experiment is bounded in size
//! and time and stops by itself.
//!
//! By default each runs a shortened version (seconds; what CI runs). With
//! `TIDINGS_FAULTS=full` they run at the sizes of docs/reliability.md, and
//! `TIDINGS_FAULTS_REPORT=FILE` appends one JSON line per run to FILE:
//!
//!     TIDINGS_FAULTS=full TIDINGS_FAULTS_REPORT=faults.jsonl \
//!         cargo test --release --test faults -- --test-threads=1 --nocapture
//!
//! The PostgreSQL and MariaDB runs need `TIDINGS_TEST_POSTGRES_URL` and
//! `TIDINGS_TEST_MYSQL_URL`, as the API suite does.
#[allow(dead_code)] // Shared with the API suite; not every part is used here.
#[path = "api/pg_databases.rs"]
mod pg_databases;
#[path = "api/sink.rs"]
mod sink;
#[path = "support/mod.rs"]
mod support;

#[path = "faults/hung_webhook.rs"]
mod hung_webhook;
#[path = "faults/kill9.rs"]
mod kill9;
#[path = "faults/node.rs"]
mod node;
#[path = "faults/report.rs"]
mod report;
#[path = "faults/smtp_relay.rs"]
mod smtp_relay;
#[path = "faults/store.rs"]
mod store;
