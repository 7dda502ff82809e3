//! What a send to a messenger returns: accepted, or why not (and whether a retry may help).

use crate::outbound::kind::MessengerKind;

/// A message the messenger accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The provider's id of the message, when it returns one.
    pub provider_id: Option<String>,
}

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessengerError {
    #[error("{0} is not configured")]
    NotConfigured(MessengerKind),
    /// The messenger refused the message; sending it again will not help.
    #[error("{kind} rejected the message ({status}): {detail}")]
    Rejected {
        kind: MessengerKind,
        status: u16,
        detail: String,
    },
    /// The messenger could not be reached or asked to come back later.
    #[error("{kind} unavailable{}: {detail}", status.map(|s| format!(" ({s})")).unwrap_or_default())]
    Unavailable {
        kind: MessengerKind,
        status: Option<u16>,
        detail: String,
    },
    /// A text sent in parts failed after the messenger had accepted some of them. Permanent
    /// whatever `cause` was: sending the text again would repeat the accepted parts.
    #[error("{kind} accepted {accepted} of {total} parts, then part {failed} failed: {cause}; not sent again, so no part arrives twice", failed = .accepted + 1)]
    PartlySent {
        kind: MessengerKind,
        accepted: usize,
        total: usize,
        cause: Box<MessengerError>,
    },
}

impl MessengerError {
    /// True when a later retry may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}
