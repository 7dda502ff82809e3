//! Dev-only tooling for running Lookout locally and in tests. Never deployed.
//!
//! - [`template`]: reads template.yaml (resources, functions, routes, event wiring),
//! - [`provision`]: creates the template's tables and queues in moto under a prefix,
//! - [`moto`]: finds or starts moto_server,
//! - [`pump`]: the local event pump (schedules and SQS → functions under `cargo lambda watch`).

pub mod moto;
pub mod provision;
pub mod pump;
pub mod template;
