//! Benchmark support code.
//!
//! - [`http`]: the minimal HTTP/1.1 the Runtime API stub speaks,
//! - [`runtime_api`]: a one-invocation Lambda Runtime API on loopback,
//! - [`stats`]: median and percentiles.

pub mod http;
pub mod runtime_api;
pub mod stats;
