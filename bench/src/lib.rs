//! Benchmark support code.
//!
//! - [`http`]: the minimal HTTP/1.1 the Runtime API stub speaks,
//! - [`runtime_api`]: a Lambda Runtime API on loopback, fed one invocation at a time,
//! - [`ddb_meter`]: a counting proxy in front of moto (requests and capacity units),
//! - [`scenarios`]: one representative request per function and its fixtures,
//! - [`cost`]: prices and the cost model,
//! - [`coldstart`]: the Lambda benchmark behind the `coldstart` binary,
//! - [`stats`]: median and percentiles.

pub mod coldstart;
pub mod cost;
pub mod ddb_meter;
pub mod http;
pub mod runtime_api;
pub mod scenarios;
pub mod stats;
