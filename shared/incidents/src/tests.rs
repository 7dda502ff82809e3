//! The crate's unit tests: its pure parts, and each use case over the in-memory store
//! adapters (Arrange/Act/Assert, asserting what is stored and what was emitted).

mod apps;
mod pure;
mod queries;
mod report;
mod sentry;
mod support;
mod transitions;
mod update_incident;
