//! Seed 003 messenger broadcast: the /api/contacts and /api/get_failed_mess handlers and the
//! deliver-messages consumer in-process against moto and a messenger emulator, then end to end
//! through `cargo lambda watch` and the local event pump.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

mod consumer;
mod contacts;
mod e2e;
mod failed;
mod failed_pages;
mod harness;
mod limits;
mod seed_client;
mod send;
