//! Answers: decoded back as an exporter would.

use prost::Message;
use serde_json::{json, Value};

use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceResponse,
};

use crate::{encode_response, encode_status, Format, Status};

fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap()
}

#[test]
fn a_full_success_is_the_empty_response() {
    let (content_type, body) = encode_response(Format::Protobuf, 0, "ignored");
    assert_eq!(content_type, "application/x-protobuf");
    assert!(body.is_empty());
    assert_eq!(
        ExportLogsServiceResponse::decode(&*body).unwrap(),
        ExportLogsServiceResponse {
            partial_success: None
        }
    );

    let (content_type, body) = encode_response(Format::Json, 0, "ignored");
    assert_eq!(content_type, "application/json");
    assert_eq!(json_of(&body), json!({}));
}

#[test]
fn rejected_records_are_a_partial_success() {
    let (_, body) = encode_response(Format::Protobuf, 3, "3 records over the daily quota");
    assert_eq!(
        ExportLogsServiceResponse::decode(&*body)
            .unwrap()
            .partial_success,
        Some(ExportLogsPartialSuccess {
            rejected_log_records: 3,
            error_message: "3 records over the daily quota".to_owned(),
        })
    );

    let (_, body) = encode_response(Format::Json, 3, "3 records over the daily quota");
    assert_eq!(
        json_of(&body),
        json!({"partialSuccess": {
            "rejectedLogRecords": "3",
            "errorMessage": "3 records over the daily quota"
        }})
    );
}

#[test]
fn a_negative_rejected_count_is_no_partial_success() {
    let (_, body) = encode_response(Format::Protobuf, -1, "x");
    assert!(body.is_empty());
}

#[test]
fn statuses_carry_code_and_message() {
    let (content_type, body) = encode_status(Format::Protobuf, 16, "invalid user token");
    assert_eq!(content_type, "application/x-protobuf");
    assert_eq!(
        Status::decode(&*body).unwrap(),
        Status {
            code: 16,
            message: "invalid user token".to_owned()
        }
    );
    // field 1 varint 16, field 2 length-delimited: what google.rpc.Status parsers expect
    assert_eq!(&body[..4], b"\x08\x10\x12\x12");

    let (content_type, body) = encode_status(Format::Json, 3, "body is not JSON: \"quoted\"");
    assert_eq!(content_type, "application/json");
    assert_eq!(
        json_of(&body),
        json!({"code": 3, "message": "body is not JSON: \"quoted\""})
    );
}
