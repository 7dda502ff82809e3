//! [`MemoryWatch`]: the sparse `watch` index over the in-memory table: late (`up`, past their
//! expected time) and down apps, read shard by shard in `watchAt` order as the overview reads
//! them.

use lookout_core::{time::Timestamp, BoxFuture};

use crate::error::HeartbeatError;
use crate::limits::index_shards;
use crate::overview::{Attention, MAX_ATTENTION};
use crate::record::{shard_name, AppRecord};
use crate::store::memory::Shared;
use crate::store::watch::{oldest_first, WatchItem, Watchlist};
use crate::time::millis;

/// The `watch` index in memory (see [`crate::store::memory`]).
#[derive(Debug, Clone, Default)]
pub struct MemoryWatch {
    table: Shared,
}

impl MemoryWatch {
    pub(crate) fn over(table: Shared) -> Self {
        Self { table }
    }

    fn read(&self, now: Timestamp) -> Attention {
        let table = self.table.lock();
        let mut out = Attention::default();
        let mut read = 0_usize;
        'shards: for shard in 0..index_shards() {
            let shard = shard_name(shard);
            let mut items: Vec<(i64, &AppRecord)> = table
                .apps
                .values()
                .filter_map(|r| match (&r.watch_shard, r.watch_at) {
                    (Some(s), Some(at)) if *s == shard && at <= millis(now) => Some((at, r)),
                    _ => None,
                })
                .collect();
            items.sort_by_key(|(at, _)| *at);
            for (watch_at, rec) in items {
                read += 1;
                if read > MAX_ATTENTION {
                    out.truncated = true;
                    break 'shards;
                }
                WatchItem {
                    tenant: rec.tenant.clone(),
                    app_id: rec.app_id.clone(),
                    state: rec.state,
                    watch_at,
                    down_since: rec.down_since,
                    down_reason: rec.down_reason.clone(),
                    last_beat_at: rec.last_beat_at,
                    last_message: rec.last_message.clone(),
                }
                .file(&mut out);
            }
        }
        oldest_first(out)
    }
}

impl Watchlist for MemoryWatch {
    fn attention(&self, now: Timestamp) -> BoxFuture<'_, Result<Attention, HeartbeatError>> {
        Box::pin(std::future::ready(Ok(self.read(now))))
    }
}
