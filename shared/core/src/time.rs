//! Timestamps: accepted leniently, stored and returned as RFC 3339 UTC with milliseconds.
//!
//! Accepted forms:
//! - RFC 3339 with an offset or `Z` (`2023-02-02T16:22:15+03:00`, also with a space for `T`),
//! - naive `YYYY-MM-DD HH:MM:SS[.fff]` or `YYYY-MM-DDTHH:MM:SS[.fff]`, taken as UTC,
//! - arrays `[Y, M, D, h, m, s]` (seconds may have a fraction; `[Y, M, D]` and `[Y, M, D, h, m]` too),
//! - numbers: Unix seconds, or milliseconds when the value is beyond year 5138 in seconds.
//!
//! The naive forms (strings without offset, arrays) are wall-clock times: [`SentTime`] keeps
//! them apart from absolute ones so they can be placed in an IANA time zone ([`Zone`]) instead
//! of UTC (the messenger's `time` with a `time_zone`).
//!
//! The stored form (`2023-02-02T16:22:15.000Z`) has a fixed width, so it sorts as text.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Offset as _, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// A point in time between 1970 and 9999, UTC, millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

const MIN_YEAR: i32 = 1970;
const MAX_YEAR: i32 = 9999;
/// Numbers at or above this are milliseconds, below it seconds (year 5138 in seconds).
const MILLIS_THRESHOLD: f64 = 100_000_000_000.0;

impl Timestamp {
    pub fn now() -> Self {
        Self::from_datetime(Utc::now()).unwrap_or(Self(DateTime::<Utc>::UNIX_EPOCH))
    }

    /// Truncates to milliseconds; `None` outside 1970..=9999.
    pub fn from_datetime(dt: DateTime<Utc>) -> Option<Self> {
        use chrono::{Datelike, Timelike};
        if !(MIN_YEAR..=MAX_YEAR).contains(&dt.year()) {
            return None;
        }
        let millis = dt.nanosecond() / 1_000_000 * 1_000_000;
        dt.with_nanosecond(millis).map(Self)
    }

    pub fn datetime(&self) -> DateTime<Utc> {
        self.0
    }

    /// This time moved by `ms` milliseconds (negative: earlier); `None` outside 1970..=9999.
    pub fn plus_millis(&self, ms: i64) -> Option<Self> {
        self.0
            .checked_add_signed(chrono::TimeDelta::try_milliseconds(ms)?)
            .and_then(Self::from_datetime)
    }

    /// Seconds since the epoch (for TTL attributes).
    pub fn unix_millis(&self) -> i64 {
        self.0.timestamp_millis()
    }

    pub fn unix_seconds(&self) -> i64 {
        self.0.timestamp()
    }

    /// The canonical stored text: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    pub fn to_rfc3339(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// Parses any accepted text form (naive ones as UTC).
    pub fn parse_str(text: &str) -> Result<Self, String> {
        SentTime::parse_str(text)?.in_zone(Zone::UTC)
    }

    /// Parses any accepted JSON form (naive ones as UTC).
    pub fn parse_json(value: &Value) -> Result<Self, String> {
        SentTime::parse_json(value)?.in_zone(Zone::UTC)
    }
}

/// A time as a client sent it: an instant (an offset, `Z` or an epoch number) or a wall-clock
/// time without zone (a naive string or `[Y,M,D,h,m,s]`), to be placed in a [`Zone`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentTime {
    Instant(Timestamp),
    Wall(NaiveDateTime),
}

