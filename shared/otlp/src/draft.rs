//! An `ExportLogsServiceRequest` as neutral drafts: per resource, its service name and one
//! [`LogDraft`] per log record.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use prost::Message;
use serde_json::{Map, Number, Value};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::resource::v1::Resource;

use crate::body::{inflate, Format};
use crate::error::OtlpError;
use crate::json::parse_request;

/// The most log records one request may carry; more is [`OtlpError::Malformed`] (the exporters
/// batch 512 by default).
pub const MAX_RECORDS: usize = 10_000;

/// The resource attribute that names the service; it becomes [`ResourceLogs::service_name`]
/// and is not repeated among the attributes.
const SERVICE_NAME: &str = "service.name";

/// The log records of one resource (one process of one service, in OpenTelemetry's words).
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceLogs {
    /// The resource's `service.name`, when set and not empty (a non-string value as its
    /// compact JSON).
    pub service_name: Option<String>,
    /// The resource's records, in order, across its instrumentation scopes.
    pub records: Vec<LogDraft>,
}

/// A log line, before the logs domain takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct LogDraft {
    /// From `severity_number`, else `severity_text`, else [`Level::Info`] ([`Level::from_severity`]).
    pub level: Level,
    /// A string body as is; any other body as compact JSON (see [`LogDraft::attributes`] for
    /// the conversion); no body is `""`. Not truncated: the request's size bounds it, and the
    /// caller bounds what it stores.
    pub body: String,
    /// Milliseconds since the Unix epoch: `time_unix_nano`, else `observed_time_unix_nano`
    /// (`0` is unset in OTLP); `None` when neither is set.
    pub time_ms: Option<i64>,
    /// 32 lowercase hex digits; `None` when empty, all zero or not 16 bytes.
    pub trace_id: Option<String>,
    /// 16 lowercase hex digits; `None` when empty, all zero or not 8 bytes.
    pub span_id: Option<String>,
    /// The record's attributes; then, under `resource.<key>`, its resource's attributes other
    /// than `service.name`, and `scope.name` / `scope.version` when set (these win over a
    /// record attribute of the same name). Values as JSON: strings, booleans, integers and
    /// doubles as themselves (a non-finite double as `"NaN"`, `"Infinity"`, `"-Infinity"`),
    /// bytes as base64 text, arrays as arrays, key-value lists as objects, an empty value as
    /// `null`.
    pub attributes: Map<String, Value>,
}

/// OpenTelemetry's six severity ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Level {
    /// The level of a record: its `severity_number`'s range (1-4 trace, 5-8 debug, 9-12
    /// info, 13-16 warn, 17-20 error, 21-24 fatal); when unset or out of range, its
    /// `severity_text` ([`Level::from_text`]); else info.
    pub fn from_severity(number: i32, text: &str) -> Self {
        match number {
            1..=4 => Self::Trace,
            5..=8 => Self::Debug,
            9..=12 => Self::Info,
            13..=16 => Self::Warn,
            17..=20 => Self::Error,
            21..=24 => Self::Fatal,
            _ => Self::from_text(text).unwrap_or(Self::Info),
        }
    }

    /// A severity text in any case: the spec's short names (`INFO`, `WARN2`, …) and the
    /// usual spellings of logging libraries (`warning`, `err`, `critical`, `notice`, …).
    pub fn from_text(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_lowercase();
        // The spec's short names number the steps of a range: INFO2, ERROR4.
        let name = text.trim_end_matches(['2', '3', '4']);
        match name {
            "trace" | "finest" | "finer" => Some(Self::Trace),
            "debug" | "fine" | "config" => Some(Self::Debug),
            "info" | "information" | "informational" | "notice" => Some(Self::Info),
            "warn" | "warning" => Some(Self::Warn),
            "error" | "err" | "severe" => Some(Self::Error),
            "fatal" | "critical" | "crit" | "alert" | "emerg" | "emergency" | "panic" => {
                Some(Self::Fatal)
            }
            _ => None,
        }
    }

    /// `trace`, `debug`, `info`, `warn`, `error` or `fatal`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
            Self::Fatal => "fatal",
        }
    }
}

