//! The in-memory adapters of the store ports, one per aggregate, each in its own file under
//! `store/memory/`, over one shared table as the DynamoDB adapters are over one DynamoDB table:
//!
//! | port | adapter | file |
//! |---|---|---|
//! | [`Contacts`](crate::store::contacts::Contacts) | [`MemoryContacts`] | `memory/contacts.rs` |
//! | [`Sends`](crate::store::sends::Sends) | [`MemorySends`] | `memory/sends.rs` |
//! | [`Deliveries`](crate::store::deliveries::Deliveries) | [`MemoryDeliveries`] | `memory/deliveries.rs` |
//! | [`FailedDeliveries`](crate::store::failed::FailedDeliveries) | [`MemoryFailedDeliveries`] | `memory/failed.rs` |
//! | [`UsageCounts`](crate::store::usage::UsageCounts) | [`MemoryUsageCounts`] | `memory/usage.rs` |
//!
//! [`MemoryBroadcastStore`] holds all five over one table (a delivery's failure copies its
//! send's message; the failed list reads the deliveries), as [`BroadcastStore`] does.
//! Semantics the use cases depend on are the DynamoDB adapters': the same conditional
//! transitions, the same error variants (a quota, a reused key, a bad page token or limit),
//! the same page tokens. No TTL: nothing expires.
//!
//! [`BroadcastStore`]: crate::store::BroadcastStore

pub(crate) mod contacts;
pub(crate) mod deliveries;
pub(crate) mod failed;
pub(crate) mod sends;
pub(crate) mod usage;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use lookout_core::time::Zone;
use lookout_core::StoreError;

use crate::address::Addresses;
use crate::error::BroadcastError;
use crate::ids::{DeliveryId, SendId};
use crate::records::{DeliveryRecord, SendRecord};
use crate::store::memory::contacts::MemoryContacts;
use crate::store::memory::deliveries::MemoryDeliveries;
use crate::store::memory::failed::MemoryFailedDeliveries;
use crate::store::memory::sends::MemorySends;
use crate::store::memory::usage::MemoryUsageCounts;

/// The in-memory stores, one per aggregate, over one table. Clones share the table.
#[derive(Debug, Clone)]
pub struct MemoryBroadcastStore {
    pub contacts: MemoryContacts,
    pub sends: MemorySends,
    pub deliveries: MemoryDeliveries,
    pub failed: MemoryFailedDeliveries,
    pub usage: MemoryUsageCounts,
    table: SharedTable,
}

impl Default for MemoryBroadcastStore {
    /// Kept 30 days, as `MESSENGER_RETENTION_DAYS` defaults to.
    fn default() -> Self {
        Self::new(30)
    }
}

impl MemoryBroadcastStore {
    /// Empty stores; sends and deliveries carry an `expiresAt` `retention_days` after they
    /// are due (recorded, never acted on).
    pub fn new(retention_days: i64) -> Self {
        let table = SharedTable::default();
        Self {
            contacts: MemoryContacts::over(table.clone()),
            sends: MemorySends::over(table.clone(), retention_days),
            deliveries: MemoryDeliveries::over(table.clone()),
            failed: MemoryFailedDeliveries::over(table.clone()),
            usage: MemoryUsageCounts::over(table.clone()),
            table,
        }
    }

    /// The same stores with another per-tenant contact quota.
    pub fn with_max_contacts(mut self, max_contacts: u32) -> Self {
        self.contacts = self.contacts.with_max_contacts(max_contacts);
        self
    }

    /// The next call that `fault` names fails, as a DynamoDB out of reach would
    /// ([`StoreError::Unavailable`]); each call to this fails one more.
    pub fn fail_next(&self, fault: MemoryFault) {
        self.table.lock().faults.push(fault);
    }
}

/// A call of the in-memory stores that [`MemoryBroadcastStore::fail_next`] can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryFault {
    /// [`Contacts::get`](crate::store::contacts::Contacts::get) and `list`.
    ReadContacts,
    /// [`Sends::create_new`](crate::store::sends::Sends::create_new) and `create_once`
    /// (nothing is stored).
    WriteSend,
    /// [`Sends::get`](crate::store::sends::Sends::get).
    ReadSend,
}

/// What the in-memory stores hold.
#[derive(Debug, Default)]
pub(crate) struct Table {
    /// Each user's contacts and settings, by (tenant, user name).
    pub(crate) users: BTreeMap<(String, String), UserEntry>,
    /// Each tenant's contact count (as the DynamoDB one: changed only with the contacts).
    pub(crate) contact_counts: BTreeMap<String, i64>,
    pub(crate) sends: BTreeMap<SendId, SendRecord>,
    pub(crate) deliveries: BTreeMap<DeliveryId, DeliveryRecord>,
    /// Sends per (tenant, UTC day).
    pub(crate) daily_sends: BTreeMap<(String, String), u64>,
    /// Calls to fail, once each.
    faults: Vec<MemoryFault>,
}

/// One user's contacts (by name) and default zone.
#[derive(Debug, Default)]
pub(crate) struct UserEntry {
    pub(crate) contacts: BTreeMap<String, Addresses>,
    pub(crate) time_zone: Option<Zone>,
}

impl Table {
    /// Fails if a [`MemoryFault`] for this call is pending (and takes it).
    pub(crate) fn take_fault(&mut self, fault: MemoryFault) -> Result<(), BroadcastError> {
        match self.faults.iter().position(|f| *f == fault) {
            Some(i) => {
                self.faults.remove(i);
                Err(BroadcastError::Store(StoreError::Unavailable(
                    format!("injected fault: {fault:?}").into(),
                )))
            }
            None => Ok(()),
        }
    }
}

/// The table, shared by the stores over it.
#[derive(Debug, Clone, Default)]
pub(crate) struct SharedTable(Arc<Mutex<Table>>);

impl SharedTable {
    /// The table (a panic in another holder does not lose it: every change is whole before
    /// the guard is dropped).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Table> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
