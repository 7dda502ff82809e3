//! A cron monitor check-in as a neutral draft.
//!
//! Sentry's crons: a job sends `in_progress` when it starts and `ok` or `error` (with its
//! duration) when it ends, under the same `check_in_id`; or only the end. A check-in may
//! carry its monitor's config (`monitor_config`), which creates or updates the monitor.

use sentry_types::protocol::v7::{
    MonitorCheckIn, MonitorCheckInStatus, MonitorConfig, MonitorIntervalUnit, MonitorSchedule,
};

/// What a job says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckInStatus {
    /// It started.
    InProgress,
    /// It ended well.
    Ok,
    /// It failed.
    Error,
}

impl CheckInStatus {
    /// Sentry's name: `in_progress`, `ok`, `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckInStatus::InProgress => "in_progress",
            CheckInStatus::Ok => "ok",
            CheckInStatus::Error => "error",
        }
    }
}

/// When a monitor expects its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleDraft {
    /// A crontab line (`0 3 * * *`), in the monitor's time zone; not validated here.
    Crontab(String),
    /// Every so many seconds (a month is 30 days, a year 365).
    Interval { seconds: u64 },
}

/// A monitor's config as a check-in sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorDraft {
    pub schedule: ScheduleDraft,
    /// An IANA time zone (`Europe/Berlin`) for a crontab; UTC when absent.
    pub timezone: Option<String>,
    /// Minutes after the expected time before a check-in counts as missed.
    pub checkin_margin_minutes: Option<u64>,
    /// Minutes a job may stay in progress before it counts as failed.
    pub max_runtime_minutes: Option<u64>,
    /// Consecutive failures before an issue opens.
    pub failure_issue_threshold: Option<u64>,
    /// Consecutive successes before the issue resolves.
    pub recovery_threshold: Option<u64>,
}

/// A check-in, before the heartbeats domain takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckInDraft {
    /// The monitor, trimmed, not empty.
    pub monitor_slug: String,
    /// 32 hex digits (a UUID without hyphens).
    pub check_in_id: String,
    pub status: CheckInStatus,
    /// Seconds the job ran (finite, not negative).
    pub duration_secs: Option<f64>,
    pub environment: Option<String>,
    pub config: Option<MonitorDraft>,
}

/// The draft of a check-in; `Err` (a reason) for an empty slug, a `missed` or unknown status,
/// or an interval of 0 or beyond `u64` seconds.
pub fn check_in_draft(c: &MonitorCheckIn) -> Result<CheckInDraft, String> {
    let monitor_slug = c.monitor_slug.trim();
    if monitor_slug.is_empty() {
        return Err("monitor_slug is empty".to_owned());
    }
    let status = match c.status {
        MonitorCheckInStatus::InProgress => CheckInStatus::InProgress,
        MonitorCheckInStatus::Ok => CheckInStatus::Ok,
        MonitorCheckInStatus::Error => CheckInStatus::Error,
        MonitorCheckInStatus::Missed => {
            return Err("status \"missed\" is Sentry's to set, not a job's".to_owned())
        }
        MonitorCheckInStatus::Unknown => return Err("unknown check-in status".to_owned()),
    };
    Ok(CheckInDraft {
        monitor_slug: monitor_slug.to_owned(),
        check_in_id: c.check_in_id.as_simple().to_string(),
        status,
        duration_secs: c.duration.filter(|d| d.is_finite() && *d >= 0.0),
        environment: c
            .environment
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned),
        config: c.monitor_config.as_ref().map(monitor_draft).transpose()?,
    })
}

fn monitor_draft(config: &MonitorConfig) -> Result<MonitorDraft, String> {
    let schedule = match &config.schedule {
        MonitorSchedule::Crontab { value } => ScheduleDraft::Crontab(value.trim().to_owned()),
        MonitorSchedule::Interval { value, unit } => {
            let unit_secs: u64 = match unit {
                MonitorIntervalUnit::Minute => 60,
                MonitorIntervalUnit::Hour => 3_600,
                MonitorIntervalUnit::Day => 86_400,
                MonitorIntervalUnit::Week => 7 * 86_400,
                MonitorIntervalUnit::Month => 30 * 86_400,
                MonitorIntervalUnit::Year => 365 * 86_400,
            };
            if *value == 0 {
                return Err("interval schedule of 0".to_owned());
            }
            let seconds = value
                .checked_mul(unit_secs)
                .ok_or_else(|| format!("interval schedule of {value} {unit:?}s is too long"))?;
            ScheduleDraft::Interval { seconds }
        }
    };
    Ok(MonitorDraft {
        schedule,
        timezone: config
            .timezone
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
        checkin_margin_minutes: config.checkin_margin,
        max_runtime_minutes: config.max_runtime,
        failure_issue_threshold: config.failure_issue_threshold,
        recovery_threshold: config.recovery_threshold,
    })
}
