//! The tracker's limits.

/// Events per `add_event` request.
pub(crate) const MAX_EVENTS_PER_REQUEST: usize = 1000;
/// Largest serialised payload of one event.
pub(crate) const MAX_PAYLOAD_BYTES: usize = 32 * 1024;
/// Largest id or type string.
pub(crate) const MAX_ID_LEN: usize = 256;
/// Most events one `get_session` or `get_machine_events` page returns.
pub(crate) const MAX_PAGE: usize = 1000;
