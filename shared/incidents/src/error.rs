//! What the incidents domain fails with, and the one place it becomes HTTP for the incident
//! routes (the reporters' `/incidents`, the admin's `/admin/apps` and `/admin/incident(s)`).

use lookout_core::{AppError, StoreError};

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
    #[error(transparent)]
    Store(#[from] StoreError),
}

lookout_core::domain_error_conversions!(IncidentError);

/// The incident routes' statuses.
impl From<IncidentError> for AppError {
    fn from(err: IncidentError) -> Self {
        match err {
            IncidentError::Invalid(msg) => Self::Validation(msg),
            IncidentError::BadCode => Self::Forbidden(err.to_string()),
            IncidentError::AppNotFound(_) | IncidentError::IncidentNotFound => {
                Self::NotFound(err.to_string())
            }
            IncidentError::AppExists(_) | IncidentError::Changed(_) => {
                Self::Conflict(err.to_string())
            }
            IncidentError::GroupingRaced => Self::internal(err),
            IncidentError::Store(err) => err.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_gets_its_status() {
        let status = |e: IncidentError| AppError::from(e).status().as_u16();
        assert_eq!(status(IncidentError::Invalid("x".into())), 400);
        assert_eq!(status(IncidentError::BadCode), 403);
        assert_eq!(status(IncidentError::AppNotFound("A".into())), 404);
        assert_eq!(status(IncidentError::IncidentNotFound), 404);
        assert_eq!(status(IncidentError::AppExists("A".into())), 409);
        assert_eq!(status(IncidentError::Changed("x")), 409);
        assert_eq!(status(IncidentError::GroupingRaced), 500);
        assert_eq!(
            status(IncidentError::Store(StoreError::invariant("x"))),
            500
        );
    }
}
