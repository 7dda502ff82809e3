//! Builders of OTLP messages and bodies for the tests.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use prost::Message;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as V;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;

pub(super) fn any(v: V) -> AnyValue {
    AnyValue { value: Some(v) }
}

pub(super) fn s(text: &str) -> AnyValue {
    any(V::StringValue(text.to_owned()))
}

pub(super) fn kv(key: &str, value: AnyValue) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(value),
        key_strindex: 0,
    }
}

pub(super) fn array(values: Vec<AnyValue>) -> AnyValue {
    any(V::ArrayValue(ArrayValue { values }))
}

pub(super) fn kvlist(values: Vec<KeyValue>) -> AnyValue {
    any(V::KvlistValue(KeyValueList { values }))
}

/// 2026-01-02T03:04:05.678901234Z in nanoseconds, and its milliseconds.
pub(super) const TIME_NS: u64 = 1_767_323_045_678_901_234;
pub(super) const TIME_MS: i64 = 1_767_323_045_678;
pub(super) const TRACE_ID: &str = "5b8efff798038103d269b633813fc60c";
pub(super) const SPAN_ID: &str = "eee19b7ec3c1b174";

/// A record with every field the drafts read set.
pub(super) fn full_record() -> LogRecord {
    LogRecord {
        time_unix_nano: TIME_NS,
        observed_time_unix_nano: TIME_NS + 5_000_000,
        severity_number: 13,
        severity_text: "WARN".to_owned(),
        body: Some(s("stock low for X-9")),
        attributes: vec![
            kv("order.id", any(V::IntValue(42))),
            kv("retry", any(V::BoolValue(true))),
            kv("ratio", any(V::DoubleValue(0.25))),
            kv("raw", any(V::BytesValue(b"hi!".to_vec()))),
            kv("tags", array(vec![s("a"), any(V::IntValue(-1))])),
            kv("http", kvlist(vec![kv("status", any(V::IntValue(503)))])),
        ],
        dropped_attributes_count: 0,
        flags: 1,
        trace_id: hex::decode(TRACE_ID).unwrap(),
        span_id: hex::decode(SPAN_ID).unwrap(),
        event_name: String::new(),
    }
}

/// One resource (`billing-api` on `web-1`), one scope (`billing.jobs` 1.4.2), these records.
pub(super) fn request(records: Vec<LogRecord>) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", s("billing-api")),
                    kv("host.name", s("web-1")),
                ],
                dropped_attributes_count: 0,
                entity_refs: Vec::new(),
            }),
            scope_logs: vec![ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: "billing.jobs".to_owned(),
                    version: "1.4.2".to_owned(),
                    attributes: Vec::new(),
                    dropped_attributes_count: 0,
                }),
                log_records: records,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

/// A bare record: severity and body only.
pub(super) fn record(
    severity_number: i32,
    severity_text: &str,
    body: Option<AnyValue>,
) -> LogRecord {
    LogRecord {
        severity_number,
        severity_text: severity_text.to_owned(),
        body,
        ..LogRecord::default()
    }
}

pub(super) fn encode(request: &ExportLogsServiceRequest) -> Vec<u8> {
    request.encode_to_vec()
}

pub(super) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}
