//! What the incidents domain fails with.

use lookout_core::{quota::QuotaExceeded, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum IncidentError {
    /// Parsed, but breaks a rule (empty title, too long notes, a bad page token or limit).
    #[error("{0}")]
    Invalid(String),
    /// A reporter whose app name and code do not match a registered app.
    #[error("app_name and code do not match")]
    BadCode,
    #[error("app {0:?} not found")]
    AppNotFound(String),
    #[error("app {0:?} already exists")]
    AppExists(String),
    #[error("incident not found")]
    IncidentNotFound,
    /// An optimistic write lost to a concurrent change: reload and retry.
    #[error("{0}")]
    Changed(&'static str),
    /// Concurrent reports kept moving the group pointer through every attempt.
    #[error("incident grouping kept racing; giving up")]
    GroupingRaced,
    /// An app's daily Sentry events are used up.
    #[error(transparent)]
    Quota(#[from] QuotaExceeded),
    #[error(transparent)]
    Store(#[from] StoreError),
}

lookout_core::domain_error_conversions!(IncidentError);
