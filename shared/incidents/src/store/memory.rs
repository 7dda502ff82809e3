//! The incidents table's ports in memory, for unit tests (this crate's and other crates'):
//! the same answers as the DynamoDB adapters where the use cases depend on them (conditional
//! writes fail with the same errors, the opening of an incident writes it, its group's
//! pointer and the day's counter all or nothing), without TTLs or read bounds.
//!
//! [`table::MemoryIncidentStore`] holds one adapter per port over one shared state, as
//! [`crate::store::table::IncidentStore`] holds the DynamoDB ones over one table. Clones
//! share the state.

pub(crate) mod apps;
pub(crate) mod events;
pub(crate) mod groups;
pub(crate) mod incidents;
pub(crate) mod overview;
pub(crate) mod state;
pub(crate) mod table;
