//! Lookout's shared library: everything the Lambda functions have in common.
//!
//! - [`config`]: settings read once from the environment,
//! - [`aws`]: AWS clients built once (the endpoint override comes from `AWS_ENDPOINT_URL`),
//! - [`error`]: one [`error::AppError`] and its mapping to a JSON response,
//! - [`http`]: JSON request/response helpers,
//! - [`time`]: lenient timestamp parsing, stored as RFC 3339 UTC,
//! - [`auth`]: admin token and API key checks,
//! - [`ddb`]: DynamoDB helpers (batch writes that retry unprocessed items),
//! - [`incidents`]: incident dispatch: apps, codes, grouping, history (seed 001),
//! - [`logs`]: log ingestion storage and queries (seed 000),
//! - [`tracker`]: the session/event tracker's storage (seed 004).
//! - [`heartbeat`]: heartbeats and the silent-app scanner (seed 002),
//! - [`mail`]: plain-text admin mail through SES.
//! - [`messenger`]: Telegram / WhatsApp / Viber adapters (`Messenger::send(kind, address, text)`),
//! - [`broadcast`]: messenger broadcast: contacts, sends, deliveries, failed list (seed 003).

/// `impl Deserialize` for validated newtypes: read a string, then `Self::parse` it (its error
/// becomes the serde error the client sees).
macro_rules! deserialize_via_parse {
    ($($t:ty),+ $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    )+};
}

pub mod auth;
pub mod aws;
pub mod broadcast;
pub mod config;
pub mod ddb;
pub mod error;
pub mod heartbeat;
pub mod http;
pub mod incidents;
pub mod logs;
pub mod mail;
pub mod messenger;
pub mod time;
pub mod tracker;

pub use error::AppError;
