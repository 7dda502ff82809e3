//! What the broadcast side (contacts, sends, deliveries, dispatch) fails with, and the one
//! place it becomes HTTP for the seed-003 routes.

use lookout_core::quota::QuotaExceeded;
use lookout_core::StoreError;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Text shown in an error message: at most 80 characters of what the client sent.
pub(crate) fn shown(s: &str) -> String {
    let cut: String = s.chars().take(80).collect();
    if cut.len() < s.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BroadcastError {
    /// Parsed, but breaks a rule (names, messengers, times, limits, page tokens).
    #[error("{0}")]
    Invalid(String),
    /// The request body is over the limit.
    #[error("{0}")]
    TooLarge(String),
    /// An address that is the admin's (`Reserved`): no tenant may message it.
    #[error("{0}")]
    Reserved(String),
    /// None of the names a send was given is a contact of the user: nothing was sent.
    #[error("no such contact of user {user:?}: {}; nothing was sent", names.join(", "))]
    NoSuchContacts { user: String, names: Vec<String> },
    /// A tenant quota is used up.
    #[error(transparent)]
    Quota(#[from] QuotaExceeded),
    /// An `Idempotency-Key` reused with a different request.
    #[error("this Idempotency-Key was already used for a different request")]
    KeyReused,
    /// Queueing or scheduling a send failed (SQS, EventBridge Scheduler), or a stored value
    /// broke an invariant.
    #[error("{0}")]
    Fault(#[source] BoxError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl BroadcastError {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::Invalid(msg.into())
    }

    pub fn fault(err: impl Into<BoxError>) -> Self {
        Self::Fault(err.into())
    }
}

lookout_core::domain_error_conversions!(BroadcastError);