/// The drafts of an OTLP/HTTP logs request: `body` as received with its `Content-Encoding`
/// (`gzip` or none), in `format` ([`crate::format_of`]).
///
/// Errors: [`OtlpError::TooLarge`] over [`crate::MAX_BODY_BYTES`] as received or
/// [`crate::MAX_DECODED_BYTES`] inflated (checked while inflating); [`OtlpError::Malformed`]
/// for bad gzip, protobuf or JSON, an unknown `Content-Encoding`, or more than
/// [`MAX_RECORDS`] records. Resources without records are left out.
pub fn decode_request(
    format: Format,
    content_encoding: Option<&str>,
    body: &[u8],
) -> Result<Vec<ResourceLogs>, OtlpError> {
    let bytes = inflate(content_encoding, body)?;
    let request = match format {
        Format::Protobuf => ExportLogsServiceRequest::decode(&*bytes)
            .map_err(|e| OtlpError::Malformed(format!("body is not protobuf: {e}")))?,
        Format::Json => parse_request(&bytes)?,
    };
    let count: usize = request
        .resource_logs
        .iter()
        .flat_map(|r| &r.scope_logs)
        .map(|s| s.log_records.len())
        .sum();
    if count > MAX_RECORDS {
        return Err(OtlpError::Malformed(format!(
            "{count} log records in one request: at most {MAX_RECORDS}, send smaller batches"
        )));
    }
    Ok(request
        .resource_logs
        .iter()
        .map(|r| {
            let (service_name, context) = resource_context(r.resource.as_ref());
            let records = r
                .scope_logs
                .iter()
                .flat_map(|s| {
                    let context = scope_context(&context, s.scope.as_ref());
                    s.log_records
                        .iter()
                        .map(move |record| draft(record, &context))
                })
                .collect();
            ResourceLogs {
                service_name,
                records,
            }
        })
        .filter(|r| !r.records.is_empty())
        .collect())
}

/// The service name, and the `resource.<key>` attributes every record of the resource gets.
fn resource_context(resource: Option<&Resource>) -> (Option<String>, Map<String, Value>) {
    let mut service_name = None;
    let mut context = Map::new();
    for kv in resource
        .map(|r| r.attributes.as_slice())
        .unwrap_or_default()
    {
        let value = optional_json(kv.value.as_ref());
        if kv.key == SERVICE_NAME {
            service_name = Some(text(value)).filter(|s| !s.is_empty());
        } else {
            context.insert(format!("resource.{}", kv.key), value);
        }
    }
    (service_name, context)
}

/// The resource's attributes plus `scope.name` and `scope.version`, when set.
fn scope_context(
    resource: &Map<String, Value>,
    scope: Option<&InstrumentationScope>,
) -> Map<String, Value> {
    let mut context = resource.clone();
    if let Some(scope) = scope {
        for (key, value) in [
            ("scope.name", &scope.name),
            ("scope.version", &scope.version),
        ] {
            if !value.is_empty() {
                context.insert(key.to_owned(), Value::String(value.clone()));
            }
        }
    }
    context
}

fn draft(record: &LogRecord, context: &Map<String, Value>) -> LogDraft {
    let mut attributes = attributes_json(&record.attributes);
    attributes.extend(context.iter().map(|(k, v)| (k.clone(), v.clone())));
    LogDraft {
        level: Level::from_severity(record.severity_number, &record.severity_text),
        body: text(optional_json(record.body.as_ref())),
        time_ms: [record.time_unix_nano, record.observed_time_unix_nano]
            .into_iter()
            .find(|&ns| ns > 0)
            .and_then(|ns| i64::try_from(ns / 1_000_000).ok()),
        trace_id: hex_id(&record.trace_id, 16),
        span_id: hex_id(&record.span_id, 8),
        attributes,
    }
}

/// An id of `len` bytes as lowercase hex; `None` when of another length or all zero (OTLP's
/// invalid id).
fn hex_id(bytes: &[u8], len: usize) -> Option<String> {
    (bytes.len() == len && bytes.iter().any(|&b| b != 0)).then(|| hex::encode(bytes))
}

/// A JSON value as text: a string as is, `null` as `""`, anything else as compact JSON.
fn text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Key-value pairs as a JSON object; a repeated key keeps its last value.
fn attributes_json(pairs: &[KeyValue]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|kv| (kv.key.clone(), optional_json(kv.value.as_ref())))
        .collect()
}

fn optional_json(value: Option<&AnyValue>) -> Value {
    value.map_or(Value::Null, any_value_json)
}

/// An `AnyValue` as JSON (see [`LogDraft::attributes`]).
pub(crate) fn any_value_json(value: &AnyValue) -> Value {
    use any_value::Value as V;
    match &value.value {
        None | Some(V::StringValueStrindex(_)) => Value::Null,
        Some(V::StringValue(s)) => Value::String(s.clone()),
        Some(V::BoolValue(b)) => Value::Bool(*b),
        Some(V::IntValue(i)) => Value::Number(Number::from(*i)),
        Some(V::DoubleValue(d)) => Number::from_f64(*d).map_or_else(
            || {
                Value::String(
                    if d.is_nan() {
                        "NaN"
                    } else if d.is_sign_positive() {
                        "Infinity"
                    } else {
                        "-Infinity"
                    }
                    .to_owned(),
                )
            },
            Value::Number,
        ),
        Some(V::BytesValue(b)) => Value::String(STANDARD.encode(b)),
        Some(V::ArrayValue(a)) => Value::Array(a.values.iter().map(any_value_json).collect()),
        Some(V::KvlistValue(kv)) => Value::Object(attributes_json(&kv.values)),
    }
}
