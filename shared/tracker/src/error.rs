//! What the tracker fails with.

use lookout_core::StoreError;

/// Every failure of a tracker operation. The store and the input rules return it; only
/// the edge (`lookout-http`'s tracker family) picks statuses.
#[derive(Debug, thiserror::Error)]
pub enum TrackerError {
    /// Parsed, but breaks a rule (an empty event list, `endAt` before `startAt`, a bad page
    /// token or limit).
    #[error("{0}")]
    Invalid(String),
    /// No session with this id for this tenant (another tenant's session is not found either).
    #[error("session not found")]
    SessionNotFound,
    /// `end_session` on a session that has ended.
    #[error("session already ended")]
    AlreadyEnded,
    /// Events for a session that has ended.
    #[error("session has ended; no events can be added")]
    SessionEnded,
    /// The tenant's daily tracker quota is used up (429 with `Retry-After`).
    #[error(transparent)]
    Quota(#[from] lookout_core::quota::QuotaExceeded),
    #[error(transparent)]
    Store(#[from] StoreError),
}

lookout_core::domain_error_conversions!(TrackerError);
