//! What the use cases reach, borrowed from a function's dependencies for one call: the stores
//! they read and write, where transitions are announced, and the clock.

use lookout_core::time::Clock;

use crate::events::Notify;
use crate::store::apps::AppStore;
use crate::store::budgets::BudgetStore;
use crate::store::due::DueIndex;
use crate::store::ingestion::IngestionStore;

/// What [`beat`](crate::beat::beat) and [`signal`](crate::signal::signal) reach.
#[derive(Debug, Clone, Copy)]
pub struct ApiPorts<'a> {
    pub apps: &'a AppStore,
    /// Counted by each transition the call announces.
    pub budgets: &'a BudgetStore,
    pub notify: Notify<'a>,
    pub clock: &'a dyn Clock,
}

/// What [`scan`](crate::scan::scan) reaches (its `now` is the schedule's, not a clock's).
#[derive(Debug, Clone, Copy)]
pub struct ScanPorts<'a> {
    pub apps: &'a AppStore,
    pub due: &'a DueIndex,
    pub ingestion: &'a IngestionStore,
    pub budgets: &'a BudgetStore,
    pub notify: Notify<'a>,
}
