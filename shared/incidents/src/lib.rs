//! Incident dispatch (seed 001): apps with generated codes, incidents, grouping, history.
//!
//! One table (`INCIDENTS_TABLE`, keys `pk`/`sk`), one store per aggregate ([`store`]):
//!
//! | item     | pk                          | sk                 | GSIs |
//! |----------|-----------------------------|--------------------|------|
//! | app      | `APPS`                      | `<name>`           | – |
//! | incident | `INC#<id>`                  | `META`             | `by-app`: `APP#<name>` / `<lastSeen>#<id>`; `by-time`: `INCIDENTS` / `<lastSeen>#<id>`; `open` (unresolved): `OPEN` / `<lastSeen>#<id>` |
//! | history  | `INC#<id>`                  | `HIST#<at>#<n>`    | – |
//! | group    | `GROUP#<app>#<hash>`        | `GROUP`            | – |
//! | volume   | `VOLUME`                    | `<YYYY-MM-DD>`     | – (incidents opened that UTC day: `opened`, `level#<level>`) |
//!
//! Grouping: a new incident with the same app, title and level as one that is not resolved
//! bumps that incident's `count` and `lastSeen` instead of creating another; the group item
//! points at the current incident. Only a new incident notifies the admin.
//!
//! App codes are random, shown once, stored as SHA-256, compared in constant time.
//!
//! A request goes function → use case → store: `report` ([`report()`]), the app admin's
//! [`register_app`] and [`update_app`], [`update_incident`], the heartbeat consumer's
//! [`apply_transition`]; the rest of the admin routes read or delete through one store
//! (`deps.store.apps`, `deps.store.incidents`).
//!
//! Each store is a port per aggregate ([`Apps`], [`Incidents`], [`Groups`], the read model
//! [`Overview`]; together [`IncidentTable`]) with a DynamoDB adapter ([`IncidentStore`]'s) and
//! an in-memory one ([`MemoryIncidentStore`]'s), on which the use cases are unit-tested.

mod apps;
mod deps;
mod edits;
mod error;
mod grouping;
mod input;
mod notify;
mod occurrence;
mod overview;
mod ports;
mod records;
mod report;
mod snapshot;
mod store;
mod tenant_alerts;
mod transitions;

#[cfg(test)]
mod tests;

// Use cases
pub use apps::{authenticate_dsn, list_apps, register_app, update_app};
pub use edits::update_incident;
pub use notify::announce;
pub use report::{report, report_event, ReportPorts};
pub use transitions::{apply_transition, heartbeat_app_name, TransitionOutcome};

// Ports: what reporting needs from the other domains and the admin's channels
pub use ports::{AdminChat, AlertBudget, AppContext, PortError, Spend};
pub use tenant_alerts::{SqsTenantAlerts, TenantAlerts};

// Stores: a port per aggregate, its DynamoDB adapter, its in-memory adapter (for tests)
pub use store::apps::{AppStore, Apps};
pub use store::events::{EventCount, EventCountStore, EventCounts};
pub use store::groups::Groups;
pub use store::incidents::{IncidentRecordStore, Incidents};
pub use store::memory::apps::MemoryApps;
pub use store::memory::events::MemoryEventCounts;
pub use store::memory::groups::MemoryGroups;
pub use store::memory::incidents::MemoryIncidents;
pub use store::memory::overview::MemoryOverview;
pub use store::memory::table::MemoryIncidentStore;
pub use store::overview::Overview;
pub use store::table::{IncidentStore, IncidentTable};

// Input
pub use input::{
    AppIn, AppLinks, AppName, IncidentBody, IncidentLevel, IncidentQuery, IncidentUpdate,
    NewIncident, SentLogs, SentryEvent, Status, MAX_MESSAGE, MAX_PAGE,
};

// Output
pub use overview::{DayVolume, OpenIncident, OpenIncidents};
pub use records::{
    format_dsn, App, AppList, AppView, AppWithCode, Change, DsnKey, Group, Incident,
    IncidentDetail, IncidentPage, Reported,
};
pub use snapshot::{Enrichment, MAX_SNAPSHOT_LOG_BYTES};

// Errors
pub use error::IncidentError;

// Function wiring (the admin functions' dependencies)
pub use deps::AdminDeps;
