//! How the messenger domain's [`BroadcastError`] answers over HTTP.

use lookout_messenger::BroadcastError;

use crate::error::AppError;

/// The seed-003 routes' statuses (`/api/contacts`, `/api/get_failed_mess`).
impl From<BroadcastError> for AppError {
    fn from(err: BroadcastError) -> Self {
        match err {
            BroadcastError::Invalid(msg) => Self::Validation(msg),
            BroadcastError::TooLarge(msg) => Self::PayloadTooLarge(msg),
            BroadcastError::KeyReused => Self::Conflict(err.to_string()),
            BroadcastError::Reserved(msg) => Self::Forbidden(msg),
            BroadcastError::NoSuchContacts { .. } => Self::NotFound(err.to_string()),
            BroadcastError::Quota(q) => Self::TooManyRequests(q),
            BroadcastError::Fault(err) => Self::Internal(err),
            BroadcastError::Store(err) => err.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lookout_core::{quota::QuotaExceeded, StoreError};

    #[test]
    fn each_failure_gets_its_status() {
        let status = |e: BroadcastError| AppError::from(e).status().as_u16();
        assert_eq!(status(BroadcastError::invalid("x")), 400);
        assert_eq!(status(BroadcastError::TooLarge("x".into())), 413);
        assert_eq!(status(BroadcastError::KeyReused), 409);
        assert_eq!(status(BroadcastError::Reserved("x".into())), 403);
        let unknown = BroadcastError::NoSuchContacts {
            user: "ops".into(),
            names: vec!["a".into(), "b".into()],
        };
        assert_eq!(
            unknown.to_string(),
            r#"no such contact of user "ops": a, b; nothing was sent"#
        );
        assert_eq!(status(unknown), 404);
        let quota = QuotaExceeded::new("x", 9);
        assert_eq!(status(BroadcastError::Quota(quota)), 429);
        assert_eq!(status(BroadcastError::fault("queue down")), 500);
        assert_eq!(
            status(BroadcastError::Store(StoreError::invariant("x"))),
            500
        );
    }
}
