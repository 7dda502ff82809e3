//! [`MemoryDue`]: the sparse `due` index over the in-memory table: an app while it has both
//! `dueShard` and `dueAt`, an alert budget once something was folded (until its digest is
//! cleared), read shard by shard in `dueAt` order, as the scanner's queries read them.

use std::collections::BTreeMap;

use lookout_core::{time::Timestamp, BoxFuture};

use crate::error::HeartbeatError;
use crate::input::AppState;
use crate::limits::index_shards;
use crate::output::ScanReport;
use crate::record::{shard_name, shard_of, AppRecord};
use crate::store::budgets::BudgetRecord;
use crate::store::due::{DueItems, DueNow};
use crate::store::memory::Shared;
use crate::store::QUERY_PAGE;
use crate::time::millis;

/// The `due` index in memory (see [`crate::store::memory`]).
#[derive(Debug, Clone, Default)]
pub struct MemoryDue {
    table: Shared,
}

/// An item of the index.
enum Due {
    App(Box<AppRecord>),
    Budget(BudgetRecord),
}

impl MemoryDue {
    pub(crate) fn over(table: Shared) -> Self {
        Self { table }
    }

    /// The index's items in `shard` up to `until` (epoch ms; every item for `None`), in
    /// `dueAt` order.
    fn shard(&self, shard: &str, until: Option<i64>) -> Vec<Due> {
        let table = self.table.lock();
        let within = |at: i64| until.is_none_or(|u| at <= u);
        let apps = table
            .apps
            .values()
            .filter_map(|r| match (&r.due_shard, r.due_at) {
                (Some(s), Some(at)) if s == shard && within(at) => {
                    Some((at, Due::App(Box::new(r.clone()))))
                }
                _ => None,
            });
        let budgets = table.budgets.values().filter_map(|b| match b.due_at {
            Some(at) if shard_of(&b.pk) == shard && within(at) => {
                Some((at, Due::Budget(b.clone())))
            }
            _ => None,
        });
        let mut items: Vec<(i64, Due)> = apps.chain(budgets).collect();
        items.sort_by_key(|(at, _)| *at);
        items.into_iter().map(|(_, item)| item).collect()
    }

    fn read(&self, now: Timestamp, max_apps: usize, report: &mut ScanReport) -> DueNow {
        let mut due = DueNow::default();
        let page = usize::try_from(QUERY_PAGE).unwrap_or(1);
        'shards: for shard in 0..index_shards() {
            let items = self.shard(&shard_name(shard), Some(millis(now)));
            report.queries += u64::try_from(items.len().div_ceil(page).max(1)).unwrap_or(1);
            report.items_read += u64::try_from(items.len()).unwrap_or(u64::MAX);
            for item in items {
                match item {
                    Due::Budget(rec) => due.budgets.push(rec),
                    Due::App(rec) => {
                        if usize::try_from(report.due).unwrap_or(usize::MAX) >= max_apps {
                            report.truncated = true;
                            break 'shards;
                        }
                        report.due += 1;
                        due.apps.push(*rec);
                    }
                }
            }
        }
        due
    }

    /// `up` apps per tenant; one page per shard (`None` when that is more than `max_pages`).
    fn watched(&self, max_pages: usize) -> Option<BTreeMap<String, u64>> {
        if usize::try_from(index_shards()).unwrap_or(usize::MAX) > max_pages {
            return None;
        }
        let mut out = BTreeMap::new();
        for shard in 0..index_shards() {
            for item in self.shard(&shard_name(shard), None) {
                if let Due::App(rec) = item {
                    if rec.state == AppState::Up {
                        *out.entry(rec.tenant).or_insert(0) += 1;
                    }
                }
            }
        }
        Some(out)
    }
}

impl DueItems for MemoryDue {
    fn read_due<'a>(
        &'a self,
        now: Timestamp,
        max_apps: usize,
        report: &'a mut ScanReport,
    ) -> BoxFuture<'a, DueNow> {
        Box::pin(std::future::ready(self.read(now, max_apps, report)))
    }

    fn watched_by_tenant(
        &self,
        max_pages: usize,
    ) -> BoxFuture<'_, Result<Option<BTreeMap<String, u64>>, HeartbeatError>> {
        Box::pin(std::future::ready(Ok(self.watched(max_pages))))
    }
}
