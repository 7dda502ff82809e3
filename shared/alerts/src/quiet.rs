//! Quiet hours (pure): a tenant's nightly hours, in an IANA zone, when alerts below `critical`
//! wait for a morning digest (see `crate::holds`). Critical alerts (a heartbeat outage, a
//! critical incident) still go out at once.
//!
//! `start` and `end` are local wall-clock times (`HH:MM`); `end` before `start` spans
//! midnight. They are cron times of the heartbeat schedule code (`lookout_core::cron`), so
//! daylight saving time is handled as the schedules handle it: a time in a spring-forward gap
//! moves to the first instant after it, a time in a repeated fall-back hour happens once.

use lookout_core::cron::CronSpec;
use lookout_core::time::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::AlertError;

/// A tenant's quiet hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// Local time they begin, `HH:MM`.
    pub start: String,
    /// Local time they end (the digest goes out then), `HH:MM`.
    pub end: String,
    /// IANA zone (default UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
}

impl QuietHours {
    /// Checks the shape: two different `HH:MM` times and a known zone.
    pub fn validate(&self) -> Result<(), AlertError> {
        let start = self.spec(&self.start)?;
        let end = self.spec(&self.end)?;
        if start.1 == end.1 {
            return Err(AlertError::Invalid(
                "quiet_hours: start and end differ".into(),
            ));
        }
        Ok(())
    }

    /// The daily cron of a `HH:MM` time, and the minute of the day it names.
    fn spec(&self, time: &str) -> Result<(CronSpec, u32), AlertError> {
        let bad = || {
            AlertError::Invalid(format!(
                "quiet_hours: {time:?} is not a time of day (HH:MM, 00:00 to 23:59)"
            ))
        };
        let (h, m) = time.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h > 23 || m > 59 {
            return Err(bad());
        }
        let spec = CronSpec::parse(&format!("{m} {h} * * *"), self.tz.as_deref())
            .map_err(|e| AlertError::Invalid(format!("quiet_hours: {e}")))?;
        Ok((spec, h * 60 + m))
    }

    /// The end of the quiet hours covering `now` (when their digest goes out), if they do:
    /// they cover `now` when their next end comes before their next start.
    pub fn active_until(&self, now: Timestamp) -> Option<Timestamp> {
        let (start, _) = self.spec(&self.start).ok()?;
        let (end, _) = self.spec(&self.end).ok()?;
        let next_end = end.next_after(now)?;
        let next_start = start.next_after(now)?;
        (next_end < next_start).then_some(next_end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse_str(s).unwrap()
    }

    fn berlin() -> QuietHours {
        QuietHours {
            start: "22:00".into(),
            end: "07:00".into(),
            tz: Some("Europe/Berlin".into()),
        }
    }

    #[test]
    fn overnight_hours_in_berlin_across_both_dst_changes() {
        let q = berlin();
        q.validate().unwrap();
        // Winter (UTC+1): 22:00-07:00 local is 21:00-06:00 UTC.
        assert_eq!(q.active_until(at("2026-12-07T20:59:00Z")), None);
        assert_eq!(
            q.active_until(at("2026-12-07T21:00:00Z")),
            Some(at("2026-12-08T06:00:00Z"))
        );
        assert_eq!(
            q.active_until(at("2026-12-08T05:59:00Z")),
            Some(at("2026-12-08T06:00:00Z"))
        );
        assert_eq!(q.active_until(at("2026-12-08T06:00:00Z")), None);
        // The night the clocks go forward (29 March 2026, 02:00 → 03:00): it starts at 21:00
        // UTC (UTC+1) and ends at 05:00 UTC (UTC+2).
        assert_eq!(
            q.active_until(at("2026-03-28T21:30:00Z")),
            Some(at("2026-03-29T05:00:00Z"))
        );
        // Summer (UTC+2): 20:00-05:00 UTC.
        assert_eq!(
            q.active_until(at("2026-07-01T20:00:00Z")),
            Some(at("2026-07-02T05:00:00Z"))
        );
        assert_eq!(q.active_until(at("2026-07-01T19:59:00Z")), None);
        // The night they go back (25 October 2026): from 20:00 UTC to 06:00 UTC.
        assert_eq!(
            q.active_until(at("2026-10-24T23:00:00Z")),
            Some(at("2026-10-25T06:00:00Z"))
        );
    }

    #[test]
    fn daytime_hours_and_bad_shapes() {
        let q = QuietHours {
            start: "12:00".into(),
            end: "13:30".into(),
            tz: None,
        };
        q.validate().unwrap();
        assert_eq!(
            q.active_until(at("2026-12-07T12:10:00Z")),
            Some(at("2026-12-07T13:30:00Z"))
        );
        assert_eq!(q.active_until(at("2026-12-07T13:31:00Z")), None);
        for (start, end, tz) in [
            ("22:00", "22:00", None),
            ("24:00", "07:00", None),
            ("7:00", "08:00", None),
            ("22:00", "07:60", None),
            ("22:00", "07:00", Some("Mars/Olympus")),
            ("noon", "07:00", None),
        ] {
            let q = QuietHours {
                start: start.into(),
                end: end.into(),
                tz: tz.map(str::to_owned),
            };
            assert!(q.validate().is_err(), "{start} {end} {tz:?}");
        }
    }
}
