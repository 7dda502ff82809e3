//! What the broadcast side (contacts, sends, deliveries, dispatch) fails with, and the one
//! place it becomes HTTP for the seed-003 routes.

use lookout_core::quota::QuotaExceeded;
use lookout_core::{AppError, StoreError};

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Text shown in an error message: at most 80 characters of what the client sent.
pub(crate) fn shown(s: &str) -> String {
    let cut: String = s.chars().take(80).collect();
    if cut.len() < s.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BroadcastError {
    /// Parsed, but breaks a rule (names, messengers, times, limits, page tokens).
    #[error("{0}")]
    Invalid(String),
    /// The request body is over the limit.
    #[error("{0}")]
    TooLarge(String),
    /// An address that is the admin's (`Reserved`): no tenant may message it.
    #[error("{0}")]
    Reserved(String),
    /// None of the names a send was given is a contact of the user: nothing was sent.
    #[error("no such contact of user {user:?}: {}; nothing was sent", names.join(", "))]
    NoSuchContacts { user: String, names: Vec<String> },
    /// A tenant quota is used up.
    #[error(transparent)]
    Quota(#[from] QuotaExceeded),
    /// An `Idempotency-Key` reused with a different request.
    #[error("this Idempotency-Key was already used for a different request")]
    KeyReused,
    /// Queueing or scheduling a send failed (SQS, EventBridge Scheduler), or a stored value
    /// broke an invariant.
    #[error("{0}")]
    Fault(#[source] BoxError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl BroadcastError {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::Invalid(msg.into())
    }

    pub fn fault(err: impl Into<BoxError>) -> Self {
        Self::Fault(err.into())
    }
}

lookout_core::domain_error_conversions!(BroadcastError);

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
