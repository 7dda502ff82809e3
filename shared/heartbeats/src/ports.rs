//! What the use cases reach, borrowed from a function's dependencies for one call: the stores
//! they read and write (their ports: the DynamoDB stores of [`HeartbeatStore`](crate::HeartbeatStore)
//! or the in-memory ones of [`MemoryHeartbeatStore`](crate::MemoryHeartbeatStore)), where
//! transitions are announced, and the clock.

use lookout_core::time::Clock;

use crate::events::Notify;
use crate::store::apps::Apps;
use crate::store::budgets::Budgets;
use crate::store::due::DueItems;
use crate::store::ingestion::IngestionRecords;

/// What [`beat`](crate::beat::beat) and [`signal`](crate::signal::signal) reach.
#[derive(Debug, Clone, Copy)]
pub struct ApiPorts<'a> {
    pub apps: &'a dyn Apps,
    /// Counted by each transition the call announces.
    pub budgets: &'a dyn Budgets,
    pub notify: Notify<'a>,
    pub clock: &'a dyn Clock,
}

/// What [`scan`](crate::scan::scan) reaches (its `now` is the schedule's, not a clock's).
#[derive(Debug, Clone, Copy)]
pub struct ScanPorts<'a> {
    pub apps: &'a dyn Apps,
    pub due: &'a dyn DueItems,
    pub ingestion: &'a dyn IngestionRecords,
    pub budgets: &'a dyn Budgets,
    pub notify: Notify<'a>,
}
