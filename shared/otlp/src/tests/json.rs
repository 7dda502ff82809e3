//! OTLP/JSON requests: the same drafts as protobuf, in both spellings of field names, and
//! what the lenient reader takes and refuses.

use serde_json::{json, Value};

use super::support::{encode, full_record, request, SPAN_ID, TIME_MS, TRACE_ID};
use crate::{decode_request, Format, Level, LogDraft, OtlpError, ResourceLogs};

/// `support::request(vec![support::full_record()])` as the JavaScript exporter writes it.
fn full_request_camel() -> Value {
    json!({"resourceLogs": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "billing-api"}},
            {"key": "host.name", "value": {"stringValue": "web-1"}}
        ], "droppedAttributesCount": 0},
        "scopeLogs": [{
            "scope": {"name": "billing.jobs", "version": "1.4.2"},
            "logRecords": [{
                "timeUnixNano": "1767323045678901234",
                "observedTimeUnixNano": "1767323045683901234",
                "severityNumber": 13,
                "severityText": "WARN",
                "body": {"stringValue": "stock low for X-9"},
                "attributes": [
                    {"key": "order.id", "value": {"intValue": "42"}},
                    {"key": "retry", "value": {"boolValue": true}},
                    {"key": "ratio", "value": {"doubleValue": 0.25}},
                    {"key": "raw", "value": {"bytesValue": "aGkh"}},
                    {"key": "tags", "value": {"arrayValue": {"values": [
                        {"stringValue": "a"}, {"intValue": -1}
                    ]}}},
                    {"key": "http", "value": {"kvlistValue": {"values": [
                        {"key": "status", "value": {"intValue": 503}}
                    ]}}}
                ],
                "droppedAttributesCount": 0,
                "flags": 1,
                "traceId": TRACE_ID,
                "spanId": SPAN_ID
            }]
        }]
    }]})
}

/// `value` with every object key in snake_case, as the `.proto` spells the fields.
fn snake_case(value: &Value) -> Value {
    match value {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    let mut snake = String::new();
                    for c in k.chars() {
                        if c.is_ascii_uppercase() {
                            snake.push('_');
                        }
                        snake.push(c.to_ascii_lowercase());
                    }
                    // Attribute keys are data, not field names: "key" values stay as they are.
                    (snake, snake_case(v))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(snake_case).collect()),
        other => other.clone(),
    }
}

fn decode_json(value: &Value) -> Result<Vec<ResourceLogs>, OtlpError> {
    decode_request(Format::Json, None, value.to_string().as_bytes())
}

fn first_draft(value: &Value) -> LogDraft {
    decode_json(value).unwrap().remove(0).records.remove(0)
}

fn a_record(fields: Value) -> Value {
    json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [fields]}]}]})
}

fn malformed(body: &[u8]) -> String {
    match decode_request(Format::Json, None, body) {
        Err(OtlpError::Malformed(message)) => message,
        other => panic!(
            "expected Malformed for {}, got {other:?}",
            String::from_utf8_lossy(body)
        ),
    }
}

#[test]
fn camel_case_json_gives_the_same_drafts_as_protobuf() {
    let from_protobuf = decode_request(
        Format::Protobuf,
        None,
        &encode(&request(vec![full_record()])),
    )
    .unwrap();
    let from_json = decode_json(&full_request_camel()).unwrap();
    assert_eq!(from_json, from_protobuf);
    assert_eq!(from_json[0].records[0].time_ms, Some(TIME_MS));
    assert_eq!(
        from_json[0].records[0].attributes["http"],
        json!({"status": 503})
    );
}

#[test]
fn snake_case_field_names_are_read_too() {
    let snake = snake_case(&full_request_camel());
    assert!(
        snake["resource_logs"][0]["scope_logs"][0]["log_records"][0]["time_unix_nano"].is_string()
    );
    assert_eq!(
        decode_json(&snake).unwrap(),
        decode_json(&full_request_camel()).unwrap()
    );
}

