//! What the log domain fails with.

use lookout_core::{quota::QuotaExceeded, StoreError};

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
