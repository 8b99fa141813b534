//! One file per workload; each turns its arguments into one JSON result.
pub mod idle_rss;
pub mod post;
