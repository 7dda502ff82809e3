//! Logs scenarios: sending and querying log lines, and log users.

use anyhow::Result;
use serde_json::{json, Value};

use super::call::Call;
use super::fixture::{Fixture, Http};
use super::{now, unique};

/// The log user the fixture's lines belong to.
pub(super) const LOG_USER: &str = "bench-logger";

/// The call for a logs function, `None` for any other.
pub(super) fn call(fx: &Fixture, http: &Http<'_>, binary: &str) -> Result<Option<Call>> {
    let call = match binary {
        "send-logs" => http.call(
            vec![("x-user-token".to_owned(), fx.log_token.clone())],
            vec![],
            Some(send_logs_body(20)),
            200,
        ),
        // The same 20 lines as OpenTelemetry logs (OTLP/HTTP JSON, as Node's exporter sends).
        "record-otlp-logs" => http.call(
            vec![("x-user-token".to_owned(), fx.log_token.clone())],
            vec![],
            Some(otlp_logs_body(20)),
            200,
        ),
        "query-logs" => http.call(
            vec![("x-user-token".to_owned(), fx.log_token.clone())],
            vec![("user", LOG_USER), ("limit", "100")],
            None,
            200,
        ),
        "admin-issue-log-token" => http.call(
            fx.admin(),
            vec![],
            Some(json!({"user": unique("bench-user")})),
            201,
        ),
        _ => return Ok(None),
    };
    call.map(Some)
}

/// A seed-000 batch of `lines` log lines of ~120 bytes.
pub fn send_logs_body(lines: usize) -> Value {
    let t = now().to_rfc3339();
    let logs: Vec<Value> = (0..lines)
        .map(|i| {
            json!({
                "level": if i % 10 == 0 { "error" } else { "info" },
                "msg": format!("GET /api/orders/{i} 200 12ms user=4711 region=eu-west-1 trace=ab12cd34ef56"),
                "event_at": t,
                "p_description": "web worker"
            })
        })
        .collect();
    json!({"data": {"user": LOG_USER, "pid": 4242, "p_name": "web", "post_time": t, "logs": logs}})
}

/// An OTLP `ExportLogsServiceRequest` (JSON encoding) of `lines` records like
/// [`send_logs_body`]'s, from one service.
pub fn otlp_logs_body(lines: usize) -> Value {
    let nanos = now().unix_millis().saturating_mul(1_000_000).to_string();
    let records: Vec<Value> = (0..lines)
        .map(|i| {
            let (number, text) = if i % 10 == 0 { (17, "ERROR") } else { (9, "INFO") };
            json!({
                "timeUnixNano": nanos,
                "severityNumber": number,
                "severityText": text,
                "body": {"stringValue": format!("GET /api/orders/{i} 200 12ms user=4711 region=eu-west-1")},
                "attributes": [{"key": "http.route", "value": {"stringValue": "/api/orders/:id"}}],
                "traceId": "5b8efff798038103d269b633813fc60c",
                "spanId": "eee19b7ec3c1b174"
            })
        })
        .collect();
    json!({
        "resourceLogs": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "checkout"}}]},
            "scopeLogs": [{"scope": {"name": "bench"}, "logRecords": records}]
        }]
    })
}
