//! Messenger broadcast (seed 003): contacts, sends, per-delivery status and the failed list.
//!
//! ## Layout (one table, `MESSENGER_TABLE`)
//!
//! | item     | pk                         | sk            | attributes |
//! |----------|----------------------------|---------------|------------|
//! | contact  | `CT#<tenant>#<user_name>`  | `<name>`      | name, telegram, whatsApp, viber, updatedAt |
//! | send     | `SEND#<sendId>`            | `SEND`        | tenant, userName, message, scheduledAt, deliveries, expiresAt |
//! | delivery | `SEND#<sendId>`            | `D#<nnnn>`    | contact, messenger, address, status, attempts, leaseUntil, lastError, … |
//!
//! GSI `failed` (sparse, keys `failedPk` = `F#<tenant>#<user_name>`, `failedSk` =
//! `<failedAt>#<deliveryId>`) holds only failed deliveries: `/api/get_failed_mess` is one Query.
//! The message text lives once in the send item and is copied into a delivery only when it
//! fails, so the three writes of a delivery's life (create, claim, outcome) stay one write
//! unit each whatever the message length.
//!
//! ## Delivery state machine
//! `pending → sending → sent | failed`, and `sending → pending` for a transient failure that
//! is retried. Every transition is a conditional write; see [`BroadcastStore::claim`].

use lookout_core::deserialize_via_parse;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_dynamodb::{
    types::{AttributeValue, DeleteRequest, WriteRequest},
    Client,
};
use chrono::{Datelike, Timelike};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use lookout_core::{
    auth::{ApiKeys, Tenant},
    config::{self, ConfigError},
    ddb,
    time::{SentTime, Timestamp, Zone},
};

use crate::messenger::{MessengerKind, MAX_TEXT_CHARS};

mod error;
pub use error::BroadcastError;

/// Environment variable names (template.yaml sets them): core's registry.
pub use lookout_core::config::names as env;

/// Longest user or contact name.
pub const MAX_NAME_CHARS: usize = 64;
/// Most contacts one request may name: the new ones and the tenant's contact count are one
/// transaction (at most 100 items).
pub const MAX_CONTACTS_PER_REQUEST: usize = 99;
/// Largest request body of the contact routes.
pub const BODY_LIMIT: usize = 256 * 1024;
/// Most failed deliveries one page returns.
pub const MAX_FAILED_PAGE: usize = 1000;
/// Name of the sparse GSI of failed deliveries.
pub const FAILED_INDEX: &str = "failed";

// By concern: input, ids, records, the store (contacts, sends, deliveries), dispatch.
mod contacts_quota;
mod contacts_store;
mod delivery;
mod delivery_store;
mod dispatch;
mod ids;
mod input;
mod records;
mod replies;
mod reserved;
mod sends_store;
mod usage_store;
pub use contacts_store::*;
pub use delivery::*;
pub use delivery_store::{FailedDelivery, FailedSince, MAX_FAILED_READ};
pub use dispatch::*;
pub use ids::*;
pub use input::*;
pub use records::*;
pub use replies::*;
pub use reserved::*;

/// The HTTP routes' dependencies.
#[derive(Debug, Clone)]
pub struct Deps {
    pub keys: ApiKeys,
    pub store: BroadcastStore,
}

impl Deps {
    pub async fn from_env() -> Result<Self, ConfigError> {
        let sdk = lookout_core::aws::sdk_config().await;
        let ddb = lookout_core::aws::dynamodb(&sdk);
        Ok(Self {
            keys: ApiKeys::from_env(ddb.clone())?,
            store: BroadcastStore::from_env(ddb)?,
        })
    }
}

#[cfg(test)]
mod tests;
