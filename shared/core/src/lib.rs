//! Lookout's core: what every Lambda function has in common, whatever its domain. The five
//! domains live in their own crates (`lookout-tracker`, `lookout-logs`, `lookout-incidents`,
//! `lookout-heartbeats`, `lookout-messenger`; admin mail in `lookout-mail`), so a function links
//! only core and its own domain. No HTTP crate: the edge is `lookout-http`, API keys are
//! `lookout-keys`.
//!
//! - [`config`]: settings read once from the environment,
//! - [`aws`]: AWS clients built once (the endpoint override comes from `AWS_ENDPOINT_URL`),
//! - [`error`]: [`StoreError`] and [`InvalidInput`], which every domain's error enum wraps,
//! - [`time`]: lenient timestamp parsing, stored as RFC 3339 UTC; time zones; the clock,
//! - [`auth`]: the admin token's hash, tenant names,
//! - [`quota`]: per-tenant quotas and what exceeding one says,
//! - [`ddb`]: DynamoDB helpers (batch writes that retry unprocessed items, paged Query reads),
//! - [`trust`]: verified credentials kept by a warm process for a bounded time,
//! - [`logging`]: the log subscriber each function installs first.

/// `impl Deserialize` for validated newtypes: read a string, then `Self::parse` it (its error
/// becomes the serde error the client sees).
#[macro_export]
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
pub mod config;
pub mod cron;
pub mod ddb;
pub mod error;
pub mod events;
pub mod json;
pub mod logging;
pub mod page;
pub mod quota;
pub mod time;
pub mod trust;
pub mod whole;

pub use error::{InvalidInput, StoreError};

/// The future a port's method returns (ports are used as `Arc<dyn Trait>`, so their async
/// methods return boxed futures).
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
