//! Why a request could not be read.

/// Why an OTLP/HTTP request could not be read; each maps to one HTTP status at the edge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OtlpError {
    /// A `Content-Type` other than protobuf or JSON (answer `415 Unsupported Media Type`).
    #[error(
        "unsupported Content-Type: OTLP/HTTP takes application/x-protobuf or application/json"
    )]
    UnsupportedMediaType,
    /// The body is over [`crate::MAX_BODY_BYTES`] as received, or over
    /// [`crate::MAX_DECODED_BYTES`] once inflated (answer `413 Payload Too Large`).
    #[error("request body larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// Not an `ExportLogsServiceRequest`: bad protobuf, bad JSON, bad gzip, an unknown
    /// `Content-Encoding`, too many records (answer `400 Bad Request`, not to be retried).
    /// The text says what was wrong, for the client.
    #[error("malformed request: {0}")]
    Malformed(String),
}
