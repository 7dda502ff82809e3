//! Maintenance windows (pure): times a tenant's alerts are held, one-off (`start`..`end`) or
//! recurring (a cron expression in an IANA zone, the heartbeats' schedule code, and a
//! duration), for the whole tenant or one app or tag. During a window the events are still
//! recorded (heartbeats, incidents); the alerts that need someone are held, and at its end
//! those still wrong go out once (see `crate::deliver`).

use lookout_core::cron::CronSpec;
use lookout_core::events::TenantAlert;
use lookout_core::time::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::AlertError;

/// Windows per tenant.
pub const MAX_WINDOWS: usize = 50;
/// Longest window (a week).
const MAX_MINUTES: u32 = 7 * 24 * 60;

/// One window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Unique in the tenant (1 to 64 characters, no `#` or `:`).
    pub name: String,
    /// Only this app's alerts (a heartbeat app id or an incident app's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// Only alerts carrying this tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// A one-off window: from `start` to `end`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Timestamp>,
    /// A recurring window: starts at each time `cron` names in `tz` (default UTC), lasts
    /// `duration_minutes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_minutes: Option<u32>,
}

impl Window {
    /// Checks the shape: a name, and either `start` < `end` or `cron` with a duration.
    pub fn validate(&self) -> Result<(), AlertError> {
        let bad = |m: &str| Err(AlertError::Invalid(format!("window {:?}: {m}", self.name)));
        let n = self.name.chars().count();
        if n == 0 || n > 64 || self.name.contains(['#', ':']) {
            return bad("a name of 1 to 64 characters, without # or :");
        }
        match (self.start, self.end, self.cron.as_deref()) {
            (Some(s), Some(e), None) if s < e => {
                if self.tz.is_some() || self.duration_minutes.is_some() {
                    return bad("tz and duration_minutes go with cron");
                }
            }
            (None, None, Some(cron)) => {
                CronSpec::parse(cron, self.tz.as_deref()).map_err(AlertError::Invalid)?;
                if !self
                    .duration_minutes
                    .is_some_and(|d| (1..=MAX_MINUTES).contains(&d))
                {
                    return bad("a recurring window lasts duration_minutes, 1 to 10080");
                }
            }
            _ => return bad("either start before end, or cron with duration_minutes"),
        }
        Ok(())
    }

    fn matches(&self, alert: &TenantAlert) -> bool {
        self.app
            .as_deref()
            .is_none_or(|a| alert.app.as_deref() == Some(a))
            && self
                .tag
                .as_deref()
                .is_none_or(|t| alert.tags.iter().any(|x| x == t))
    }

    /// The end of the occurrence that covers `now`, if one does.
    pub fn active_until(&self, now: Timestamp) -> Option<Timestamp> {
        if let (Some(start), Some(end)) = (self.start, self.end) {
            return (start <= now && now < end).then_some(end);
        }
        let spec = CronSpec::parse(self.cron.as_deref()?, self.tz.as_deref()).ok()?;
        let length = i64::from(self.duration_minutes?) * 60_000;
        // The first start after `now - length` is the one covering `now`, if it is not later.
        let started = spec.next_after(now.plus_millis(-length)?)?;
        let end = started.plus_millis(length)?;
        (started <= now && now < end).then_some(end)
    }
}

/// One occurrence of a window, as the console's calendar lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Occurrence {
    pub window: String,
    pub start: Timestamp,
    pub end: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// It covers now.
    pub active: bool,
}

impl Window {
    /// The starts and ends of this window's occurrences that end after `now` and start before
    /// `until`, in order, at most `max`.
    pub fn occurrences(
        &self,
        now: Timestamp,
        until: Timestamp,
        max: usize,
    ) -> Vec<(Timestamp, Timestamp)> {
        if let (Some(start), Some(end)) = (self.start, self.end) {
            return if end > now && start < until {
                vec![(start, end)]
            } else {
                Vec::new()
            };
        }
        let (Some(spec), Some(minutes)) = (
            self.cron
                .as_deref()
                .and_then(|c| CronSpec::parse(c, self.tz.as_deref()).ok()),
            self.duration_minutes,
        ) else {
            return Vec::new();
        };
        let length = i64::from(minutes) * 60_000;
        let mut out = Vec::new();
        let mut after = now.plus_millis(-length);
        while let Some(from) = after {
            let Some(start) = spec.next_after(from) else {
                break;
            };
            let Some(end) = start.plus_millis(length) else {
                break;
            };
            if start >= until || out.len() >= max {
                break;
            }
            if end > now {
                out.push((start, end));
            }
            after = Some(start);
        }
        out
    }
}

/// The occurrences of `windows` from `now` for `days`, sorted by start, at most `max`.
pub fn upcoming(windows: &[Window], now: Timestamp, days: i64, max: usize) -> Vec<Occurrence> {
    let Some(until) = now.plus_millis(days * 86_400_000) else {
        return Vec::new();
    };
    let mut all: Vec<Occurrence> = windows
        .iter()
        .flat_map(|w| {
            w.occurrences(now, until, max)
                .into_iter()
                .map(move |(start, end)| Occurrence {
                    window: w.name.clone(),
                    start,
                    end,
                    app: w.app.clone(),
                    tag: w.tag.clone(),
                    active: start <= now && now < end,
                })
        })
        .collect();
    all.sort_by(|a, b| (a.start, &a.window).cmp(&(b.start, &b.window)));
    all.truncate(max);
    all
}

/// The window that holds `alert` at `now`, with the end of its occurrence.
pub fn window_for<'a>(
    windows: &'a [Window],
    alert: &TenantAlert,
    now: Timestamp,
) -> Option<(&'a Window, Timestamp)> {
    windows
        .iter()
        .filter(|w| w.matches(alert))
        .filter_map(|w| w.active_until(now).map(|end| (w, end)))
        .max_by_key(|(_, end)| *end)
}