impl SentTime {
    /// Parses any accepted text form.
    pub fn parse_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
            return Timestamp::from_datetime(dt.with_timezone(&Utc))
                .map(Self::Instant)
                .ok_or_else(|| out_of_range(text));
        }
        ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
            .iter()
            .find_map(|fmt| NaiveDateTime::parse_from_str(text, fmt).ok())
            .or_else(|| {
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
            })
            .map(Self::Wall)
            .ok_or_else(|| format!("unrecognised timestamp {text:?}: use RFC 3339, 'YYYY-MM-DD HH:MM:SS' or [Y,M,D,h,m,s]"))
    }

    /// Parses any accepted JSON form.
    pub fn parse_json(value: &Value) -> Result<Self, String> {
        match value {
            Value::String(s) => Self::parse_str(s),
            Value::Number(n) => {
                let n = n
                    .as_f64()
                    .ok_or_else(|| "timestamp number out of range".to_owned())?;
                if !n.is_finite() || n < 0.0 {
                    return Err(format!("timestamp {n} is before 1970"));
                }
                let millis = if n >= MILLIS_THRESHOLD { n } else { n * 1000.0 };
                // Bounded by the year check below; the cast saturates.
                #[allow(clippy::cast_possible_truncation)]
                let dt = DateTime::<Utc>::from_timestamp_millis(millis as i64)
                    .ok_or_else(|| out_of_range(&n.to_string()))?;
                Timestamp::from_datetime(dt)
                    .map(Self::Instant)
                    .ok_or_else(|| out_of_range(&n.to_string()))
            }
            Value::Array(parts) => Self::parse_parts(parts),
            _ => Err("timestamp must be a string, a number or [Y,M,D,h,m,s]".to_owned()),
        }
    }

    fn parse_parts(parts: &[Value]) -> Result<Self, String> {
        if !matches!(parts.len(), 3 | 5 | 6) {
            return Err("timestamp array must be [Y,M,D], [Y,M,D,h,m] or [Y,M,D,h,m,s]".to_owned());
        }
        let mut ints = [0_u32; 5];
        for (slot, part) in ints.iter_mut().zip(parts.iter().take(5)) {
            // An integer, or a whole float (`3.0`), as JSON Schema's `integer` takes it.
            *slot = crate::whole::Whole::<u32>::deserialize(part)
                .map(|w| w.0)
                .map_err(|_| format!("timestamp array holds a non-integer {part}"))?;
        }
        let seconds = match parts.get(5) {
            Some(v) => v
                .as_f64()
                .filter(|s| (0.0..60.0).contains(s))
                .ok_or_else(|| format!("timestamp seconds {v} must be 0..60"))?,
            None => 0.0,
        };
        let [year, month, day, hour, minute] = ints;
        // `seconds` is in 0..60, so both casts are exact or truncate a fraction on purpose.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (whole, millis) = (
            seconds.trunc() as u32,
            ((seconds.fract() * 1000.0).round() as u32).min(999),
        );
        let year = i32::try_from(year).map_err(|_| out_of_range("year"))?;
        NaiveDate::from_ymd_opt(year, month, day)
            .and_then(|d| d.and_hms_milli_opt(hour, minute, whole, millis))
            .map(Self::Wall)
            .ok_or_else(|| format!("timestamp {parts:?} is not a valid date and time"))
    }

    /// Whether the zone matters (a wall-clock time).
    pub fn is_wall(&self) -> bool {
        matches!(self, Self::Wall(_))
    }

    /// The instant: absolute times as they are, wall-clock times read in `zone`. A wall time
    /// that a DST change skips (02:30 when clocks jump from 02:00 to 03:00) is read with the
    /// offset before the change, so it lands as far after the jump as it was after 02:00
    /// (03:30); one that occurs twice (when clocks go back) is the first of the two. Python's
    /// `zoneinfo` does the same (`fold=0`).
    pub fn in_zone(self, zone: Zone) -> Result<Timestamp, String> {
        let naive = match self {
            Self::Instant(t) => return Ok(t),
            Self::Wall(naive) => naive,
        };
        let utc = match zone.0.from_local_datetime(&naive) {
            chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
                t.with_timezone(&Utc)
            }
            chrono::LocalResult::None => {
                let before = naive
                    .checked_sub_signed(chrono::Duration::hours(24))
                    .map(|earlier| zone.0.offset_from_utc_datetime(&earlier).fix())
                    .ok_or_else(|| out_of_range(&naive.to_string()))?;
                naive
                    .checked_sub_signed(chrono::Duration::seconds(i64::from(
                        before.local_minus_utc(),
                    )))
                    .map(|n| Utc.from_utc_datetime(&n))
                    .ok_or_else(|| out_of_range(&naive.to_string()))?
            }
        };
        Timestamp::from_datetime(utc).ok_or_else(|| out_of_range(&naive.to_string()))
    }
}

impl<'de> Deserialize<'de> for SentTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::parse_json(&value).map_err(serde::de::Error::custom)
    }
}

