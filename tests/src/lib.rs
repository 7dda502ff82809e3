//! Shared harness of the integration test binaries in `tests/` (one binary per product area):
//! moto, per-test copies of template.yaml's tables, API Gateway requests for in-process handler
//! calls, and the live stack under `cargo lambda watch` for end-to-end tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_debug_implementations
)]

pub mod faults;
pub mod support;
