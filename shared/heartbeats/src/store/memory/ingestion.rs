//! [`MemoryIngestion`]: the scanner's items in memory (the ingestion health, written with its
//! condition, and the last count of watched apps).

use lookout_core::BoxFuture;

use crate::error::HeartbeatError;
use crate::store::ingestion::{HealthRecord, IngestionRecords, WatchedRecord};
use crate::store::memory::Shared;

/// The scanner's items in memory (see [`crate::store::memory`]). Clones share the items.
#[derive(Debug, Clone, Default)]
pub struct MemoryIngestion {
    table: Shared,
}

impl MemoryIngestion {
    pub(crate) fn over(table: Shared) -> Self {
        Self { table }
    }

    /// Whether ingestion is recorded as degraded now.
    pub fn degraded(&self) -> bool {
        self.table
            .lock()
            .health
            .as_ref()
            .is_some_and(HealthRecord::degraded)
    }

    /// The health item as stored.
    pub(crate) fn stored_health(&self) -> Option<HealthRecord> {
        self.table.lock().health.clone()
    }

    /// The last count of watched apps as stored.
    pub(crate) fn stored_watched(&self) -> Option<WatchedRecord> {
        self.table.lock().watched.clone()
    }

    /// The health put's condition: the stored item is still `expected` (absent, for `None`).
    fn put(&self, rec: &HealthRecord, expected: Option<&HealthRecord>) -> Option<HealthRecord> {
        let mut table = self.table.lock();
        let holds = match (expected, &table.health) {
            (None, None) => true,
            (Some(old), Some(stored)) => {
                stored.state == old.state
                    && stored.since == old.since
                    && stored.notified == old.notified
            }
            _ => false,
        };
        if !holds {
            return table.health.clone();
        }
        table.health = Some(rec.clone());
        None
    }
}

impl IngestionRecords for MemoryIngestion {
    fn health(&self) -> BoxFuture<'_, Result<Option<HealthRecord>, HeartbeatError>> {
        Box::pin(std::future::ready(Ok(self.stored_health())))
    }

    fn put_health<'a>(
        &'a self,
        rec: &'a HealthRecord,
        expected: Option<&'a HealthRecord>,
    ) -> BoxFuture<'a, Result<Option<HealthRecord>, HeartbeatError>> {
        Box::pin(std::future::ready(Ok(self.put(rec, expected))))
    }

    fn last_watched(&self) -> BoxFuture<'_, Result<Option<WatchedRecord>, HeartbeatError>> {
        Box::pin(std::future::ready(Ok(self.stored_watched())))
    }

    fn put_watched<'a>(
        &'a self,
        rec: &'a WatchedRecord,
    ) -> BoxFuture<'a, Result<(), HeartbeatError>> {
        self.table.lock().watched = Some(rec.clone());
        Box::pin(std::future::ready(Ok(())))
    }
}
