//! OTLP/JSON, read leniently into opentelemetry-proto's messages.
//!
//! opentelemetry-proto's own serde support (`with-serde`) reads what the JavaScript exporter
//! sends, but it silently drops snake_case field names (`resource_logs`: zero records, no
//! error), and rejects enum names (`"SEVERITY_NUMBER_INFO"`), `null` ids and base64 ids. The
//! OTLP spec asks receivers to take protobuf's JSON mapping, so this reader builds the same
//! structs from a `serde_json::Value` and accepts:
//!
//! - field names in lowerCamelCase or as in the `.proto` (snake_case); `null` as absent;
//!   unknown fields ignored;
//! - integers (`timeUnixNano`, `intValue`, `flags`) as numbers or decimal strings;
//! - `severityNumber` as a number or its enum name;
//! - `traceId`/`spanId` as hex (the OTLP rule) or base64 (protobuf's rule for bytes);
//! - `bytesValue` as base64, padded or not, standard or URL-safe alphabet;
//! - `doubleValue` as a number, a numeric string, `"NaN"`, `"Infinity"` or `"-Infinity"`.
//!
//! Anything else of the wrong type is [`OtlpError::Malformed`] naming the field. Depth is
//! bounded by serde_json's recursion limit (128) when the body is parsed.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{Map, Value};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs, SeverityNumber};
use opentelemetry_proto::tonic::resource::v1::Resource;

use crate::error::OtlpError;

type Object = Map<String, Value>;

/// An `ExportLogsServiceRequest` from OTLP/JSON bytes.
pub(crate) fn parse_request(bytes: &[u8]) -> Result<ExportLogsServiceRequest, OtlpError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| OtlpError::Malformed(format!("body is not JSON: {e}")))?;
    let top = object(&value, "request")?;
    Ok(ExportLogsServiceRequest {
        resource_logs: list(top, "resourceLogs", "resource_logs", resource_logs)?,
    })
}

fn resource_logs(v: &Value) -> Result<ResourceLogs, OtlpError> {
    let o = object(v, "resourceLogs[]")?;
    Ok(ResourceLogs {
        resource: field(o, "resource", "resource").map(resource).transpose()?,
        scope_logs: list(o, "scopeLogs", "scope_logs", scope_logs)?,
        schema_url: string_or_empty(o, "schemaUrl", "schema_url")?,
    })
}

fn resource(v: &Value) -> Result<Resource, OtlpError> {
    let o = object(v, "resource")?;
    Ok(Resource {
        attributes: list(o, "attributes", "attributes", key_value)?,
        dropped_attributes_count: u32_or_zero(
            o,
            "droppedAttributesCount",
            "dropped_attributes_count",
        )?,
        entity_refs: Vec::new(),
    })
}

fn scope_logs(v: &Value) -> Result<ScopeLogs, OtlpError> {
    let o = object(v, "scopeLogs[]")?;
    Ok(ScopeLogs {
        scope: field(o, "scope", "scope").map(scope).transpose()?,
        log_records: list(o, "logRecords", "log_records", log_record)?,
        schema_url: string_or_empty(o, "schemaUrl", "schema_url")?,
    })
}

fn scope(v: &Value) -> Result<InstrumentationScope, OtlpError> {
    let o = object(v, "scope")?;
    Ok(InstrumentationScope {
        name: string_or_empty(o, "name", "name")?,
        version: string_or_empty(o, "version", "version")?,
        attributes: list(o, "attributes", "attributes", key_value)?,
        dropped_attributes_count: u32_or_zero(
            o,
            "droppedAttributesCount",
            "dropped_attributes_count",
        )?,
    })
}

fn log_record(v: &Value) -> Result<LogRecord, OtlpError> {
    let o = object(v, "logRecords[]")?;
    Ok(LogRecord {
        time_unix_nano: u64_or_zero(o, "timeUnixNano", "time_unix_nano")?,
        observed_time_unix_nano: u64_or_zero(o, "observedTimeUnixNano", "observed_time_unix_nano")?,
        severity_number: match field(o, "severityNumber", "severity_number") {
            None => 0,
            Some(v) => severity_number(v)?,
        },
        severity_text: string_or_empty(o, "severityText", "severity_text")?,
        body: field(o, "body", "body").map(any_value).transpose()?,
        attributes: list(o, "attributes", "attributes", key_value)?,
        dropped_attributes_count: u32_or_zero(
            o,
            "droppedAttributesCount",
            "dropped_attributes_count",
        )?,
        flags: u32_or_zero(o, "flags", "flags")?,
        trace_id: id_or_empty(o, "traceId", "trace_id")?,
        span_id: id_or_empty(o, "spanId", "span_id")?,
        event_name: string_or_empty(o, "eventName", "event_name")?,
    })
}

fn key_value(v: &Value) -> Result<KeyValue, OtlpError> {
    let o = object(v, "attribute")?;
    Ok(KeyValue {
        key: string_or_empty(o, "key", "key")?,
        value: field(o, "value", "value").map(any_value).transpose()?,
        key_strindex: 0,
    })
}

