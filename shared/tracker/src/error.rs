//! What the tracker fails with, and the one place that becomes HTTP for its API family.

use lookout_core::{AppError, StoreError};

/// Every failure of a tracker operation. The store and the input rules return it; only
/// [`From<TrackerError> for AppError`](AppError) below picks statuses.
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

/// The tracker routes' statuses (seed 004): 400, 404, 409, and the generic 5xx for storage.
impl From<TrackerError> for AppError {
    fn from(err: TrackerError) -> Self {
        match err {
            TrackerError::Invalid(msg) => Self::Validation(msg),
            TrackerError::SessionNotFound => Self::NotFound(err.to_string()),
            TrackerError::AlreadyEnded | TrackerError::SessionEnded => {
                Self::Conflict(err.to_string())
            }
            TrackerError::Quota(q) => Self::TooManyRequests(q),
            TrackerError::Store(err) => err.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_gets_its_status_and_storage_stays_generic() {
        let status = |e: TrackerError| AppError::from(e).status().as_u16();
        assert_eq!(status(TrackerError::Invalid("x".into())), 400);
        assert_eq!(status(TrackerError::SessionNotFound), 404);
        assert_eq!(status(TrackerError::AlreadyEnded), 409);
        assert_eq!(status(TrackerError::SessionEnded), 409);
        let quota = lookout_core::quota::QuotaExceeded::new("x", 60);
        assert_eq!(status(TrackerError::Quota(quota)), 429);
        let store = AppError::from(TrackerError::Store(StoreError::invariant("secret detail")));
        assert_eq!(store.status().as_u16(), 500);
        let body = store.into_response();
        assert!(!std::str::from_utf8(body.body().as_ref())
            .unwrap_or_default()
            .contains("secret detail"));
    }
}
