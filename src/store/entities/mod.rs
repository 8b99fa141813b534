pub mod claim;
pub mod message;
pub mod queue;
