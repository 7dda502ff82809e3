//! OpenTelemetry logs over OTLP/HTTP, pure: what real OpenTelemetry exporters `POST` to
//! `/v1/logs`, read into neutral drafts for Lookout's logs domain, and the protocol's answers.
//! No I/O, no HTTP framework, no AWS; authentication (`X-User-Token`) is the caller's.
//!
//! A request goes:
//!
//! 1. [`format_of`] the `Content-Type`: [`Format::Protobuf`] (`application/x-protobuf`, the
//!    default of the Python, Go, Java and Rust exporters) or [`Format::Json`]
//!    (`application/json`, the default of the JavaScript exporter); anything else is
//!    [`OtlpError::UnsupportedMediaType`] (answer `415`).
//! 2. [`decode_request`]: the size bounds ([`MAX_BODY_BYTES`] as received,
//!    [`MAX_DECODED_BYTES`] once inflated, checked while inflating), `Content-Encoding` undone,
//!    the `ExportLogsServiceRequest` decoded (prost for protobuf; a lenient OTLP/JSON reader
//!    for JSON), at most [`MAX_RECORDS`] records, and each record turned into a [`LogDraft`]
//!    grouped by resource ([`ResourceLogs`]: the `service.name` and the drafts).
//! 3. The answer, in the request's format: [`encode_response`] (`200`, an
//!    `ExportLogsServiceResponse`, with `partial_success` only when records were rejected) or
//!    [`encode_status`] (`4xx`/`5xx`, a `google.rpc.Status` as OTLP/HTTP asks).
//!
//! What the real exporters send is recorded in `tests/recorded/` (see its `index.json`) and
//! decoded by this crate's tests.

mod body;
mod draft;
mod error;
mod json;
mod reply;

#[cfg(test)]
mod tests;

// Bodies
pub use body::{format_of, Format, MAX_BODY_BYTES, MAX_DECODED_BYTES};

// Requests
pub use draft::{decode_request, Level, LogDraft, ResourceLogs, MAX_RECORDS};
pub use error::OtlpError;

// Answers
pub use reply::{encode_response, encode_status, Status};

/// opentelemetry-proto's prost-generated messages that this crate reads and writes.
pub use opentelemetry_proto::tonic as proto;
