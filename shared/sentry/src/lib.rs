//! Sentry's ingestion protocol, pure: what official Sentry SDKs send, read into neutral
//! drafts for Lookout's domains. No I/O, no HTTP framework, no AWS.
//!
//! A request to `/api/<project>/envelope/` (or the legacy `/store/`) goes:
//!
//! 1. [`project_id_from_path`] (project and [`Endpoint`]); the public key from
//!    `X-Sentry-Auth` ([`sentry_key_from_header`]) or the query ([`sentry_key_from_query`]).
//! 2. [`decode_body`]: `Content-Encoding` (gzip, deflate, br) undone, bounded against zip
//!    bombs ([`MAX_BODY_BYTES`] as received, [`MAX_DECODED_BYTES`] decoded).
//! 3. [`parse_envelope`] (or [`parse_store`]): items framed by hand; `event`, `check_in` and
//!    `log` items read with sentry-types' structs (after repairing what real SDKs send that
//!    those structs reject); every other item type kept only as [`Item::Dropped`].
//! 4. Drafts: [`event_draft`] ([`IncidentDraft`]: title, message, level, group key, bounded
//!    snapshot), [`check_in_draft`] ([`CheckInDraft`]), [`log_drafts`] ([`LogDraft`]).
//! 5. Replies: when over a limit, `429` with `Retry-After` and [`rate_limits_header`], which
//!    SDKs honour by backing off.
//!
//! DSNs: [`parse_dsn`] (the domain issues them: `lookout_incidents::format_dsn`).

mod auth;
mod body;
mod check_in;
mod envelope;
mod incident;
mod lenient;
mod logs;
mod reply;
mod snapshot;
mod text;

#[cfg(test)]
mod tests;

// Who sends
pub use auth::{
    parse_dsn, project_id_from_path, sentry_key_from_header, sentry_key_from_query, Endpoint,
};

// Bodies
pub use body::{decode_body, BodyError, MAX_BODY_BYTES, MAX_DECODED_BYTES};

// Envelopes
pub use envelope::{parse_envelope, parse_store, Envelope, EnvelopeError, Item, MAX_ITEMS};

// Drafts
pub use check_in::{check_in_draft, CheckInDraft, CheckInStatus, MonitorDraft, ScheduleDraft};
pub use incident::{event_draft, IncidentDraft, MAX_MESSAGE_CHARS, MAX_TITLE_CHARS};
pub use logs::{log_drafts, LogDraft};
pub use snapshot::MAX_SNAPSHOT_BYTES;

// Replies
pub use reply::rate_limits_header;

/// sentry-types' protocol structs that the API above takes and returns.
pub use sentry_types::protocol::v7 as protocol;
