//! How the alerts domain's refusals answer over HTTP.

use lookout_alerts::AlertError;

use crate::error::AppError;

impl From<AlertError> for AppError {
    fn from(err: AlertError) -> Self {
        match err {
            AlertError::Invalid(msg) => Self::Validation(msg),
            AlertError::UnknownChannel(_) => Self::NotFound(err.to_string()),
            AlertError::InUse(_) | AlertError::TooMany(_) => Self::Conflict(err.to_string()),
            AlertError::Sealed => Self::internal(err),
            AlertError::Store(err) => err.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_gets_its_status() {
        let status = |e: AlertError| AppError::from(e).status().as_u16();
        assert_eq!(status(AlertError::Invalid("x".into())), 400);
        assert_eq!(status(AlertError::UnknownChannel("ch_1".into())), 404);
        assert_eq!(status(AlertError::InUse("ch_1".into())), 409);
        assert_eq!(status(AlertError::TooMany(20)), 409);
        assert_eq!(status(AlertError::Sealed), 500);
    }
}
