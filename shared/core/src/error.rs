//! One error type for every endpoint and the single place it becomes an HTTP response.

use lambda_http::{http::StatusCode, Body, Response};
use serde::Serialize;

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
    TooManyRequests(crate::quota::QuotaExceeded),
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
        let mut resp = crate::http::json_response(status, &body);
        if let Self::TooManyRequests(q) = &self {
            q.set_retry_after(&mut resp);
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
    resp.headers_mut().insert(
        lambda_http::http::header::RETRY_AFTER,
        lambda_http::http::HeaderValue::from(UNAVAILABLE_RETRY_AFTER_SECS),
    );
}

/// True when an AWS call failed because the service is out of reach, not because of the
/// request: no connection or answer (dispatch, timeout, an unreadable response), throttling,
/// a server-side fault, or a transaction cancelled by a conflicting one (no condition
/// failed). The caller answers 503 with `Retry-After`.
pub fn is_outage<E, R>(err: &__private::SdkError<E, R>) -> bool
where
    E: __private::ProvideErrorMetadata + 'static,
{
    use __private::SdkError;
    match err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(e) => {
            let code = e.err().code().unwrap_or_default();
            matches!(
                code,
                "ThrottlingException"
                    | "Throttling"
                    | "ProvisionedThroughputExceededException"
                    | "RequestLimitExceeded"
                    | "InternalServerError"
                    | "InternalFailure"
                    | "InternalError"
                    | "ServiceUnavailable"
                    | "ServiceUnavailableException"
                    | "TooManyRequestsException"
            ) || (code == "TransactionCanceledException"
                && crate::ddb::cancelled_by_condition(e.err()) == Some(false))
        }
        _ => false,
    }
}

/// `err: cause: cause…`, for logs only.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

/// A storage failure: a DynamoDB call that failed, an item that does not match its record, or
/// a broken invariant. Never the client's fault: every API family maps it to the generic 5xx.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DynamoDB call failed")]
    Call(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// DynamoDB is out of reach, times out or throttles ([`is_outage`]).
    #[error("DynamoDB is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    #[error("stored item does not match its record")]
    Item(#[source] serde_dynamo::Error),
    /// DynamoDB kept items or keys unprocessed (throttled) through every retry.
    #[error("{0}")]
    Throttled(String),
    #[error("{0}")]
    Invariant(String),
}

impl StoreError {
    pub fn invariant(msg: impl Into<String>) -> Self {
        Self::Invariant(msg.into())
    }
}

impl<E, R> From<aws_sdk_dynamodb::error::SdkError<E, R>> for StoreError
where
    E: std::error::Error + __private::ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    fn from(err: aws_sdk_dynamodb::error::SdkError<E, R>) -> Self {
        if is_outage(&err) {
            Self::Unavailable(Box::new(err))
        } else {
            Self::Call(Box::new(err))
        }
    }
}

impl From<serde_dynamo::Error> for StoreError {
    fn from(err: serde_dynamo::Error) -> Self {
        Self::Item(err)
    }
}

impl From<aws_sdk_dynamodb::error::BuildError> for StoreError {
    fn from(err: aws_sdk_dynamodb::error::BuildError) -> Self {
        Self::Call(Box::new(err))
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(_) | StoreError::Throttled(_) => {
                Self::Unavailable(Box::new(err))
            }
            _ => Self::Internal(Box::new(err)),
        }
    }
}

/// The conversions every domain error enum shares: [`InvalidInput`] into its `Invalid(String)`
/// variant; an AWS SDK error (any service), a DynamoDB item that does not match its record and
/// a request that does not build into its `Store(StoreError)` variant. So `?` works on all of
/// them in domain code.
#[macro_export]
macro_rules! domain_error_conversions {
    ($error:ty) => {
        impl From<$crate::error::InvalidInput> for $error {
            fn from(err: $crate::error::InvalidInput) -> Self {
                Self::Invalid(err.0)
            }
        }

        impl<E, R> From<$crate::error::__private::SdkError<E, R>> for $error
        where
            E: std::error::Error
                + $crate::error::__private::ProvideErrorMetadata
                + Send
                + Sync
                + 'static,
            R: std::fmt::Debug + Send + Sync + 'static,
        {
            fn from(err: $crate::error::__private::SdkError<E, R>) -> Self {
                Self::Store(err.into())
            }
        }

        impl From<$crate::error::__private::ItemError> for $error {
            fn from(err: $crate::error::__private::ItemError) -> Self {
                Self::Store(err.into())
            }
        }

        impl From<$crate::error::__private::BuildError> for $error {
            fn from(err: $crate::error::__private::BuildError) -> Self {
                Self::Store(err.into())
            }
        }
    };
}

#[doc(hidden)]
pub mod __private {
    pub use aws_sdk_dynamodb::error::{BuildError, ProvideErrorMetadata, SdkError};
    pub use serde_dynamo::Error as ItemError;
}

/// Input that parsed but breaks a rule (a bad page token, a limit out of range): the client's
/// fault, a 400 in every API family.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidInput(pub String);

impl From<InvalidInput> for AppError {
    fn from(err: InvalidInput) -> Self {
        Self::Validation(err.0)
    }
}

impl<E, R> From<aws_sdk_dynamodb::error::SdkError<E, R>> for AppError
where
    E: std::error::Error + __private::ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    /// As [`StoreError`]'s: an outage is a 503, anything else the generic 500.
    fn from(err: aws_sdk_dynamodb::error::SdkError<E, R>) -> Self {
        StoreError::from(err).into()
    }
}

impl From<serde_dynamo::Error> for AppError {
    fn from(err: serde_dynamo::Error) -> Self {
        Self::Internal(Box::new(err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_details() {
        let resp = AppError::internal("db password is hunter2").into_response();
        assert_eq!(resp.status(), 500);
        let body = std::str::from_utf8(resp.body().as_ref()).unwrap();
        assert!(!body.contains("hunter2"), "{body}");
        assert_eq!(
            body,
            r#"{"error":"internal","message":"internal server error"}"#
        );
    }

    #[test]
    fn client_errors_carry_their_message() {
        let resp = AppError::NotFound("session not found".into()).into_response();
        assert_eq!(resp.status(), 404);
        let body = std::str::from_utf8(resp.body().as_ref()).unwrap();
        assert_eq!(
            body,
            r#"{"error":"not_found","message":"session not found"}"#
        );
    }
}
