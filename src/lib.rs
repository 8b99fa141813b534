//! tidings: a self-hosted queue-subscription and notification service,
//! wire-compatible with the OpenStack Zaqar v2 API.
pub mod alerts;
pub mod api;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod domain;
pub mod drivers;
pub mod error;
pub mod metrics;
pub mod routing;
pub mod service;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod templates;
