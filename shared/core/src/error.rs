//! What storage fails with (a DynamoDB call, an item that does not match its record, a broken
//! invariant) and input that breaks a rule: the errors every domain shares. No HTTP here: the
//! edge crate (`lookout-http`) maps them to responses.

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

        $crate::domain_store_conversions!($error);
    };
}

/// The storage half of [`domain_error_conversions`], for an error enum with a
/// `Store(StoreError)` variant and no `Invalid(String)` one.
#[macro_export]
macro_rules! domain_store_conversions {
    ($error:ty) => {
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
