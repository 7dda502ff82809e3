//! How the tracker domain's [`TrackerError`] answers over HTTP.

use lookout_tracker::TrackerError;

use crate::error::AppError;

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
    use lookout_core::{quota::QuotaExceeded, StoreError};

    #[test]
    fn each_failure_gets_its_status_and_storage_stays_generic() {
        let status = |e: TrackerError| AppError::from(e).status().as_u16();
        assert_eq!(status(TrackerError::Invalid("x".into())), 400);
        assert_eq!(status(TrackerError::SessionNotFound), 404);
        assert_eq!(status(TrackerError::AlreadyEnded), 409);
        assert_eq!(status(TrackerError::SessionEnded), 409);
        let quota = QuotaExceeded::new("x", 60);
        assert_eq!(status(TrackerError::Quota(quota)), 429);
        let store = AppError::from(TrackerError::Store(StoreError::invariant("secret detail")));
        assert_eq!(store.status().as_u16(), 500);
        let body = store.into_response();
        assert!(!std::str::from_utf8(body.body().as_ref())
            .unwrap_or_default()
            .contains("secret detail"));
    }
}
