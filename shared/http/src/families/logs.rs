//! How the logs domain's [`LogError`] answers over Lookout's own log routes
//! (`/admin/log_users`, `GET /logs`). `/send_logs` answers in seed 000's format instead: its
//! function maps the same enum to the seed's replies, in one place too.

use lookout_logs::LogError;

use crate::error::AppError;

/// Lookout's own log routes (`/admin/log_users`, `GET /logs`).
impl From<LogError> for AppError {
    fn from(err: LogError) -> Self {
        match err {
            LogError::Invalid(msg) => Self::Validation(msg),
            LogError::TooLarge => Self::PayloadTooLarge(err.to_string()),
            LogError::Forbidden(msg) => Self::Forbidden(msg),
            // `GET /logs` has always worded it so.
            LogError::TokenMismatch => Self::Forbidden("X-User-Token does not match user".into()),
            LogError::UnknownUser(_) => Self::NotFound(err.to_string()),
            LogError::UserExists(_) => Self::Conflict(err.to_string()),
            LogError::Quota(q) => Self::TooManyRequests(q),
            LogError::Store(err) => err.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lookout_core::{quota::QuotaExceeded, StoreError};

    #[test]
    fn each_failure_gets_its_status() {
        let status = |e: LogError| AppError::from(e).status().as_u16();
        assert_eq!(status(LogError::Invalid("x".into())), 400);
        assert_eq!(status(LogError::TooLarge), 413);
        assert_eq!(status(LogError::Forbidden("x".into())), 403);
        assert_eq!(status(LogError::TokenMismatch), 403);
        assert_eq!(status(LogError::UnknownUser("ann".into())), 404);
        assert_eq!(status(LogError::UserExists("ann".into())), 409);
        assert_eq!(status(LogError::Store(StoreError::invariant("x"))), 500);
        let quota = QuotaExceeded::new("x", 5);
        assert_eq!(status(LogError::Quota(quota)), 429);
    }
}
