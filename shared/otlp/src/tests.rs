//! The crate's unit tests, one module per part, and the bodies the real exporters sent
//! (`tests/recorded/`, described by its `index.json`).

mod any_value;
mod body;
mod json;
mod protobuf;
mod recorded;
mod reply;
mod severity;
mod support;
