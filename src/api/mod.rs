//! HTTP handlers: parse the request into domain types, call the store or a
//! service, shape the Zaqar response. One file per resource.
mod access_log;
pub mod access_policy;
pub mod authorize;
pub mod body;
pub mod bounces;
pub mod claims;
pub mod console;
pub mod context;
pub mod deliveries;
pub mod links;
pub mod message_routes;
pub mod messages;
pub mod misc;
pub mod notification_policy;
pub mod notification_rules;
pub mod openapi;
pub mod page_texts;
pub mod pages;
pub mod params;
pub mod queue_patch;
pub mod queues;
pub mod rate_limit;
mod routes;
pub mod share;
pub mod state;
pub mod subscriptions;
pub mod suppressions;
pub mod template_sets;

pub use access_log::access_log;
pub use authorize::authorize;
pub use rate_limit::rate_limit;
pub use routes::configure;
pub use state::AppState;
