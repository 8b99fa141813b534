//! Use cases. Each owns its transaction: subscription rows, token rows and
//! outbox rows commit together or not at all.
pub mod abuse_limits;
pub mod api_tokens;
pub mod bounces;
pub mod claims;
pub mod confirmation;
pub mod confirmation_cap;
mod deps;
pub mod keystone;
pub mod link_actions;
pub mod message_deletes;
pub mod message_keys;
pub mod message_posts;
pub mod notification_rules;
pub mod queues;
pub mod routes;
pub mod secret;
pub mod subscriptions;
pub mod suppressions;
pub mod template_sets;
pub mod webhook_reach;

pub use deps::Deps;
