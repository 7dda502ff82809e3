//! The in-memory [`Contacts`]: a user's contacts and zone, and the tenant's exact contact
//! count, checked and changed together as the DynamoDB adapter's transactions do.

use lookout_core::auth::Tenant;
use lookout_core::quota::DEFAULT_CONTACTS_PER_TENANT;
use lookout_core::time::{Timestamp, Zone};
use lookout_core::BoxFuture;

use crate::error::BroadcastError;
use crate::input::{Contact, ContactName, UserName};
use crate::records::UserSettings;
use crate::store::contacts::{contacts_quota_error, Contacts, FoundContacts, StoredContacts};
use crate::store::memory::{MemoryFault, SharedTable, Table};

/// Contacts and user settings in memory. Clones share them.
#[derive(Debug, Clone)]
pub struct MemoryContacts {
    table: SharedTable,
    /// Contacts per tenant (`QuotaContactsPerTenant`).
    max_contacts: u32,
}

impl Default for MemoryContacts {
    fn default() -> Self {
        Self::over(SharedTable::default())
    }
}

impl MemoryContacts {
    pub(crate) fn over(table: SharedTable) -> Self {
        Self {
            table,
            max_contacts: DEFAULT_CONTACTS_PER_TENANT,
        }
    }

    /// The same store with another per-tenant contact quota.
    pub fn with_max_contacts(mut self, max_contacts: u32) -> Self {
        self.max_contacts = max_contacts;
        self
    }

    /// The tenant's contact count (what the quota is checked against).
    pub fn count(&self, tenant: &Tenant) -> i64 {
        self.table
            .lock()
            .contact_counts
            .get(tenant.as_str())
            .copied()
            .unwrap_or(0)
    }
}

fn key(tenant: &Tenant, user: &UserName) -> (String, String) {
    (tenant.as_str().to_owned(), user.as_str().to_owned())
}

/// The user's contacts and settings, as a read returns them.
fn read(t: &Table, tenant: &Tenant, user: &UserName) -> StoredContacts {
    t.users
        .get(&key(tenant, user))
        .map(|u| {
            (
                u.contacts.clone(),
                UserSettings {
                    time_zone: u.time_zone,
                },
            )
        })
        .unwrap_or_default()
}

impl Contacts for MemoryContacts {
    fn put<'a>(
        &'a self,
        tenant: &'a Tenant,
        user: &'a UserName,
        contacts: &'a [Contact],
        time_zone: Option<Zone>,
        _now: Timestamp,
    ) -> BoxFuture<'a, Result<(), BroadcastError>> {
        Box::pin(async move {
            let mut guard = self.table.lock();
            let t = &mut *guard;
            let entry = t.users.entry(key(tenant, user)).or_default();
            let new = contacts
                .iter()
                .filter(|c| !entry.contacts.contains_key(c.name.as_str()))
                .count();
            if new > 0 {
                // The same check as the DynamoDB transaction's: the count leaves room for
                // every new contact of the request, or nothing is stored.
                let new = i64::try_from(new).unwrap_or(i64::MAX);
                let room = i64::from(self.max_contacts) - new;
                let count = t
                    .contact_counts
                    .entry(tenant.as_str().to_owned())
                    .or_default();
                if room < 0 || *count > room {
                    return Err(contacts_quota_error(self.max_contacts));
                }
                *count += new;
            }
            for c in contacts {
                entry
                    .contacts
                    .insert(c.name.as_str().to_owned(), c.addresses.clone());
            }
            if time_zone.is_some() {
                entry.time_zone = time_zone;
            }
            Ok(())
        })
    }

    fn delete<'a>(
        &'a self,
        tenant: &'a Tenant,
        user: &'a UserName,
        names: &'a [ContactName],
    ) -> BoxFuture<'a, Result<Vec<ContactName>, BroadcastError>> {
        Box::pin(async move {
            let mut guard = self.table.lock();
            let t = &mut *guard;
            let mut missing = Vec::new();
            let mut deleted = 0_i64;
            if let Some(entry) = t.users.get_mut(&key(tenant, user)) {
                for name in names {
                    if entry.contacts.remove(name.as_str()).is_some() {
                        deleted += 1;
                    } else {
                        missing.push(name.clone());
                    }
                }
            } else {
                missing.extend(names.iter().cloned());
            }
            if deleted > 0 {
                *t.contact_counts
                    .entry(tenant.as_str().to_owned())
                    .or_default() -= deleted;
            }
            Ok(missing)
        })
    }

    fn list<'a>(
        &'a self,
        tenant: &'a Tenant,
        user: &'a UserName,
    ) -> BoxFuture<'a, Result<StoredContacts, BroadcastError>> {
        Box::pin(async move {
            let mut t = self.table.lock();
            t.take_fault(MemoryFault::ReadContacts)?;
            Ok(read(&t, tenant, user))
        })
    }

    fn get<'a>(
        &'a self,
        tenant: &'a Tenant,
        user: &'a UserName,
        names: &'a [ContactName],
    ) -> BoxFuture<'a, Result<FoundContacts, BroadcastError>> {
        Box::pin(async move {
            let mut t = self.table.lock();
            t.take_fault(MemoryFault::ReadContacts)?;
            let (mut all, settings) = read(&t, tenant, user);
            let found = names
                .iter()
                .filter_map(|n| all.remove_entry(n.as_str()))
                .collect();
            Ok((found, settings))
        })
    }
}
