//! Session/event tracker (seed 004): API types, validation and DynamoDB storage.
//!
//! One table (`TRACKER_TABLE`, keys `pk`/`sk`, GSI `machine-events` on `gsi1pk`/`gsi1sk`):
//!
//! | item    | pk                   | sk                              | gsi1pk                         | gsi1sk                          |
//! |---------|----------------------|---------------------------------|--------------------------------|---------------------------------|
//! | session | `SESSION#<id>`       | `META`                          | –                              | –                               |
//! | event   | `SESSION#<id>`       | `EVENT#<eventAt>#<eventId>`     | `MACHINE#<tenant>#<machineId>` | `<eventAt>#<sessionId>#<eventId>` |
//! | quota   | `QUOTA#<tenant>`     | `DAY#<day>`                     | –                              | –                               |
//!
//! `get_session` is one Query on the session's partition (events come back sorted by time,
//! then the META item; a page that ends before it reads META by its key);
//! `get_machine_events` is one Query on the GSI. Both page by count and by bytes
//! (`lookout_core::page`). Nothing scans.
//! Event ids are derived from the event's content, so a retried `add_event` overwrites
//! instead of duplicating.
//!
//! ## Where to read
//! A function parses its request, calls one use case (`lookout_tracker::add_events(…)`, in
//! `add_events.rs`), and maps the result. A use case names the stores it touches as its
//! parameters, one port per aggregate (`store/`): [`Sessions`], [`Events`], and the tenants'
//! daily [`QuotaCounters`]. Functions pass the DynamoDB adapters ([`TrackerStore`]); the unit
//! tests (`src/tests/`) pass the in-memory ones ([`MemoryTracker`]).

// Use cases: what the tracker functions do, each in its own file named after it. Each names
// the stores it touches as its parameters and fails with a `TrackerError`.
mod add_events;
mod end_session;
mod get_machine_events;
mod get_session;
mod start_session;
pub use add_events::add_events;
pub use end_session::end_session;
pub use get_machine_events::get_machine_events;
pub use get_session::get_session;
pub use start_session::start_session;

// By concern: what clients send and get back (validated types), what is stored (records and
// keys), the stores that read and write them, and what they fail with.
mod deps;
mod error;
mod input;
mod limits;
mod output;
mod quota;
mod records;
mod store;
mod tracker_store;

// Stores, one per aggregate: the port a use case takes, its DynamoDB adapter and its in-memory
// one (for unit tests, here and in other crates); the bundles of them, and what a tracker
// function's handler holds.
pub use deps::Deps;
pub use store::events::{EventStore, Events};
pub use store::memory::{MemoryEvents, MemoryQuotaCounters, MemorySessions, MemoryTracker};
pub use store::quota_counters::{QuotaCounterStore, QuotaCounters};
pub use store::sessions::{SessionStore, Sessions};
pub use tracker_store::TrackerStore;

// Types: what clients send and get back, and the daily quota.
pub use input::{
    AddEvents, EndSession, GetMachineEvents, GetSession, Id, NewEvent, OrgId, Payload, StartSession,
};
pub use output::{EventOut, MachineEventsOut, Received, SessionOut, Started};
pub use quota::TrackerQuota;

// Errors.
pub use error::TrackerError;

#[cfg(test)]
mod tests;
