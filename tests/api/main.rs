//! Integration tests against a real tidings server (one test binary, so the
//! crate links once).
mod helpers;

mod abuse_limits;
mod alerts_amqp;
mod alerts_bad_input;
mod alerts_delivery;
mod alerts_facade;
mod alerts_process;
mod amqp;
mod amqp_broker;
mod amqp_uris;
mod auth;
mod bad_input;
mod bad_subscribers;
mod bounces;
mod claims;
mod confirmation;
mod console;
mod credentials;
mod dead_letters;
mod delivery;
mod encryption;
mod languages;
mod messages;
mod misc;
mod openapi;
mod pg_missing_database;
mod process;
mod queues;
mod routing_bad_input;
mod routing_endpoints;
mod routing_fanout;
mod routing_limits;
mod routing_routes;
mod secret_masking;
mod sink;
#[path = "../support/smtp_sink.rs"]
#[allow(dead_code)] // Shared with tests/email.rs, which uses all of it.
mod smtp_sink;
mod subscriber_changes;
mod subscriptions;
mod suppressions;
mod template_sets;
mod topics;
