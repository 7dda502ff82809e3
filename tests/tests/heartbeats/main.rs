//! Seed 002, heartbeats: handlers in-process against moto (DynamoDB and SES), the scanner with
//! injected time, and the same flow end to end through `cargo lambda watch`.
// The helpers in harness.rs are test code too (as tests/src/support.rs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod alerts;
mod budget;
mod e2e;
mod harness;
mod heartbeat;
mod lifecycle;
mod overview;
mod pings;
mod scanner;
mod seed_client;
mod signals;
