//! [`MemoryPings`]: the `ping` index (over the in-memory apps) and the outputs in memory.

use lookout_core::BoxFuture;

use crate::error::HeartbeatError;
use crate::store::memory::Shared;
use crate::store::pings::{output_pk, PingOutput, PingTarget, Pings};

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

    fn put_output<'a>(
        &'a self,
        output: &'a PingOutput,
    ) -> BoxFuture<'a, Result<(), HeartbeatError>> {
        Box::pin(async move {
            self.table
                .lock()
                .outputs
                .insert(output.pk.clone(), output.clone());
            Ok(())
        })
    }

    fn output<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<PingOutput>, HeartbeatError>> {
        Box::pin(async move { Ok(self.table.lock().outputs.get(&output_pk(id)).cloned()) })
    }
}
