//! One file per workload; each turns its arguments into one JSON result.
pub mod amqp_fanout;
pub mod email;
pub mod fanout;
pub mod idle_rss;
pub mod latency;
pub mod post;
pub mod routed_fanout;
pub mod seed;
pub mod wait;
