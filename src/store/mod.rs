//! Persistence: sea-orm entities and the queries over them. Nothing in here
//! knows about HTTP; every function takes a connection or transaction so the
//! service layer decides the transaction boundaries.
pub mod alert_states;
pub mod api_tokens;
pub mod batch;
pub mod bounces;
pub mod checkpointer;
pub mod claims;
pub mod confirmation_sends;
pub mod db;
pub mod deliveries;
pub mod delivery_leases;
pub mod delivery_outcomes;
pub mod dialect;
pub mod entities;
pub mod fanout_targets;
pub mod fanouts;
pub mod group_commit;
pub mod messages;
pub mod metadata_cache;
pub mod missing_database;
pub mod notification_rules;
pub mod queues;
pub mod read_cache;
pub mod sealed;
pub mod secrets;
pub mod subscriptions;
pub mod suppressions;
pub mod sweeper;
pub mod template_sets;
pub mod tokens;
pub mod verp;
