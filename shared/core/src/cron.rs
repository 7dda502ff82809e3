//! Cron schedules in an IANA time zone: a heartbeat app's expected times (the alternative to a
//! fixed period) and the starts of recurring maintenance windows (the alerts domain).
//!
//! A heartbeat app with a schedule is expected at each time the cron expression names, in its
//! zone; it is late `grace` seconds after the first expected time that follows its last success
//! (or when it became `up`). Five-field expressions (`minute hour day month weekday`) and the
//! usual aliases (`@daily`, `@hourly`) are accepted, as cron and Healthchecks take them.
//!
//! Daylight saving time follows Vixie cron (through croner): a fixed time that does not exist
//! on a spring-forward day runs at the first instant after the gap; a fixed time that occurs
//! twice on a fall-back day runs once, at its first occurrence; interval jobs (`*/15 * * * *`)
//! skip the missing hour and run in both repeated ones.

use std::str::FromStr as _;

use crate::time::{Timestamp, Zone};
use croner::Cron;
use serde::{Deserialize, Serialize};

/// Longest cron expression kept.
pub const MAX_CRON_CHARS: usize = 100;

/// A validated schedule as stored: the expression and its zone's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CronSpec {
    pub expr: String,
    pub tz: String,
}

impl CronSpec {
    /// Validates `expr` in `tz` (default UTC); it must name at least one future time.
    pub fn parse(expr: &str, tz: Option<&str>) -> Result<Self, String> {
        let expr = expr.trim();
        if expr.chars().count() > MAX_CRON_CHARS {
            return Err(format!(
                "schedule must be at most {MAX_CRON_CHARS} characters"
            ));
        }
        let zone = Zone::parse(tz.unwrap_or("UTC"))?;
        if expr.split_whitespace().count() != 5 && !expr.starts_with('@') {
            return Err(format!(
                "schedule {expr:?} must have five fields (minute hour day month weekday) or be an alias such as @daily"
            ));
        }
        let cron = Cron::from_str(expr)
            .map_err(|e| format!("schedule {expr:?} is not a cron expression: {e}"))?;
        let spec = Self {
            expr: expr.to_owned(),
            tz: zone.name().to_owned(),
        };
        // A pattern such as `0 0 30 2 *` parses but never fires.
        let now = chrono::Utc::now().with_timezone(&zone.tz());
        cron.find_next_occurrence(&now, false)
            .map_err(|_| format!("schedule {expr:?} never fires"))?;
        Ok(spec)
    }

    /// The first scheduled time strictly after `after`; `None` if there is none (a schedule
    /// that stopped parsing, or no occurrence before year 9999).
    pub fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        let cron = Cron::from_str(&self.expr).ok()?;
        let zone = Zone::parse(&self.tz).ok()?;
        let local = after.datetime().with_timezone(&zone.tz());
        let next = cron.find_next_occurrence(&local, false).ok()?;
        Timestamp::from_datetime(next.with_timezone(&chrono::Utc))
    }
}

/// An EventBridge Scheduler one-time schedule's expression for `at` (UTC), rounded up to the
/// second (never early): what the messenger's scheduled sends and the alerts' repeats use.
/// The one-time schedule expression for `at`, rounded up to the second (never early).
pub fn at_expression(at: Timestamp) -> String {
    let dt = at.datetime();
    let whole = if dt.timestamp_subsec_millis() > 0 {
        dt + chrono::Duration::seconds(1)
    } else {
        dt
    };
    format!("at({})", whole.format("%Y-%m-%dT%H:%M:%S"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_str(s).unwrap()
    }

    fn next(expr: &str, tz: &str, after: &str) -> String {
        CronSpec::parse(expr, Some(tz))
            .unwrap()
            .next_after(ts(after))
            .unwrap()
            .to_rfc3339()
    }

    #[test]
    fn schedules_are_validated() {
        assert!(CronSpec::parse("0 3 * * *", None).is_ok());
        assert!(CronSpec::parse("@daily", Some("Europe/Berlin")).is_ok());
        for (expr, tz) in [
            ("0 3 * *", None),
            ("61 3 * * *", None),
            ("0 0 30 2 *", None),
            ("0 3 * * *", Some("Mars/Olympus")),
            ("* * * * * *", None),
        ] {
            assert!(CronSpec::parse(expr, tz).is_err(), "{expr} {tz:?}");
        }
    }

    #[test]
    fn next_times_follow_the_zone() {
        // 03:00 in Berlin is 02:00 UTC in winter, 01:00 UTC in summer.
        assert_eq!(
            next("0 3 * * *", "Europe/Berlin", "2030-01-10T12:00:00Z"),
            "2030-01-11T02:00:00.000Z"
        );
        assert_eq!(
            next("0 3 * * *", "Europe/Berlin", "2030-07-10T12:00:00Z"),
            "2030-07-11T01:00:00.000Z"
        );
        assert_eq!(
            next("*/15 * * * *", "UTC", "2030-07-10T12:07:00Z"),
            "2030-07-10T12:15:00.000Z"
        );
    }

    #[test]
    fn daylight_saving_gaps_and_overlaps() {
        // Europe/Berlin springs forward on 2030-03-31 at 02:00 → 03:00 (01:00 UTC): a 02:30 job
        // runs at the first instant after the gap, 03:00 CEST = 01:00 UTC.
        assert_eq!(
            next("30 2 * * *", "Europe/Berlin", "2030-03-30T23:00:00Z"),
            "2030-03-31T01:00:00.000Z"
        );
        // ... and at 02:30 CEST (00:30 UTC) the next day.
        assert_eq!(
            next("30 2 * * *", "Europe/Berlin", "2030-03-31T02:00:00Z"),
            "2030-04-01T00:30:00.000Z"
        );
        // It falls back on 2030-10-27 at 03:00 CEST → 02:00 CET: 02:30 happens twice (00:30 and
        // 01:30 UTC); the job runs once, at the first.
        assert_eq!(
            next("30 2 * * *", "Europe/Berlin", "2030-10-26T23:00:00Z"),
            "2030-10-27T00:30:00.000Z"
        );
        assert_eq!(
            next("30 2 * * *", "Europe/Berlin", "2030-10-27T00:30:00Z"),
            "2030-10-28T01:30:00.000Z"
        );
        // New York springs forward on 2030-03-10: an hourly job has no 02:00 that day.
        assert_eq!(
            next("0 * * * *", "America/New_York", "2030-03-10T06:30:00Z"),
            "2030-03-10T07:00:00.000Z"
        );
    }
}
