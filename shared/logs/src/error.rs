//! What the log store fails with, and its mapping to Lookout's JSON errors (the admin and
//! query routes). `/send_logs` answers in seed 000's format instead: its function maps the same
//! enum to the seed's replies, in one place too.

use lookout_core::{AppError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    /// Parsed, but breaks a rule (a limit out of range, a bad page token, a bad batch).
    #[error("{0}")]
    Invalid(String),
    /// The request body is over the limit ([`crate::MAX_BODY_BYTES`]).
    #[error("body is larger than 1 MB")]
    TooLarge,
    /// No token, an unknown user, or a token that is not the user's.
    #[error("{0}")]
    Forbidden(String),
    /// Rotating the token of a user that does not exist.
    #[error("log user {0:?} does not exist")]
    UnknownUser(String),
    /// Creating a user that exists.
    #[error("log user {0:?} already exists; send \"rotate\": true to replace its token")]
    UserExists(String),
    /// The user's daily byte quota is used up.
    #[error(transparent)]
    Quota(#[from] lookout_core::quota::QuotaExceeded),
    #[error(transparent)]
    Store(#[from] StoreError),
}

lookout_core::domain_error_conversions!(LogsError);

/// Lookout's own log routes (`/admin/log_users`, `GET /logs`).
impl From<LogsError> for AppError {
    fn from(err: LogsError) -> Self {
        match err {
            LogsError::Invalid(msg) => Self::Validation(msg),
            LogsError::TooLarge => Self::PayloadTooLarge(err.to_string()),
            LogsError::Forbidden(msg) => Self::Forbidden(msg),
            LogsError::UnknownUser(_) => Self::NotFound(err.to_string()),
            LogsError::UserExists(_) => Self::Conflict(err.to_string()),
            LogsError::Quota(q) => Self::TooManyRequests(q),
            LogsError::Store(err) => err.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_gets_its_status() {
        let status = |e: LogsError| AppError::from(e).status().as_u16();
        assert_eq!(status(LogsError::Invalid("x".into())), 400);
        assert_eq!(status(LogsError::TooLarge), 413);
        assert_eq!(status(LogsError::Forbidden("x".into())), 403);
        assert_eq!(status(LogsError::UnknownUser("ann".into())), 404);
        assert_eq!(status(LogsError::UserExists("ann".into())), 409);
        assert_eq!(status(LogsError::Store(StoreError::invariant("x"))), 500);
        let quota = lookout_core::quota::QuotaExceeded::new("x", 5);
        assert_eq!(status(LogsError::Quota(quota)), 429);
    }
}
