//! How the incidents domain's [`IncidentError`] answers over HTTP.

use lookout_incidents::IncidentError;

use crate::error::AppError;

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
            IncidentError::Quota(q) => Self::TooManyRequests(q),
            IncidentError::GroupingRaced => Self::internal(err),
            IncidentError::Store(err) => err.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lookout_core::StoreError;

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
