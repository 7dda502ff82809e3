//! The in-memory [`UsageCounts`]: each tenant's sends per UTC day.

use lookout_core::auth::Tenant;
use lookout_core::quota::utc_day;
use lookout_core::time::Timestamp;
use lookout_core::BoxFuture;

use crate::error::BroadcastError;
use crate::store::memory::SharedTable;
use crate::store::usage::UsageCounts;

/// A tenant's daily send counts in memory. Clones share them.
#[derive(Debug, Clone, Default)]
pub struct MemoryUsageCounts {
    table: SharedTable,
}

impl MemoryUsageCounts {
    pub(crate) fn over(table: SharedTable) -> Self {
        Self { table }
    }
}

impl UsageCounts for MemoryUsageCounts {
    fn sends_today<'a>(
        &'a self,
        tenant: &'a Tenant,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<u64, BroadcastError>> {
        Box::pin(async move {
            let key = (tenant.as_str().to_owned(), utc_day(now));
            Ok(self
                .table
                .lock()
                .daily_sends
                .get(&key)
                .copied()
                .unwrap_or(0))
        })
    }

    fn count_send<'a>(&'a self, tenant: &'a Tenant, now: Timestamp) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let key = (tenant.as_str().to_owned(), utc_day(now));
            *self.table.lock().daily_sends.entry(key).or_default() += 1;
        })
    }
}
