//! One representative, valid, authenticated request per function of template.yaml, the
//! fixtures it needs (created through the shared stores, straight against moto), the Lambda
//! event that carries it and the answer it must get.
//!
//! Requests that consume what they act on (ending a session, deleting an app or a contact,
//! delivering a message) get a fresh fixture per call, so a warm process can be invoked any
//! number of times and every invocation does the same work.
//!
//! - `family`: endpoint families and their representative operations,
//! - `call`: requests, their Lambda events and the answers they must get,
//! - `fixture`: the shared setup ([`Fixture`]) and the dispatch to the domains below,
//! - `tracker`, `logs`, `incidents`, `heartbeats`, `messenger`, `admin`: each domain's
//!   scenarios and the fixture helpers only it needs.

use std::collections::BTreeMap;

use lookout_core::time::Timestamp;

mod admin;
mod call;
mod family;
mod fixture;
mod heartbeats;
mod incidents;
mod logs;
mod messenger;
mod tracker;

pub use call::{Call, Expect, Request};
pub use family::Family;
pub use fixture::Fixture;
pub use heartbeats::make_realistic_app;
pub use logs::send_logs_body;

pub const TENANT: &str = "bench";

fn now() -> Timestamp {
    Timestamp::now()
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// Template parameters the benchmark's stack gets besides the admin token: the messengers
/// point at `emulator` (a [`lookout_dev::emulator::Emulator`]) so deliveries succeed (the
/// token is stored in the messenger secret: [`BENCH_TOKENS`]).
pub fn stack_params(admin_sha256: String, emulator: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("AdminTokenSha256".to_owned(), admin_sha256),
        ("TelegramApiBase".to_owned(), format!("{emulator}/telegram")),
    ])
}

/// The messenger secret's value for benchmarks.
pub const BENCH_TOKENS: &str = r#"{"telegram_bot_token":"bench-bot-token"}"#;
