//! The heartbeat table in memory: one adapter per port ([`MemoryApps`], [`MemoryDue`],
//! [`MemoryWatch`], [`MemoryIngestion`], [`MemoryBudgets`]) over one shared table, as the
//! DynamoDB stores share theirs, so what one writes the others read (an app written by
//! [`MemoryApps`] is due in [`MemoryDue`] when its `dueAt` says so). The adapters keep the
//! DynamoDB adapters' semantics where the use cases depend on them: conditional writes answer
//! [`Put::Conflict`](crate::store::Put) with the current item, versions are compared and set, the
//! sparse indexes hold exactly the items with their keys; no TTL, and the indexes are
//! consistent at once.
//!
//! For unit tests of the use cases, here and in other crates ([`MemoryHeartbeatStore`] builds
//! their ports).

use std::sync::{Arc, Mutex, MutexGuard};

use lookout_core::time::Clock;
use lookout_core::StoreError;

use crate::error::HeartbeatError;
use crate::events::Notify;
use crate::ports::{ApiPorts, ScanPorts};
use crate::record::AppRecord;
use crate::store::budgets::BudgetRecord;
use crate::store::ingestion::{HealthRecord, WatchedRecord};
use crate::store::pings::PingOutput;

mod apps;
mod budgets;
mod due;
mod ingestion;
mod pings;
mod watch;

pub use apps::MemoryApps;
pub use budgets::MemoryBudgets;
pub use due::MemoryDue;
pub use ingestion::MemoryIngestion;
pub use pings::MemoryPings;
pub use watch::MemoryWatch;

/// The items of the heartbeat table, by kind and key.
#[derive(Debug, Default)]
pub(crate) struct Table {
    /// `APP#…` items by `pk`.
    pub(crate) apps: std::collections::BTreeMap<String, AppRecord>,
    /// `BUDGET#…` items by `pk`.
    pub(crate) budgets: std::collections::BTreeMap<String, BudgetRecord>,
    /// `SCANNER#ingestion`.
    pub(crate) health: Option<HealthRecord>,
    /// `SCANNER#watched`.
    pub(crate) watched: Option<WatchedRecord>,
    /// `OUTPUT#…` items by `pk`.
    pub(crate) outputs: std::collections::BTreeMap<String, PingOutput>,
}

/// One table shared by the adapters (clones share it).
#[derive(Debug, Clone, Default)]
pub(crate) struct Shared(Arc<Mutex<Table>>);

impl Shared {
    /// The table; a panic of another holder leaves it as that holder left it.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Table> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The condition of an app's whole-item put: the stored item is still at `expected` (absent,
/// for `None`), as `store::apps::version_condition` says it to DynamoDB.
pub(crate) fn version_holds(expected: Option<u64>, current: Option<&AppRecord>) -> bool {
    match (expected, current) {
        (None, None) => true,
        (Some(v), Some(stored)) => stored.version == v,
        _ => false,
    }
}

/// What a switched-off adapter fails with: DynamoDB out of reach.
pub(crate) fn unavailable(store: &str) -> HeartbeatError {
    StoreError::Unavailable(format!("the in-memory {store} are failing").into()).into()
}

/// The heartbeat table's stores in memory (see the module docs): the in-memory counterpart of
/// [`HeartbeatStore`](crate::HeartbeatStore). Clones share the table.
#[derive(Debug, Clone)]
pub struct MemoryHeartbeatStore {
    pub apps: MemoryApps,
    pub due: MemoryDue,
    pub watch: MemoryWatch,
    pub ingestion: MemoryIngestion,
    pub budgets: MemoryBudgets,
    pub pings: MemoryPings,
}

impl Default for MemoryHeartbeatStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryHeartbeatStore {
    /// An empty table with the default app quota and alert budget.
    pub fn new() -> Self {
        let table = Shared::default();
        Self {
            apps: MemoryApps::over(table.clone()),
            due: MemoryDue::over(table.clone()),
            watch: MemoryWatch::over(table.clone()),
            ingestion: MemoryIngestion::over(table.clone()),
            pings: MemoryPings::over(table.clone()),
            budgets: MemoryBudgets::over(table),
        }
    }

    /// The same stores with another per-tenant app quota (`u32::MAX`: unlimited, not counted).
    pub fn with_max_apps(mut self, max_apps: u32) -> Self {
        self.apps = self.apps.with_max_apps(max_apps);
        self
    }

    /// The same stores with another alert budget per scope and hour.
    pub fn with_alert_budget(mut self, per_hour: u32) -> Self {
        self.budgets = self.budgets.with_alert_budget(per_hour);
        self
    }

    /// What one call of [`beat`](crate::beat) or [`signal`](crate::signal) reaches.
    pub fn api_ports<'a>(&'a self, notify: Notify<'a>, clock: &'a dyn Clock) -> ApiPorts<'a> {
        ApiPorts {
            apps: &self.apps,
            budgets: &self.budgets,
            notify,
            clock,
        }
    }

    /// What a [`scan`](crate::scan) run reaches, announcing to `notify`.
    pub fn scan_ports<'a>(&'a self, notify: Notify<'a>) -> ScanPorts<'a> {
        ScanPorts {
            apps: &self.apps,
            due: &self.due,
            ingestion: &self.ingestion,
            budgets: &self.budgets,
            notify,
        }
    }
}
