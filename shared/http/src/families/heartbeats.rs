//! How the heartbeats domain's [`HeartbeatError`] answers over HTTP.

use lookout_heartbeats::HeartbeatError;

use crate::error::AppError;

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
    use lookout_core::{quota::QuotaExceeded, StoreError};

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
        let quota = QuotaExceeded::standing("x");
        assert_eq!(status(HeartbeatError::Quota(quota)), 429);
        assert_eq!(
            status(HeartbeatError::Store(StoreError::invariant("x"))),
            500
        );
    }
}
