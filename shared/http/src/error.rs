//! One error type for every endpoint and the single place it becomes an HTTP response.
//! The domains' errors reach it through the per-family mappings in [`crate::families`].

use lambda_http::{
    http::{header::RETRY_AFTER, HeaderValue, StatusCode},
    Body, Response,
};
use lookout_core::{error::error_chain, quota::QuotaExceeded, InvalidInput, StoreError};
use serde::Serialize;

use crate::response::json_response;

/// What can go wrong while serving a request.
///
/// Expected failures (bad input, auth, missing or conflicting records) are 4xx and carry a
/// message meant for the client. [`AppError::Internal`] is a server fault: its details are
/// logged, the client only sees a generic body.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A quota is used up: 429 with `Retry-After` (seconds until it frees up).
    #[error("{0}")]
    TooManyRequests(QuotaExceeded),
    /// An AWS service Lookout depends on cannot be reached, times out or throttles: 503 with
    /// `Retry-After` (details only in the log). Nothing was written half.
    #[error("service unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: &'a str,
}

impl AppError {
    /// Wraps any error as a server fault.
    pub fn internal<E>(err: E) -> Self
    where
        E: Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    {
        Self::Internal(err.into())
    }

    pub fn validation(msg: impl Into<String>) -> Self {
        Self::Validation(msg.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Short machine-readable kind, the `error` field of the JSON body.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::TooManyRequests(_) => "quota_exceeded",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    /// Logs the error (4xx at warn, 5xx with its whole source chain at error) and turns it
    /// into the JSON response the client gets.
    pub fn into_response(self) -> Response<Body> {
        let status = self.status();
        let message = match &self {
            Self::Internal(_) => {
                tracing::error!(error = %error_chain(&self), "request failed");
                "internal server error".to_owned()
            }
            Self::Unavailable(_) => {
                tracing::error!(error = %error_chain(&self), "request failed: a service is unavailable");
                UNAVAILABLE_MESSAGE.to_owned()
            }
            other => {
                tracing::warn!(status = status.as_u16(), error = %other, "request rejected");
                other.to_string()
            }
        };
        let body = ErrorBody {
            error: self.kind(),
            message: &message,
        };
        let mut resp = json_response(status, &body);
        if let Self::TooManyRequests(q) = &self {
            set_retry_after(&mut resp, q.retry_after);
        }
        if let Self::Unavailable(_) = &self {
            set_unavailable_retry_after(&mut resp);
        }
        resp
    }
}

/// What a 503 says (the details are only in the log).
pub const UNAVAILABLE_MESSAGE: &str = "a service Lookout depends on is unavailable; retry later";
/// `Retry-After` of a 503, in seconds.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

/// Adds a 503's `Retry-After`.
pub fn set_unavailable_retry_after(resp: &mut Response<Body>) {
    set_retry_after(resp, UNAVAILABLE_RETRY_AFTER_SECS);
}

/// Adds `Retry-After: <secs>` (a 429's or a 503's).
pub fn set_retry_after(resp: &mut Response<Body>, secs: u64) {
    resp.headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(secs));
}

impl From<StoreError> for AppError {
    /// An outage or throttling is a 503 with `Retry-After`, anything else the generic 500.
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(_) | StoreError::Throttled(_) => {
                Self::Unavailable(Box::new(err))
            }
            _ => Self::Internal(Box::new(err)),
        }
    }
}

impl From<InvalidInput> for AppError {
    fn from(err: InvalidInput) -> Self {
        Self::Validation(err.0)
    }
}

impl From<QuotaExceeded> for AppError {
    fn from(err: QuotaExceeded) -> Self {
        Self::TooManyRequests(err)
    }
}

impl<E, R> From<lookout_core::error::__private::SdkError<E, R>> for AppError
where
    E: std::error::Error
        + lookout_core::error::__private::ProvideErrorMetadata
        + Send
        + Sync
        + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    /// As [`StoreError`]'s: an outage is a 503, anything else the generic 500.
    fn from(err: lookout_core::error::__private::SdkError<E, R>) -> Self {
        StoreError::from(err).into()
    }
}

impl From<lookout_core::error::__private::ItemError> for AppError {
    fn from(err: lookout_core::error::__private::ItemError) -> Self {
        Self::Internal(Box::new(err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(resp: &Response<Body>) -> String {
        String::from_utf8(resp.body().to_vec()).unwrap()
    }

    #[test]
    fn internal_errors_hide_details() {
        let resp = AppError::internal("db password is hunter2").into_response();
        assert_eq!(resp.status(), 500);
        assert_eq!(
            body(&resp),
            r#"{"error":"internal","message":"internal server error"}"#
        );
    }

    #[test]
    fn client_errors_carry_their_message() {
        let resp = AppError::NotFound("session not found".into()).into_response();
        assert_eq!(resp.status(), 404);
        assert_eq!(
            body(&resp),
            r#"{"error":"not_found","message":"session not found"}"#
        );
    }

    #[test]
    fn a_quota_answer_is_429_with_retry_after() {
        let resp = AppError::from(QuotaExceeded::new("too many apps", 60)).into_response();
        assert_eq!(resp.status().as_u16(), 429);
        assert_eq!(resp.headers()["retry-after"], "60");
        assert_eq!(
            body(&resp),
            r#"{"error":"quota_exceeded","message":"too many apps"}"#
        );
    }

    #[test]
    fn a_store_outage_is_a_503_and_any_other_store_fault_a_500() {
        let resp = AppError::from(StoreError::Throttled("kept unprocessed".into())).into_response();
        assert_eq!(resp.status().as_u16(), 503);
        assert_eq!(resp.headers()["retry-after"], "5");
        assert!(!body(&resp).contains("unprocessed"));
        assert_eq!(AppError::from(StoreError::invariant("x")).status(), 500);
    }
}
