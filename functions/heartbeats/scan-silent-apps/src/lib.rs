//! The silent-app scanner, run every minute by an EventBridge schedule.
//!
//! "Now" is the event's `time` (the schedule's firing time; the local event pump and tests set
//! it), so runs are reproducible. The result is the run's [`ScanReport`]; a run with failed
//! DynamoDB calls or unsent mail fails after doing all it could (the next run picks up what
//! is left).

use lambda_runtime::{Error, LambdaEvent};
use lookout_core::{aws, config, time::Timestamp};
use lookout_heartbeats::{HeartbeatStore, Notify, ScanReport, SqsTransitions, TransitionSink};
use lookout_mail::AdminMail;
use serde_json::Value;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Deps {
    pub store: HeartbeatStore,
    pub mail: AdminMail,
    /// The app-events queue, when configured (`APP_EVENTS_QUEUE_URL`).
    pub events: Option<Arc<dyn TransitionSink>>,
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        Ok(Self {
            store: HeartbeatStore::from_env(aws::dynamodb(&sdk))?
                .with_alert_budget(lookout_core::quota::Quotas::from_env()?.alerts_per_hour),
            mail: AdminMail::from_env(&sdk)?,
            events: SqsTransitions::from_env(&sdk),
        })
    }
}

/// The event's `time`; the system clock when the event has none.
pub fn event_time(event: &Value) -> Result<Timestamp, String> {
    match event.get("time") {
        Some(t) => Timestamp::parse_json(t).map_err(|e| format!("event time: {e}")),
        None => {
            tracing::warn!("event without a time; using the system clock");
            Ok(Timestamp::now())
        }
    }
}

pub async fn handle(deps: &Deps, event: LambdaEvent<Value>) -> Result<ScanReport, Error> {
    let now = event_time(&event.payload)?;
    let to = Notify {
        mail: &deps.mail,
        events: deps.events.as_deref(),
    };
    let report = lookout_heartbeats::scan(&deps.store.scan_ports(to), now).await;
    if report.errors > 0 || report.mail_errors > 0 {
        tracing::error!(?report, "scan finished with failures");
        return Err(format!(
            "scan at {} finished with {} DynamoDB failures and {} undelivered transitions (retried later)",
            report.now, report.errors, report.mail_errors
        )
        .into());
    }
    tracing::info!(?report, "scan finished");
    Ok(report)
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`heartbeats-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_runtime::Error> {
    use lambda_runtime::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|event| handle(&deps, event))).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn now_comes_from_the_event() {
        let t =
            event_time(&json!({"detail-type": "Scheduled Event", "time": "2030-01-01T00:02:00Z"}))
                .unwrap();
        assert_eq!(t.to_rfc3339(), "2030-01-01T00:02:00.000Z");
        assert!(event_time(&json!({"time": "soon"})).is_err());
        assert!(event_time(&json!({})).is_ok());
    }
}
