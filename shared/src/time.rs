//! Timestamps: accepted leniently, stored and returned as RFC 3339 UTC with milliseconds.
//!
//! Accepted forms:
//! - RFC 3339 with an offset or `Z` (`2023-02-02T16:22:15+03:00`, also with a space for `T`),
//! - naive `YYYY-MM-DD HH:MM:SS[.fff]` or `YYYY-MM-DDTHH:MM:SS[.fff]`, taken as UTC,
//! - arrays `[Y, M, D, h, m, s]` (seconds may have a fraction; `[Y, M, D]` and `[Y, M, D, h, m]` too),
//! - numbers: Unix seconds, or milliseconds when the value is beyond year 5138 in seconds.
//!
//! The stored form (`2023-02-02T16:22:15.000Z`) has a fixed width, so it sorts as text.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

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

    /// Seconds since the epoch (for TTL attributes).
    pub fn unix_seconds(&self) -> i64 {
        self.0.timestamp()
    }

    /// The canonical stored text: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    pub fn to_rfc3339(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// Parses any accepted text form.
    pub fn parse_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let parsed = DateTime::parse_from_rfc3339(text)
            .map(|dt| dt.with_timezone(&Utc))
            .or_else(|_| {
                ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
                    .iter()
                    .find_map(|fmt| NaiveDateTime::parse_from_str(text, fmt).ok())
                    .or_else(|| {
                        NaiveDate::parse_from_str(text, "%Y-%m-%d")
                            .ok()
                            .and_then(|d| d.and_hms_opt(0, 0, 0))
                    })
                    .map(|naive| Utc.from_utc_datetime(&naive))
                    .ok_or(())
            })
            .map_err(|()| format!("unrecognised timestamp {text:?}: use RFC 3339, 'YYYY-MM-DD HH:MM:SS' or [Y,M,D,h,m,s]"))?;
        Self::from_datetime(parsed).ok_or_else(|| out_of_range(text))
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
                Self::from_datetime(dt).ok_or_else(|| out_of_range(&n.to_string()))
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
            *slot = part
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| format!("timestamp array holds a non-integer {part}"))?;
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
        let naive = NaiveDate::from_ymd_opt(year, month, day)
            .and_then(|d| d.and_hms_milli_opt(hour, minute, whole, millis))
            .ok_or_else(|| format!("timestamp {parts:?} is not a valid date and time"))?;
        Self::from_datetime(Utc.from_utc_datetime(&naive)).ok_or_else(|| out_of_range("year"))
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
        ] {
            assert!(parse(bad.clone()).is_err(), "{bad} should be rejected");
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
