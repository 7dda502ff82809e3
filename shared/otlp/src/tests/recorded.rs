//! What the real exporters sent (`tests/recorded/index.json` says which, how and when):
//! Python's `opentelemetry-exporter-otlp-proto-http` 1.45.2 (protobuf, plain and gzip) and
//! Node's `@opentelemetry/exporter-logs-otlp-http` 0.223.1 (JSON, plain and gzip), run as
//! `tests/sdk/otel_client.{py,mjs} lines`.

use serde_json::{json, Value};

use crate::{decode_request, format_of, Level, LogDraft, ResourceLogs};

const PYTHON_PROTOBUF: &[u8] = include_bytes!("../../tests/recorded/python_protobuf.bin");
const PYTHON_PROTOBUF_GZIP: &[u8] = include_bytes!("../../tests/recorded/python_protobuf_gzip.bin");
const NODE_JSON: &[u8] = include_bytes!("../../tests/recorded/node_json.json");
const NODE_JSON_GZIP: &[u8] = include_bytes!("../../tests/recorded/node_json_gzip.bin");
const INDEX: &str = include_str!("../../tests/recorded/index.json");

/// The file as its recorded `Content-Type` and `Content-Encoding` say.
fn decode_recorded(name: &str, body: &[u8]) -> Vec<ResourceLogs> {
    let index: Value = serde_json::from_str(INDEX).unwrap();
    let entry = &index["files"][name];
    let format = format_of(entry["content_type"].as_str()).unwrap();
    decode_request(format, entry["content_encoding"].as_str(), body).unwrap()
}

/// 2026-01-01 and 2036-01-01 in milliseconds: a recorded time is a real clock's.
fn plausible_time(draft: &LogDraft) -> bool {
    draft
        .time_ms
        .is_some_and(|ms| (1_767_225_600_000..2_082_758_400_000).contains(&ms))
}

fn check_python(name: &str, body: &[u8], trace_id: &str, span_id: &str) {
    let resources = decode_recorded(name, body);
    assert_eq!(resources.len(), 1);
    let resource = &resources[0];
    assert_eq!(resource.service_name.as_deref(), Some("billing-api"));

    let seen: Vec<(Level, &str)> = resource
        .records
        .iter()
        .map(|d| (d.level, d.body.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (Level::Info, "otel info line"),
            (Level::Warn, "stock low"),
            (Level::Error, "otel error in span"),
            (Level::Error, "otel failure"),
        ]
    );
    for draft in &resource.records {
        assert!(plausible_time(draft), "{:?}", draft.time_ms);
        assert_eq!(draft.attributes["scope.name"], json!("billing.otel"));
        assert_eq!(
            draft.attributes["resource.telemetry.sdk.language"],
            json!("python")
        );
        assert!(!draft.attributes.contains_key("resource.service.name"));
        assert!(draft.attributes["code.line.number"].is_i64());
    }
    let [info, warning, in_span, failure] = &resource.records[..] else {
        panic!("four records");
    };
    assert_eq!(warning.attributes["order_id"], json!(42));
    assert_eq!(
        (info.trace_id.as_deref(), info.span_id.as_deref()),
        (None, None)
    );
    assert_eq!(
        (in_span.trace_id.as_deref(), in_span.span_id.as_deref()),
        (Some(trace_id), Some(span_id))
    );
    assert_eq!(failure.attributes["exception.type"], json!("ValueError"));
    assert_eq!(
        failure.attributes["exception.message"],
        json!("card declined")
    );
    let stack = failure.attributes["exception.stacktrace"].as_str().unwrap();
    assert!(
        stack.starts_with("Traceback (most recent call last):"),
        "{stack}"
    );
}

#[test]
fn python_protobuf_records_decode() {
    check_python(
        "python_protobuf.bin",
        PYTHON_PROTOBUF,
        "8c17f105e61c3e8238c335ae1ce73aec",
        "324f08bc3d916b3d",
    );
}

#[test]
fn python_gzipped_protobuf_records_decode() {
    check_python(
        "python_protobuf_gzip.bin",
        PYTHON_PROTOBUF_GZIP,
        "d1f33149b87e2340b3192dee333cb2c0",
        "1d6acefd40315f6d",
    );
}

fn check_node(name: &str, body: &[u8]) {
    let resources = decode_recorded(name, body);
    assert_eq!(resources.len(), 1);
    let resource = &resources[0];
    assert_eq!(resource.service_name.as_deref(), Some("billing-web"));
    let [info, error] = &resource.records[..] else {
        panic!("two records, got {:?}", resource.records);
    };
    let context = json!({
        "resource.telemetry.sdk.language": "nodejs",
        "resource.telemetry.sdk.name": "opentelemetry",
        "resource.telemetry.sdk.version": "2.12.1",
        "scope.name": "billing.otel",
        "scope.version": "1.4.2",
    });
    assert_eq!(
        (info.level, info.body.as_str()),
        (Level::Info, "otel node info")
    );
    assert_eq!(Value::Object(info.attributes.clone()), context);
    assert_eq!(
        (info.trace_id.as_deref(), info.span_id.as_deref()),
        (None, None)
    );

    assert_eq!(
        (error.level, error.body.as_str()),
        (Level::Error, "otel node error")
    );
    let mut with_order = context.clone();
    with_order["order.id"] = json!(7);
    assert_eq!(Value::Object(error.attributes.clone()), with_order);
    assert_eq!(
        error.trace_id.as_deref(),
        Some("5b8efff798038103d269b633813fc60c")
    );
    assert_eq!(error.span_id.as_deref(), Some("eee19b7ec3c1b174"));
    assert!(plausible_time(info) && plausible_time(error));
}

#[test]
fn node_json_records_decode() {
    check_node("node_json.json", NODE_JSON);
}

#[test]
fn node_gzipped_json_records_decode() {
    check_node("node_json_gzip.bin", NODE_JSON_GZIP);
}

#[test]
fn the_index_lists_every_recorded_file_with_its_exporter() {
    let index: Value = serde_json::from_str(INDEX).unwrap();
    let files = index["files"].as_object().unwrap();
    let mut names: Vec<&str> = files.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "node_json.json",
            "node_json_gzip.bin",
            "python_protobuf.bin",
            "python_protobuf_gzip.bin"
        ]
    );
    for entry in files.values() {
        assert!(
            entry["exporter"].is_string() && entry["version"].is_string(),
            "{entry}"
        );
        assert!(
            entry["records"].as_array().is_some_and(|r| !r.is_empty()),
            "{entry}"
        );
    }
}
