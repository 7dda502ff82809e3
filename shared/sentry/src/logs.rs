//! Structured logs as neutral drafts.

use std::time::SystemTime;

use serde_json::{Map, Value};

use sentry_types::protocol::v7::{Log, LogLevel};

/// A log line, before the logs domain takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct LogDraft {
    /// `trace`, `debug`, `info`, `warn`, `error` or `fatal`.
    pub level: &'static str,
    pub body: String,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// 32 hex digits.
    pub trace_id: Option<String>,
    /// Each attribute's value alone (`{"value": 42, "type": "integer"}` is `42`):
    /// `sentry.environment`, `sentry.release`, `server.address`, `logger.name`,
    /// `sentry.message.template`, `sentry.message.parameter.<name>`, the caller's own, …
    pub attributes: Map<String, Value>,
}

/// The drafts of logs, in order.
pub fn log_drafts(logs: &[Log]) -> Vec<LogDraft> {
    logs.iter().map(log_draft).collect()
}

fn log_draft(log: &Log) -> LogDraft {
    LogDraft {
        level: match log.level {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
            LogLevel::Fatal => "fatal",
        },
        body: log.body.clone(),
        timestamp_ms: unix_millis(log.timestamp),
        trace_id: log.trace_id.map(|t| t.to_string()),
        attributes: log
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.0.clone()))
            .collect(),
    }
}

pub(crate) fn unix_millis(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}