/// An IANA time zone (`Europe/Moscow`, `America/New_York`, `UTC`), from the tz database built
/// into the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(chrono_tz::Tz);

impl Zone {
    pub const UTC: Self = Self(chrono_tz::Tz::UTC);

    pub fn parse(name: &str) -> Result<Self, String> {
        name.trim().parse::<chrono_tz::Tz>().map(Self).map_err(|_| {
            format!(
                "time_zone {name:?} is not an IANA time zone name (such as \"Europe/Moscow\" or \"UTC\")"
            )
        })
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The zone's rules, for calendar arithmetic (cron schedules).
    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Where "now" comes from (a port): the system clock in functions, a [`ManualClock`] in tests
/// and in the local event pump.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Timestamp;
}

/// A clock shared by a function's `Deps` and its tasks.
pub type SharedClock = Arc<dyn Clock>;

/// The system clock, shared.
pub fn system_clock() -> SharedClock {
    Arc::new(SystemClock)
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands where it was last set; clones share the time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(at: Timestamp) -> Self {
        Self(Arc::new(AtomicI64::new(at.0.timestamp_millis())))
    }

    pub fn set(&self, at: Timestamp) {
        self.0.store(at.0.timestamp_millis(), Ordering::SeqCst);
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: std::time::Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    /// Where the clock stands.
    pub fn now(&self) -> Timestamp {
        DateTime::from_timestamp_millis(self.0.load(Ordering::SeqCst))
            .and_then(Timestamp::from_datetime)
            .unwrap_or_else(Timestamp::now)
    }

    /// This clock as a [`SharedClock`] (still moved by `set` on any clone).
    pub fn shared(&self) -> SharedClock {
        Arc::new(self.clone())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        ManualClock::now(self)
    }
}

fn out_of_range(what: &str) -> String {
    format!("timestamp {what} is outside {MIN_YEAR}..={MAX_YEAR}")
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::parse_json(&value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<String, String> {
        Timestamp::parse_json(&v).map(|t| t.to_rfc3339())
    }

    #[test]
    fn accepts_every_documented_form() {
        let want = "2023-02-02T16:22:15.000Z";
        assert_eq!(parse(json!("2023-02-02T16:22:15Z")).unwrap(), want);
        assert_eq!(parse(json!("2023-02-02T19:22:15+03:00")).unwrap(), want);
        assert_eq!(parse(json!("2023-02-02 16:22:15")).unwrap(), want);
        assert_eq!(parse(json!("2023-02-02T16:22:15")).unwrap(), want);
        assert_eq!(parse(json!([2023, 2, 2, 16, 22, 15])).unwrap(), want);
        assert_eq!(parse(json!(1_675_354_935)).unwrap(), want);
        assert_eq!(parse(json!(1_675_354_935_000_u64)).unwrap(), want);
        assert_eq!(
            parse(json!("2016-01-01 11:20:05.123")).unwrap(),
            "2016-01-01T11:20:05.123Z"
        );
        assert_eq!(
            parse(json!([2016, 1, 1, 11, 20, 5.5])).unwrap(),
            "2016-01-01T11:20:05.500Z"
        );
        assert_eq!(
            parse(json!("2020-05-05")).unwrap(),
            "2020-05-05T00:00:00.000Z"
        );
        // Whole floats in the array, as JSON Schema's `integer` (the OpenAPI document) allows
        // and Schemathesis sends: `[2166, 3.0, 14.0]`.
        assert_eq!(
            parse(json!([2023.0, 2.0, 2, 16.0, 22, 15.0])).unwrap(),
            want
        );
        assert_eq!(
            parse(json!([2166, 3.0, 14.0])).unwrap(),
            "2166-03-14T00:00:00.000Z"
        );
    }

    #[test]
    fn rejects_garbage_with_a_reason() {
        for bad in [
            json!("timestamp"),
            json!(""),
            json!("2023-13-01 00:00:00"),
            json!([2023, 2, 30, 0, 0, 0]),
            json!([2023, 2]),
            json!([2023, 2, 2, 25, 0, 0]),
            json!(-5),
            json!(null),
            json!({"y": 2023}),
            json!("1969-12-31T23:59:59Z"),
            json!([2023, "2", 2, 0, 0, 0]),
            json!([2023, 2.5, 2, 0, 0, 0]),
            json!([2023, -2.0, 2, 0, 0, 0]),
        ] {
            assert!(parse(bad.clone()).is_err(), "{bad} should be rejected");
        }
    }

    fn local(v: Value, zone: &str) -> String {
        SentTime::parse_json(&v)
            .unwrap()
            .in_zone(Zone::parse(zone).unwrap())
            .unwrap()
            .to_rfc3339()
    }

    #[test]
    fn wall_clock_times_are_read_in_their_zone_and_instants_are_not() {
        // 09:00 in Moscow (UTC+3, no DST) is 06:00 UTC.
        assert_eq!(
            local(json!([2026, 12, 3, 9, 0, 0]), "Europe/Moscow"),
            "2026-12-03T06:00:00.000Z"
        );
        assert_eq!(
            local(json!("2026-12-03 09:00:00"), "Europe/Moscow"),
            "2026-12-03T06:00:00.000Z"
        );
        // Instants carry their own offset: the zone does not move them.
        assert_eq!(
            local(json!("2026-12-03T09:00:00Z"), "Europe/Moscow"),
            "2026-12-03T09:00:00.000Z"
        );
        assert_eq!(
            local(json!(1_796_000_000), "Asia/Tokyo"),
            "2026-11-30T00:53:20.000Z"
        );
        // Summer and winter time in New York.
        assert_eq!(
            local(json!([2026, 7, 1, 9, 0, 0]), "America/New_York"),
            "2026-07-01T13:00:00.000Z"
        );
        assert_eq!(
            local(json!([2026, 1, 1, 9, 0, 0]), "America/New_York"),
            "2026-01-01T14:00:00.000Z"
        );
        assert_eq!(
            local(json!([2026, 1, 1, 9, 0, 0]), "UTC"),
            "2026-01-01T09:00:00.000Z"
        );
    }

    #[test]
    fn dst_gaps_and_repeats_resolve_like_python_zoneinfo() {
        // Berlin, 2026-03-29: clocks jump 02:00 → 03:00. 02:30 does not exist: read with the
        // winter offset (+1), it is 01:30 UTC, i.e. 03:30 summer time.
        assert_eq!(
            local(json!([2026, 3, 29, 2, 30, 0]), "Europe/Berlin"),
            "2026-03-29T01:30:00.000Z"
        );
        assert_eq!(
            local(json!([2026, 3, 29, 1, 59, 59]), "Europe/Berlin"),
            "2026-03-29T00:59:59.000Z"
        );
        assert_eq!(
            local(json!([2026, 3, 29, 3, 0, 0]), "Europe/Berlin"),
            "2026-03-29T01:00:00.000Z"
        );
        // 2026-10-25: clocks go back 03:00 → 02:00, so 02:30 happens twice: the first (+2).
        assert_eq!(
            local(json!([2026, 10, 25, 2, 30, 0]), "Europe/Berlin"),
            "2026-10-25T00:30:00.000Z"
        );
        assert_eq!(
            local(json!([2026, 10, 25, 3, 30, 0]), "Europe/Berlin"),
            "2026-10-25T02:30:00.000Z"
        );
        // Lord Howe Island moves by 30 minutes: 02:15 on 2026-10-04 is skipped (02:00 → 02:30).
        assert_eq!(
            local(json!([2026, 10, 4, 2, 15, 0]), "Australia/Lord_Howe"),
            "2026-10-03T15:45:00.000Z"
        );
    }

    #[test]
    fn zones_are_iana_names() {
        assert_eq!(
            Zone::parse(" Europe/Moscow ").unwrap().name(),
            "Europe/Moscow"
        );
        for bad in ["", "MSK+3", "Europe/Mordor", "+03:00", "europe/moscow"] {
            assert!(Zone::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn canonical_text_sorts_like_time() {
        let a = Timestamp::parse_str("2023-02-09 01:05:23").unwrap();
        let b = Timestamp::parse_str("2023-02-09 01:08:55").unwrap();
        let c = Timestamp::parse_str("2100-01-01 00:00:00.5").unwrap();
        assert!(a < b && b < c);
        assert!(a.to_rfc3339() < b.to_rfc3339() && b.to_rfc3339() < c.to_rfc3339());
    }
}
