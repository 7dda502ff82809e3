//! The messenger table (`MESSENGER_TABLE`), one store per aggregate, each in its own file:
//!
//! | port | store | file | items |
//! |---|---|---|---|
//! | [`Contacts`](contacts::Contacts) | [`ContactStore`] | `store/contacts.rs` | a user's contacts and settings, and the tenant's contact count |
//! | [`Sends`](sends::Sends) | [`SendStore`] | `store/sends.rs` | a send and its deliveries, written together or not at all |
//! | [`Deliveries`](deliveries::Deliveries) | [`DeliveryStore`] | `store/deliveries.rs` | one delivery's state machine (claim, sent, retry, failed) |
//! | [`FailedDeliveries`](failed::FailedDeliveries) | [`FailedStore`] | `store/failed.rs` | the failed deliveries (the sparse `failed` and `failed-all` indexes) |
//! | [`UsageCounts`](usage::UsageCounts) | [`UsageStore`] | `store/usage.rs` | the tenant's daily send count |
//!
//! Each port (a trait, declared beside its DynamoDB adapter) is what the use cases take;
//! [`BroadcastStore`] holds the five DynamoDB adapters over one table, so a reader follows
//! `deps.store.<aggregate>.<method>` to one file. Their in-memory adapters, for unit tests,
//! are under `store/memory/` ([`MemoryBroadcastStore`](memory::MemoryBroadcastStore)).
//!
//! ## Layout (one table)
//!
//! | item     | pk                         | sk            | attributes |
//! |----------|----------------------------|---------------|------------|
//! | contact  | `CT#<tenant>#<user_name>`  | `<name>`      | name, telegram, whatsApp, viber, updatedAt |
//! | send     | `SEND#<sendId>`            | `SEND`        | tenant, userName, message, scheduledAt, deliveries, expiresAt |
//! | delivery | `SEND#<sendId>`            | `D#<nnnn>`    | contact, messenger, address, status, attempts, leaseUntil, lastError, … |
//! | counts   | `Q#<tenant>`               | `CONTACTS`, `<day>` | contacts; sends, expiresAt |
//!
//! GSI `failed` (sparse, keys `failedPk` = `F#<tenant>#<user_name>`, `failedSk` =
//! `<failedAt>#<deliveryId>`) holds only failed deliveries: `/api/get_failed_mess` is one Query.
//! The message text lives once in the send item and is copied into a delivery only when it
//! fails, so the three writes of a delivery's life (create, claim, outcome) stay one write
//! unit each whatever the message length.

pub(crate) mod contacts;
pub(crate) mod deliveries;
pub(crate) mod failed;
mod keys;
pub(crate) mod memory;
pub(crate) mod sends;
pub(crate) mod usage;

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;

use lookout_core::auth::Tenant;
use lookout_core::config::{self, names as env, ConfigError};
use lookout_core::time::Timestamp;

use crate::address::Addresses;
use crate::error::BroadcastError;
use crate::ids::SendId;
use crate::input::{Contact, ContactName, UserName};
use crate::records::{DeliveryRecord, SendRecord, UserSettings};
use crate::replies::FailedSince;
use crate::store::contacts::ContactStore;
use crate::store::deliveries::DeliveryStore;
use crate::store::failed::FailedStore;
use crate::store::sends::SendStore;
use crate::store::usage::UsageStore;

/// The messenger table's stores, one per aggregate. Cheap to clone (one DynamoDB client).
#[derive(Debug, Clone)]
pub struct BroadcastStore {
    pub contacts: ContactStore,
    pub sends: SendStore,
    pub deliveries: DeliveryStore,
    pub failed: FailedStore,
    pub usage: UsageStore,
}

impl BroadcastStore {
    /// The stores over `table`; sends and their deliveries expire `retention_days` after they
    /// are due.
    pub fn new(client: Client, table: impl Into<String>, retention_days: i64) -> Self {
        let table = table.into();
        let usage = UsageStore::new(client.clone(), table.clone());
        let sends = SendStore::new(client.clone(), table.clone(), retention_days);
        Self {
            contacts: ContactStore::new(client.clone(), table.clone(), usage.clone()),
            deliveries: DeliveryStore::new(client.clone(), table.clone(), sends.clone()),
            failed: FailedStore::new(client, table),
            sends,
            usage,
        }
    }

    /// The same stores with another per-tenant contact quota.
    pub fn with_max_contacts(mut self, max_contacts: u32) -> Self {
        self.contacts = self.contacts.with_max_contacts(max_contacts);
        self
    }

    /// `MESSENGER_TABLE`, `MESSENGER_RETENTION_DAYS` (default 30).
    pub fn from_env(client: Client) -> Result<Self, ConfigError> {
        let days = config::retention_days(env::MESSENGER_RETENTION_DAYS, 30)?;
        Ok(Self::new(
            client,
            config::required(env::MESSENGER_TABLE)?,
            days,
        ))
    }

    pub fn table(&self) -> &str {
        self.sends.table()
    }

    // Callers outside this crate's owners (the bench's fixtures, admin-overview) still call
    // these by their old names; each is its store's method, and goes when they call it there.

    /// [`ContactStore::put`].
    pub async fn put_contacts(
        &self,
        tenant: &Tenant,
        user: &UserName,
        contacts: &[Contact],
        time_zone: Option<lookout_core::time::Zone>,
        now: Timestamp,
    ) -> Result<(), BroadcastError> {
        self.contacts
            .put(tenant, user, contacts, time_zone, now)
            .await
    }

    /// [`ContactStore::get`].
    pub async fn get_contacts(
        &self,
        tenant: &Tenant,
        user: &UserName,
        names: &[ContactName],
    ) -> Result<(HashMap<String, Addresses>, UserSettings), BroadcastError> {
        self.contacts.get(tenant, user, names).await
    }

    /// [`SendStore::create_new`].
    pub async fn create_send(
        &self,
        tenant: &Tenant,
        user: &UserName,
        contacts: &[(ContactName, Addresses)],
        message: &str,
        at: Timestamp,
        now: Timestamp,
    ) -> Result<(SendId, SendRecord, Vec<DeliveryRecord>), BroadcastError> {
        self.sends
            .create_new(tenant, user, contacts, message, at, now)
            .await
    }

    /// [`FailedStore::since`].
    pub async fn failed_since(
        &self,
        since: Timestamp,
        recent: usize,
    ) -> Result<FailedSince, BroadcastError> {
        self.failed.since(since, recent).await
    }
}
