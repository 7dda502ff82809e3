//! One integration test binary (zero2prod style): handlers in-process against moto, and the
//! same routes end to end over HTTP through `cargo lambda watch`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

mod admin_keys;
mod ddb_helpers;
mod deploy;
mod deployer_policy;
mod routes;
mod smoke_routes;
mod test_targets;
mod tracker;
mod tracker_e2e;
mod tracker_quota;
mod tracker_seed_client;
mod wiring;
