//! What the heartbeat store fails with.

use lookout_core::quota::QuotaExceeded;
use lookout_core::StoreError;
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
