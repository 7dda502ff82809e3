//! The incidents table (`INCIDENTS_TABLE`): one store per aggregate, each a port (a trait)
//! beside its DynamoDB adapter in its own file, and in-memory adapters for the unit tests.
//!
//! - [`apps`]: the apps and their codes ([`apps::Apps`], [`apps::AppStore`]),
//! - [`incidents`]: each incident with its history, and the listings ([`incidents::Incidents`],
//!   [`incidents::IncidentRecordStore`]),
//! - [`groups`]: which incident a group's reports go to, and the heartbeat events applied
//!   ([`groups::Groups`], [`groups::GroupStore`]),
//! - [`overview`]: the console overview's reads, unresolved incidents and the daily volume
//!   ([`overview::Overview`], [`overview::OverviewStore`]),
//! - [`table`]: the table's stores together, as the use cases that span them take them
//!   ([`table::IncidentTable`], [`table::IncidentStore`]),
//! - [`events`]: the apps' daily Sentry event counts ([`events::EventCounts`],
//!   [`events::EventCountStore`]),
//! - [`memory`]: the same ports in memory ([`memory::table::MemoryIncidentStore`]).

pub(crate) mod apps;
pub(crate) mod events;
pub(crate) mod groups;
pub(crate) mod incidents;
pub(crate) mod memory;
pub(crate) mod overview;
pub(crate) mod table;
