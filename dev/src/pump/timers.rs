//! Schedule events of functions (`Schedule`/`ScheduleV2`): the function is invoked with the
//! EventBridge "Scheduled Event" (or the event's `Input`) on the first tick, then once per
//! interval. `rate(N unit)` is honoured; `cron(...)` fires once a minute whatever it says.

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{json, Value};
use tracing::error;

use crate::pump::invoke::Invoker;
use crate::pump::report::TickReport;
use crate::template::{Function, ScheduleSource};

/// One schedule event of a function, and when it fires next.
#[derive(Debug)]
pub(crate) struct Timer {
    binary: String,
    name: String,
    interval: TimeDelta,
    input: Option<Value>,
    next: Option<DateTime<Utc>>,
}

impl Timer {
    /// The schedule event `s` of `f`, its interval multiplied by `rate_scale`; fails on an
    /// expression it cannot read or an `Input` that is not JSON.
    pub(crate) fn new(f: &Function, s: &ScheduleSource, rate_scale: f64) -> Result<Self> {
        let what = || format!("{}.{}", f.logical_id, s.name);
        let input = s
            .input
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .with_context(|| format!("{}: Input is not JSON", what()))?;
        Ok(Self {
            binary: f.binary.clone(),
            name: s.name.clone(),
            interval: interval(&s.expression, rate_scale).with_context(what)?,
            input,
            next: None,
        })
    }
}

/// Every schedule event the pump serves, and what their events say.
#[derive(Debug)]
pub(crate) struct Timers {
    timers: Vec<Timer>,
    /// The account and region the scheduled events name.
    account: String,
    region: String,
}

impl Timers {
    pub(crate) fn new(timers: Vec<Timer>, account: String, region: String) -> Self {
        Self {
            timers,
            account,
            region,
        }
    }

    /// How many schedule events there are.
    pub(crate) fn len(&self) -> usize {
        self.timers.len()
    }

    /// Invokes every function whose schedule is due at `now`; failures are logged and counted.
    pub(crate) async fn fire(
        &mut self,
        now: DateTime<Utc>,
        invoker: &Invoker,
        report: &mut TickReport,
    ) {
        for t in &mut self.timers {
            if t.next.is_some_and(|next| now < next) {
                continue;
            }
            let event = t
                .input
                .clone()
                .unwrap_or_else(|| scheduled_event(&self.account, &self.region, now));
            report.scheduled_invocations += 1;
            if let Err(err) = invoker.invoke(&t.binary, &event).await {
                report.errors += 1;
                error!("{} schedule {}: {err:#}", t.binary, t.name);
            }
            t.next = Some(now + t.interval);
        }
    }
}

/// The EventBridge "Scheduled Event" at `now` (`source: aws.events`, empty `resources`).
fn scheduled_event(account: &str, region: &str, now: DateTime<Utc>) -> Value {
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "region": region,
        "resources": [],
        "detail": {},
    })
}

/// Interval of `rate(N unit)` or `cron(...)` (once a minute locally), times `scale`.
fn interval(expression: &str, scale: f64) -> Result<TimeDelta> {
    let base = if let Some(rate) = expression
        .strip_prefix("rate(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let (n, unit) = rate
            .trim()
            .split_once(' ')
            .ok_or_else(|| anyhow!("bad rate expression {expression}"))?;
        let n: u64 = n
            .parse()
            .with_context(|| format!("bad rate expression {expression}"))?;
        let unit = match unit.trim() {
            "minute" | "minutes" => 60,
            "hour" | "hours" => 3600,
            "day" | "days" => 86_400,
            other => bail!("unknown rate unit {other:?} in {expression}"),
        };
        Duration::from_secs(n * unit)
    } else if expression.starts_with("cron(") {
        Duration::from_secs(60)
    } else {
        bail!("unsupported schedule expression {expression}");
    };
    if !(scale.is_finite() && scale > 0.0) {
        bail!("rate scale must be a positive number, got {scale}");
    }
    let scaled = Duration::try_from_secs_f64(base.as_secs_f64() * scale)
        .with_context(|| format!("scaling {expression} by {scale}"))?;
    TimeDelta::from_std(scaled).with_context(|| format!("{expression} is too long"))
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::interval;

    #[test]
    fn intervals() {
        assert_eq!(
            interval("rate(1 minute)", 1.0).unwrap(),
            TimeDelta::minutes(1)
        );
        assert_eq!(
            interval("rate(10 minutes)", 0.1).unwrap(),
            TimeDelta::minutes(1)
        );
        assert_eq!(interval("rate(2 hours)", 1.0).unwrap(), TimeDelta::hours(2));
        assert_eq!(interval("rate(1 day)", 1.0).unwrap(), TimeDelta::days(1));
        assert_eq!(
            interval("cron(0 12 * * ? *)", 1.0).unwrap(),
            TimeDelta::minutes(1)
        );
        assert!(interval("rate(5 fortnights)", 1.0).is_err());
        assert!(interval("at(2030-01-01T00:00:00)", 1.0).is_err());
        assert!(interval("rate(1 minute)", 0.0).is_err());
    }
}
