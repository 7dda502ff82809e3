//! What the log domain fails with, and its mapping to Lookout's JSON errors (the admin and
//! query routes). `/send_logs` answers in seed 000's format instead: its function maps the same
//! enum to the seed's replies, in one place too.

use lookout_core::{quota::QuotaExceeded, AppError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// Parsed, but breaks a rule (a limit out of range, a bad page token, a bad batch).
    #[error("{0}")]
    Invalid(String),
    /// The request body is over the limit ([`crate::MAX_BODY_BYTES`]).
    #[error("body is larger than 1 MB")]
    TooLarge,
    /// No token, or a body that names no user to check it against.
    #[error("{0}")]
    Forbidden(String),
    /// The `X-User-Token` is not the named user's current token, or the user does not exist
    /// (the same answer either way: no hint about which users exist).
    #[error("user and X-User-Token do not match")]
    TokenMismatch,
    /// Rotating the token of a user that does not exist.
    #[error("log user {0:?} does not exist")]
    UnknownUser(String),
    /// Creating a user that exists.
    #[error("log user {0:?} already exists; send \"rotate\": true to replace its token")]
    UserExists(String),
    /// The user's daily byte quota is used up.
    #[error(transparent)]
    Quota(#[from] QuotaExceeded),
    #[error(transparent)]
    Store(#[from] StoreError),
}

lookout_core::domain_error_conversions!(LogError);

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
