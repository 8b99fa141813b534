pub mod claim;
pub mod confirm_token;
pub mod message;
pub mod queue;
pub mod server_secret;
pub mod subscription;
