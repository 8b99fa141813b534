//! Everything that leaves tidings goes through the durable outbox: the request
//! path enqueues rows inside its own transaction, workers deliver.
mod alert_due;
pub mod alert_intake;
mod amqp_publish;
mod attempt_log;
pub mod audience;
pub mod channels;
pub mod endpoint_slots;
mod intake;
pub mod job;
pub mod retry;
pub mod worker;
