//! What the incident store fails with, and the one place it becomes HTTP for the incident
//! routes (the reporters' `/incidents`, the admin's `/admin/apps` and `/admin/incident(s)`).

use lookout_core::{AppError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum IncidentsError {
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

lookout_core::domain_error_conversions!(IncidentsError);

/// The incident routes' statuses.
impl From<IncidentsError> for AppError {
    fn from(err: IncidentsError) -> Self {
        match err {
            IncidentsError::Invalid(msg) => Self::Validation(msg),
            IncidentsError::BadCode => Self::Forbidden(err.to_string()),
            IncidentsError::AppNotFound(_) | IncidentsError::IncidentNotFound => {
                Self::NotFound(err.to_string())
            }
            IncidentsError::AppExists(_) | IncidentsError::Changed(_) => {
                Self::Conflict(err.to_string())
            }
            IncidentsError::GroupingRaced => Self::internal(err),
            IncidentsError::Store(err) => err.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_gets_its_status() {
        let status = |e: IncidentsError| AppError::from(e).status().as_u16();
        assert_eq!(status(IncidentsError::Invalid("x".into())), 400);
        assert_eq!(status(IncidentsError::BadCode), 403);
        assert_eq!(status(IncidentsError::AppNotFound("A".into())), 404);
        assert_eq!(status(IncidentsError::IncidentNotFound), 404);
        assert_eq!(status(IncidentsError::AppExists("A".into())), 409);
        assert_eq!(status(IncidentsError::Changed("x")), 409);
        assert_eq!(status(IncidentsError::GroupingRaced), 500);
        assert_eq!(
            status(IncidentsError::Store(StoreError::invariant("x"))),
            500
        );
    }
}
