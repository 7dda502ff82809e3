//! [`MemoryKeyRecords`]: the key records in memory, the [`KeyRecords`] port's adapter for unit
//! tests (here and in other crates). Same semantics as the DynamoDB one where the use cases
//! depend on it: `put_new` refuses an existing `pk`, `touch` and `mark_revoked` write only an
//! existing record, a tenant's records come in the `by-tenant` index's order (by `keyId`). No
//! TTL: [`MemoryKeyRecords::remove`] plays it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use lookout_core::{auth::Tenant, time::Timestamp, BoxFuture, StoreError};

use crate::error::KeyError;
use crate::record::ApiKeyRecord;
use crate::store::key_records::KeyRecords;

/// The key records in memory, by `pk`. Clones share the records.
#[derive(Debug, Clone, Default)]
pub struct MemoryKeyRecords {
    records: Arc<Mutex<BTreeMap<String, ApiKeyRecord>>>,
    /// Every call fails, as DynamoDB does in an outage.
    failing: Arc<AtomicBool>,
    /// Only `touch` fails.
    touch_failing: Arc<AtomicBool>,
}

fn unavailable() -> KeyError {
    StoreError::Unavailable("the in-memory key records are failing".into()).into()
}

impl MemoryKeyRecords {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, ApiKeyRecord>> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn check(&self) -> Result<(), KeyError> {
        if self.failing.load(Ordering::SeqCst) {
            Err(unavailable())
        } else {
            Ok(())
        }
    }

    /// While on, every call fails as DynamoDB does in an outage.
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// While on, only recording a key's last use fails (verifying goes on).
    pub fn set_touch_failing(&self, failing: bool) {
        self.touch_failing.store(failing, Ordering::SeqCst);
    }

    /// Stores `record` as it is (over any with its `pk`): a record written by an older
    /// version, or by a test.
    pub fn insert(&self, record: ApiKeyRecord) {
        self.lock().insert(record.pk.clone(), record);
    }

    /// The record of the key `key_id` (of any tenant).
    pub fn record(&self, key_id: &str) -> Option<ApiKeyRecord> {
        self.lock().values().find(|r| r.key_id == key_id).cloned()
    }

    /// Every record, by `pk`.
    pub fn records(&self) -> Vec<ApiKeyRecord> {
        self.lock().values().cloned().collect()
    }

    /// Removes the record of the key `key_id`, as the table's TTL does; `false` if there was
    /// none.
    pub fn remove(&self, key_id: &str) -> bool {
        let mut records = self.lock();
        let before = records.len();
        records.retain(|_, r| r.key_id != key_id);
        records.len() < before
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

impl KeyRecords for MemoryKeyRecords {
    fn get<'a>(&'a self, pk: &'a str) -> BoxFuture<'a, Result<Option<ApiKeyRecord>, KeyError>> {
        Box::pin(async move {
            self.check()?;
            Ok(self.lock().get(pk).cloned())
        })
    }

    fn put_new<'a>(&'a self, record: &'a ApiKeyRecord) -> BoxFuture<'a, Result<bool, KeyError>> {
        Box::pin(async move {
            self.check()?;
            let mut records = self.lock();
            if records.contains_key(&record.pk) {
                return Ok(false);
            }
            records.insert(record.pk.clone(), record.clone());
            Ok(true)
        })
    }

    fn touch<'a>(&'a self, pk: &'a str, now: Timestamp) -> BoxFuture<'a, Result<(), KeyError>> {
        Box::pin(async move {
            self.check()?;
            if self.touch_failing.load(Ordering::SeqCst) {
                return Err(unavailable());
            }
            if let Some(record) = self.lock().get_mut(pk) {
                record.last_used_at = Some(now);
            }
            Ok(())
        })
    }

    fn list_by_tenant<'a>(
        &'a self,
        tenant: &'a Tenant,
    ) -> BoxFuture<'a, Result<Vec<ApiKeyRecord>, KeyError>> {
        Box::pin(async move {
            self.check()?;
            let mut out: Vec<ApiKeyRecord> = self
                .lock()
                .values()
                .filter(|r| r.tenant == tenant.as_str())
                .cloned()
                .collect();
            out.sort_by(|a, b| a.key_id.cmp(&b.key_id));
            Ok(out)
        })
    }

    fn find<'a>(
        &'a self,
        tenant: &'a Tenant,
        key_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<ApiKeyRecord>, KeyError>> {
        Box::pin(async move {
            self.check()?;
            Ok(self
                .lock()
                .values()
                .find(|r| r.tenant == tenant.as_str() && r.key_id == key_id)
                .cloned())
        })
    }

    fn mark_revoked<'a>(
        &'a self,
        pk: &'a str,
        now: Timestamp,
        remove_at: i64,
    ) -> BoxFuture<'a, Result<Option<ApiKeyRecord>, KeyError>> {
        Box::pin(async move {
            self.check()?;
            Ok(self.lock().get_mut(pk).map(|record| {
                record.revoked = true;
                record.revoked_at = Some(now);
                record.expires_at = Some(remove_at);
                record.clone()
            }))
        })
    }
}
