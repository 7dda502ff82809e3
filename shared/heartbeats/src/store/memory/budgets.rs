//! [`MemoryBudgets`]: the alert budgets in memory, one item per scope and hour.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use lookout_core::{quota, time::Timestamp, BoxFuture};

use crate::error::HeartbeatError;
use crate::store::budgets::{budget_pk, hour_of, BudgetRecord, Budgets, HOUR_MS};
use crate::store::memory::{unavailable, Shared};

/// The alert budget items in memory (see [`crate::store::memory`]). Clones share the items.
#[derive(Debug, Clone)]
pub struct MemoryBudgets {
    table: Shared,
    alerts_per_hour: u32,
    failing: Arc<AtomicBool>,
}

impl Default for MemoryBudgets {
    fn default() -> Self {
        Self::over(Shared::default())
    }
}

impl MemoryBudgets {
    pub(crate) fn over(table: Shared) -> Self {
        Self {
            table,
            alerts_per_hour: quota::DEFAULT_ALERTS_PER_HOUR,
            failing: Arc::default(),
        }
    }

    /// The same items with another alert budget per scope and hour.
    pub fn with_alert_budget(mut self, per_hour: u32) -> Self {
        self.alerts_per_hour = per_hour;
        self
    }

    /// While on, every call fails as DynamoDB does in an outage.
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// Alerts of `scope` counted in the hour of `at`, and how many of them were folded.
    pub fn counted(&self, scope: &str, at: Timestamp) -> (u64, u64) {
        let table = self.table.lock();
        table
            .budgets
            .get(&budget_pk(scope, hour_of(at)))
            .map_or((0, 0), |r| (r.n, r.folded))
    }

    /// The item of `scope`'s hour of `at`, as stored.
    #[cfg(test)]
    pub(crate) fn record(&self, scope: &str, at: Timestamp) -> Option<BudgetRecord> {
        let table = self.table.lock();
        table.budgets.get(&budget_pk(scope, hour_of(at))).cloned()
    }

    fn check(&self) -> Result<(), HeartbeatError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(unavailable("alert budgets"));
        }
        Ok(())
    }

    fn add(&self, scope: &str, now: Timestamp) -> Result<BudgetRecord, HeartbeatError> {
        self.check()?;
        let hour = hour_of(now);
        let pk = budget_pk(scope, hour);
        let mut table = self.table.lock();
        let rec = table
            .budgets
            .entry(pk.clone())
            .or_insert_with(|| BudgetRecord {
                pk,
                scope: scope.to_owned(),
                hour,
                budget: self.alerts_per_hour,
                n: 0,
                folded: 0,
                lines: Vec::new(),
                due_at: None,
            });
        rec.n += 1;
        Ok(rec.clone())
    }

    fn add_folded(&self, rec: &BudgetRecord, line: Option<&str>) -> Result<(), HeartbeatError> {
        self.check()?;
        let mut table = self.table.lock();
        let stored = table
            .budgets
            .entry(rec.pk.clone())
            .or_insert_with(|| rec.clone());
        stored.folded += 1;
        stored.due_at = Some(rec.hour + HOUR_MS);
        if let Some(line) = line {
            stored.lines.push(line.to_owned());
        }
        Ok(())
    }

    fn off_due(&self, pk: &str) -> Result<(), HeartbeatError> {
        self.check()?;
        if let Some(stored) = self.table.lock().budgets.get_mut(pk) {
            stored.due_at = None;
        }
        Ok(())
    }
}

impl Budgets for MemoryBudgets {
    fn count<'a>(
        &'a self,
        scope: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<BudgetRecord, HeartbeatError>> {
        Box::pin(std::future::ready(self.add(scope, now)))
    }

    fn fold<'a>(
        &'a self,
        rec: &'a BudgetRecord,
        line: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), HeartbeatError>> {
        Box::pin(std::future::ready(self.add_folded(rec, line)))
    }

    fn clear_due<'a>(&'a self, pk: &'a str) -> BoxFuture<'a, Result<(), HeartbeatError>> {
        Box::pin(std::future::ready(self.off_due(pk)))
    }
}
