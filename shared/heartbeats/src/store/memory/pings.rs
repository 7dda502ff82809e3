//! [`MemoryPings`]: the `ping` index (over the in-memory apps) and the outputs in memory.

use lookout_core::BoxFuture;

use crate::error::HeartbeatError;
use crate::record::AppRecord;
use crate::store::memory::{version_holds, Shared};
use crate::store::pings::{output_pk, PingOutput, PingTarget, Pings};
use crate::store::Put;

/// The ping index and outputs in memory (see [`crate::store::memory`]). Clones share them.
#[derive(Debug, Clone, Default)]
pub struct MemoryPings {
    table: Shared,
}

impl MemoryPings {
    pub(crate) fn over(table: Shared) -> Self {
        Self { table }
    }

    /// The outputs stored, in key order.
    pub fn stored_outputs(&self) -> Vec<PingOutput> {
        self.table.lock().outputs.values().cloned().collect()
    }
}

impl Pings for MemoryPings {
    fn find<'a>(
        &'a self,
        ping_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<PingTarget>, HeartbeatError>> {
        Box::pin(async move {
            let table = self.table.lock();
            Ok(table
                .apps
                .values()
                .find(|a| a.ping_id.as_deref() == Some(ping_id))
                .map(|a| PingTarget {
                    tenant: a.tenant.clone(),
                    app_id: a.app_id.clone(),
                }))
        })
    }

    fn put_with_output<'a>(
        &'a self,
        rec: &'a AppRecord,
        expected: Option<u64>,
        output: &'a PingOutput,
    ) -> BoxFuture<'a, Result<Put<AppRecord>, HeartbeatError>> {
        Box::pin(async move {
            let mut table = self.table.lock();
            let current = table.apps.get(&rec.pk);
            if !version_holds(expected, current) {
                return Ok(Put::Conflict(current.cloned().map(Box::new)));
            }
            table.apps.insert(rec.pk.clone(), rec.clone());
            table.outputs.insert(output.pk.clone(), output.clone());
            Ok(Put::Written)
        })
    }

    fn output<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<PingOutput>, HeartbeatError>> {
        Box::pin(async move { Ok(self.table.lock().outputs.get(&output_pk(id)).cloned()) })
    }
}
