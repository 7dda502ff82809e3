//! OTLP/HTTP answers, in the request's format.
//!
//! A `200` carries an `ExportLogsServiceResponse`; a `4xx`/`5xx` carries a `google.rpc.Status`
//! (OTLP/HTTP's rule), which exporters log. Both are encoded by hand here: the response with
//! prost (or as OTLP/JSON), the status as the two fields OTLP uses.

use prost::Message;
use serde_json::{json, Value};

use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceResponse,
};

use crate::body::Format;

/// `google.rpc.Status` (google/rpc/status.proto) without its `details`, which Lookout never
/// sends; opentelemetry-proto does not carry this message.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Status {
    /// A `google.rpc.Code` (3 `INVALID_ARGUMENT`, 8 `RESOURCE_EXHAUSTED`, 16
    /// `UNAUTHENTICATED`, …).
    #[prost(int32, tag = "1")]
    pub code: i32,
    /// For the developer who reads the exporter's log.
    #[prost(string, tag = "2")]
    pub message: String,
}

/// The body of a `200` answer and its `Content-Type`: an `ExportLogsServiceResponse` whose
/// `partial_success` (`rejected` records and `message`) is set only when `rejected > 0`, as
/// the spec asks; otherwise the empty message (no bytes in protobuf, `{}` in JSON).
pub fn encode_response(format: Format, rejected: i64, message: &str) -> (&'static str, Vec<u8>) {
    let partial_success = (rejected > 0).then(|| ExportLogsPartialSuccess {
        rejected_log_records: rejected,
        error_message: message.to_owned(),
    });
    let body = match format {
        Format::Protobuf => ExportLogsServiceResponse { partial_success }.encode_to_vec(),
        Format::Json => {
            let value = match partial_success {
                // int64 is a decimal string in protobuf's JSON mapping.
                Some(p) => json!({"partialSuccess": {
                    "rejectedLogRecords": p.rejected_log_records.to_string(),
                    "errorMessage": p.error_message,
                }}),
                None => json!({}),
            };
            json_bytes(&value)
        }
    };
    (format.content_type(), body)
}

/// The body of an error answer and its `Content-Type`: a `google.rpc.Status` with `code` (a
/// `google.rpc.Code`) and `message`; in JSON `{"code":N,"message":"…"}`.
pub fn encode_status(format: Format, code: i32, message: &str) -> (&'static str, Vec<u8>) {
    let body = match format {
        Format::Protobuf => Status {
            code,
            message: message.to_owned(),
        }
        .encode_to_vec(),
        Format::Json => json_bytes(&json!({"code": code, "message": message})),
    };
    (format.content_type(), body)
}

fn json_bytes(value: &Value) -> Vec<u8> {
    // A `Value` always serializes; `to_string` is infallible.
    value.to_string().into_bytes()
}
