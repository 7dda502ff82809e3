//! Session/event tracker (seed 004): API types, validation and DynamoDB storage.
//!
//! One table (`TRACKER_TABLE`, keys `pk`/`sk`, GSI `machine-events` on `gsi1pk`/`gsi1sk`):
//!
//! | item    | pk                   | sk                              | gsi1pk                         | gsi1sk                          |
//! |---------|----------------------|---------------------------------|--------------------------------|---------------------------------|
//! | session | `SESSION#<id>`       | `META`                          | –                              | –                               |
//! | event   | `SESSION#<id>`       | `EVENT#<eventAt>#<eventId>`     | `MACHINE#<tenant>#<machineId>` | `<eventAt>#<sessionId>#<eventId>` |
//!
//! `get_session` is one Query on the session's partition (events come back sorted by time,
//! then the META item; a page that ends before it reads META by its key);
//! `get_machine_events` is one Query on the GSI. Both page by count and by bytes
//! (`lookout_core::page`). Nothing scans.
//! Event ids are derived from the event's content, so a retried `add_event` overwrites
//! instead of duplicating.

use lookout_core::deserialize_via_parse;
use std::collections::HashMap;

use aws_sdk_dynamodb::{
    types::{AttributeValue, TransactWriteItem, Update},
    Client,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use lookout_core::{auth::Tenant, config, ddb, page, time::Timestamp, StoreError};

// By concern: what clients send and get back (validated types), what is stored (records and
// keys), the store that reads and writes them, and what they fail with (mapped to HTTP once,
// in `error`).
mod error;
mod input;
mod quota;
mod records;
mod store;
pub use error::TrackerError;
pub use input::*;
pub use quota::TrackerQuota;
use quota::*;
pub(crate) use records::*;
pub use store::*;

/// Events per `add_event` request.
pub const MAX_EVENTS_PER_REQUEST: usize = 1000;
/// Largest serialised payload of one event.
pub const MAX_PAYLOAD_BYTES: usize = 32 * 1024;
/// Largest id or type string.
pub const MAX_ID_LEN: usize = 256;
/// Most events one `get_machine_events` page returns.
pub const MAX_PAGE: usize = 1000;
/// DynamoDB allows 100 actions per transaction; one is the session update, one the tenant's
/// daily quota counter.
const EVENTS_PER_TRANSACTION: usize = 98;
const GSI: &str = "machine-events";

#[cfg(test)]
mod tests;

/// Clients and settings of the tracker functions, built once per cold start.
#[derive(Debug, Clone)]
pub struct Deps {
    pub store: TrackerStore,
    pub keys: lookout_core::auth::ApiKeys,
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = lookout_core::aws::sdk_config().await;
        let client = lookout_core::aws::dynamodb(&sdk);
        let quotas = lookout_core::quota::Quotas::from_env()?;
        Ok(Self {
            store: TrackerStore::from_env(client.clone())?.with_quota(TrackerQuota::from(&quotas)),
            keys: lookout_core::auth::ApiKeys::from_env(client)?,
        })
    }
}
