pub mod claim;
pub mod delivery;
pub mod delivery_attempt;
pub mod fanout;
pub mod message;
pub mod queue;