#[test]
fn integers_as_numbers_or_strings_enum_names_base64_ids_and_nulls_are_accepted() {
    let draft = first_draft(&a_record(json!({
        "timeUnixNano": 1_767_323_045_678_901_234_u64,
        "severityNumber": "SEVERITY_NUMBER_ERROR",
        "body": {"intValue": 12},
        "attributes": [
            {"key": "big", "value": {"intValue": "-9223372036854775808"}},
            {"key": "nan", "value": {"doubleValue": "NaN"}},
            {"key": "inf", "value": {"doubleValue": "-Infinity"}},
            {"key": "url_safe", "value": {"bytesValue": "_w"}},
            {"key": "empty", "value": {}},
            {"key": "nothing", "value": null}
        ],
        // protobuf's JSON mapping spells bytes in base64 (Python's MessageToJson does)
        "traceId": "W47/95gDgQPSabYzgT/GDA==",
        "spanId": null,
        "someFutureField": {"x": 1}
    })));
    assert_eq!(draft.level, Level::Error);
    assert_eq!(draft.body, "12");
    assert_eq!(draft.time_ms, Some(TIME_MS));
    assert_eq!(draft.trace_id.as_deref(), Some(TRACE_ID));
    assert_eq!(draft.span_id, None);
    assert_eq!(
        Value::Object(draft.attributes),
        json!({
            "big": i64::MIN,
            "nan": "NaN",
            "inf": "-Infinity",
            "url_safe": "/w==",
            "empty": null,
            "nothing": null
        })
    );
}

#[test]
fn empty_ids_and_an_empty_request_are_fine() {
    let draft = first_draft(&a_record(
        json!({"traceId": "", "spanId": "", "body": {"stringValue": "x"}}),
    ));
    assert_eq!((draft.trace_id, draft.span_id), (None, None));
    assert_eq!(draft.level, Level::Info);
    assert_eq!(decode_request(Format::Json, None, b"{}"), Ok(Vec::new()));
    assert_eq!(
        decode_request(Format::Json, None, b"{\"resourceLogs\":[]}"),
        Ok(Vec::new())
    );
}

#[test]
fn bad_json_is_malformed_and_says_what_is_wrong() {
    for (body, says) in [
        (&b""[..], "not JSON"),
        (b"{\"resourceLogs\": [", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[]", "request must be an object"),
        (b"{\"resourceLogs\": {}}", "resourceLogs must be an array"),
        (
            b"{\"resourceLogs\": [1]}",
            "resourceLogs[] must be an object",
        ),
    ] {
        let message = malformed(body);
        assert!(message.contains(says), "{message:?} should say {says:?}");
    }
    let cases = [
        (json!({"timeUnixNano": "soon"}), "timeUnixNano"),
        (json!({"timeUnixNano": -1}), "timeUnixNano"),
        (json!({"severityNumber": "LOUD"}), "severityNumber"),
        (json!({"severityText": 3}), "severityText"),
        (json!({"traceId": "not hex!"}), "traceId"),
        (json!({"flags": "x"}), "flags"),
        (json!({"flags": 4_294_967_296_u64}), "flags"),
        (json!({"body": "a bare string"}), "AnyValue"),
        (json!({"body": {"intValue": "1.5"}}), "intValue"),
        (
            json!({"body": {"intValue": "9223372036854775808"}}),
            "intValue",
        ),
        (json!({"body": {"boolValue": "yes"}}), "boolValue"),
        (json!({"body": {"bytesValue": "***"}}), "bytesValue"),
        (json!({"attributes": [{"key": 1}]}), "key"),
    ];
    for (fields, says) in cases {
        let message = malformed(a_record(fields.clone()).to_string().as_bytes());
        assert!(
            message.contains(says),
            "{fields}: {message:?} should say {says:?}"
        );
    }
}

#[test]
fn nesting_deeper_than_the_json_parser_allows_is_malformed() {
    let mut body = String::from("{\"stringValue\":\"leaf\"}");
    for _ in 0..200 {
        body = format!("{{\"arrayValue\":{{\"values\":[{body}]}}}}");
    }
    let request = format!(
        "{{\"resourceLogs\":[{{\"scopeLogs\":[{{\"logRecords\":[{{\"body\":{body}}}]}}]}}]}}"
    );
    assert!(malformed(request.as_bytes()).contains("not JSON"));
}
