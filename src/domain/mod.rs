//! Values parsed once at the edge. Past the API layer only these types travel,
//! so an invalid queue name or project cannot reach the store.
pub mod abuse_limit;
pub mod address_policy;
pub mod amqp_target;
pub mod bounce_report;
mod client_id;
pub mod delivery;
pub mod email_address;
pub mod host_name;
pub mod iso_time;
pub mod limits;
pub mod links;
pub mod locale;
pub mod masking;
pub mod message_keys;
mod project;
pub mod pulp_report;
pub mod queue_metadata;
mod queue_name;
pub mod render_context;
pub mod retry_policy;
pub mod role;
pub mod secret_key;
pub mod signed_url;
pub mod signing_secret;
pub mod subscriber;
pub mod subscription;
pub mod subscription_options;
pub mod suppression;
pub mod template_set;
pub mod tokens;
pub mod verp;

pub use client_id::ClientId;
pub use project::ProjectId;
pub use queue_name::{display_name, key_href, Namespace, QueueName, TOPIC_KEY_PREFIX};
pub use role::{Role, TokenScope};
pub use subscriber::Subscriber;
