//! What the heartbeat store fails with, and the one place it becomes HTTP for its routes.

use lookout_core::quota::QuotaExceeded;
use lookout_core::{AppError, StoreError};
use lookout_mail::MailError;

#[derive(Debug, thiserror::Error)]
pub enum HeartbeatError {
    /// Parsed, but breaks a rule (a period or grace out of range, a bad listing query).
    #[error("{0}")]
    Invalid(String),
    /// An admin action for an app that was never registered.
    #[error("app {app_id} of tenant {tenant} is not registered; register it first (no action)")]
    NotRegistered { tenant: String, app_id: String },
    /// A state change the app's state does not allow (pausing a retired app).
    #[error("{0}")]
    StateConflict(String),
    /// Every compare-and-set attempt on one app lost to a concurrent writer.
    #[error("too many concurrent updates of one app; retry")]
    Contention,
    /// The tenant has all the apps its quota allows.
    #[error(transparent)]
    Quota(#[from] QuotaExceeded),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

lookout_core::domain_error_conversions!(HeartbeatError);

/// The heartbeat routes (`/api/apps`, `/admin/heartbeat_apps`).
impl From<HeartbeatError> for AppError {
    fn from(err: HeartbeatError) -> Self {
        match err {
            HeartbeatError::Invalid(msg) => Self::Validation(msg),
            HeartbeatError::NotRegistered { .. } => Self::NotFound(err.to_string()),
            HeartbeatError::StateConflict(msg) => Self::Conflict(msg),
            HeartbeatError::Contention => Self::internal(err),
            HeartbeatError::Quota(q) => Self::TooManyRequests(q),
            HeartbeatError::Mail(err) => err.into(),
            HeartbeatError::Store(err) => err.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_gets_its_status() {
        let status = |e: HeartbeatError| AppError::from(e).status().as_u16();
        assert_eq!(status(HeartbeatError::Invalid("x".into())), 400);
        let missing = HeartbeatError::NotRegistered {
            tenant: "acme".into(),
            app_id: "23".into(),
        };
        assert_eq!(
            missing.to_string(),
            "app 23 of tenant acme is not registered; register it first (no action)"
        );
        assert_eq!(status(missing), 404);
        assert_eq!(status(HeartbeatError::StateConflict("x".into())), 409);
        assert_eq!(status(HeartbeatError::Contention), 500);
        let quota = lookout_core::quota::QuotaExceeded::standing("x");
        assert_eq!(status(HeartbeatError::Quota(quota)), 429);
        assert_eq!(
            status(HeartbeatError::Store(StoreError::invariant("x"))),
            500
        );
    }
}