/// An `AnyValue`: an object with one of its fields set; `{}` is the empty value. Should a
/// sender set several, the first in the `.proto`'s order wins.
fn any_value(v: &Value) -> Result<AnyValue, OtlpError> {
    use any_value::Value as V;
    let o = object(v, "AnyValue")?;
    let value = if let Some(s) = field(o, "stringValue", "string_value") {
        Some(V::StringValue(string(s, "stringValue")?.to_owned()))
    } else if let Some(b) = field(o, "boolValue", "bool_value") {
        Some(V::BoolValue(
            b.as_bool().ok_or_else(|| wrong("boolValue", "a boolean"))?,
        ))
    } else if let Some(i) = field(o, "intValue", "int_value") {
        Some(V::IntValue(int64(i, "intValue")?))
    } else if let Some(d) = field(o, "doubleValue", "double_value") {
        Some(V::DoubleValue(double(d)?))
    } else if let Some(a) = field(o, "arrayValue", "array_value") {
        let a = object(a, "arrayValue")?;
        Some(V::ArrayValue(ArrayValue {
            values: list(a, "values", "values", any_value)?,
        }))
    } else if let Some(k) = field(o, "kvlistValue", "kvlist_value") {
        let k = object(k, "kvlistValue")?;
        Some(V::KvlistValue(KeyValueList {
            values: list(k, "values", "values", key_value)?,
        }))
    } else if let Some(b) = field(o, "bytesValue", "bytes_value") {
        Some(V::BytesValue(
            base64_bytes(string(b, "bytesValue")?).ok_or_else(|| wrong("bytesValue", "base64"))?,
        ))
    } else {
        None
    };
    Ok(AnyValue { value })
}

/// A field by its lowerCamelCase or `.proto` name; `null` is absent.
fn field<'a>(o: &'a Object, camel: &str, snake: &str) -> Option<&'a Value> {
    o.get(camel)
        .filter(|v| !v.is_null())
        .or_else(|| o.get(snake).filter(|v| !v.is_null()))
}

/// A repeated field, each element read by `item`; absent is empty.
fn list<T>(
    o: &Object,
    camel: &str,
    snake: &str,
    item: fn(&Value) -> Result<T, OtlpError>,
) -> Result<Vec<T>, OtlpError> {
    match field(o, camel, snake) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(item).collect(),
        Some(_) => Err(wrong(camel, "an array")),
    }
}

fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Object, OtlpError> {
    v.as_object().ok_or_else(|| wrong(what, "an object"))
}

fn string<'a>(v: &'a Value, what: &str) -> Result<&'a str, OtlpError> {
    v.as_str().ok_or_else(|| wrong(what, "a string"))
}

fn string_or_empty(o: &Object, camel: &str, snake: &str) -> Result<String, OtlpError> {
    field(o, camel, snake)
        .map_or(Ok(""), |v| string(v, camel))
        .map(str::to_owned)
}

fn u64_or_zero(o: &Object, camel: &str, snake: &str) -> Result<u64, OtlpError> {
    let Some(v) = field(o, camel, snake) else {
        return Ok(0);
    };
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        wrong(
            camel,
            "an unsigned 64-bit integer (number or decimal string)",
        )
    })
}

fn u32_or_zero(o: &Object, camel: &str, snake: &str) -> Result<u32, OtlpError> {
    let Some(v) = field(o, camel, snake) else {
        return Ok(0);
    };
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .and_then(|n| u32::try_from(n).ok())
    .ok_or_else(|| wrong(camel, "an unsigned 32-bit integer"))
}

fn int64(v: &Value, what: &str) -> Result<i64, OtlpError> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| wrong(what, "a 64-bit integer (number or decimal string)"))
}

fn severity_number(v: &Value) -> Result<i32, OtlpError> {
    match v {
        Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()),
        Value::String(s) => SeverityNumber::from_str_name(s.trim()).map(|s| s as i32),
        _ => None,
    }
    .ok_or_else(|| wrong("severityNumber", "a number or a SeverityNumber name"))
}

fn double(v: &Value) -> Result<f64, OtlpError> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.trim() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            other => other.parse().ok(),
        },
        _ => None,
    }
    .ok_or_else(|| wrong("doubleValue", "a number"))
}

/// A trace or span id: hex as OTLP/JSON says, else base64 as protobuf's JSON mapping says;
/// `""` is the empty id.
fn id_or_empty(o: &Object, camel: &str, snake: &str) -> Result<Vec<u8>, OtlpError> {
    let Some(v) = field(o, camel, snake) else {
        return Ok(Vec::new());
    };
    let s = string(v, camel)?.trim();
    hex::decode(s)
        .ok()
        .or_else(|| base64_bytes(s))
        .ok_or_else(|| wrong(camel, "hex digits"))
}

fn base64_bytes(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(s).ok())
}

fn wrong(what: &str, expected: &str) -> OtlpError {
    OtlpError::Malformed(format!("OTLP/JSON: {what} must be {expected}"))
}
