//! Test support shared by integration tests: real servers on 127.0.0.1:0.
#![allow(dead_code)]
pub mod smtp_sink;
