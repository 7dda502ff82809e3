//! A log user's use of the store per UTC day: lines and body bytes accepted, kept on the user's
//! item (`lines#<day>`, `bytes#<day>`) for [`USAGE_DAYS`] days. The token check already reads
//! that item, so the daily byte quota and the console's volume chart cost no extra read; the
//! count is one UpdateItem after a batch is stored ([`crate::LogUsageStore`]).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use lookout_core::{quota, time::Timestamp};
use serde::{Deserialize, Serialize};

/// Days of usage kept on a user's item (and shown in the volume chart).
pub(crate) const USAGE_DAYS: i64 = 30;

/// One UTC day of a log user's use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayUsage {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub lines: u64,
    pub bytes: u64,
}

/// What the user's item says of its use, per day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    days: BTreeMap<String, DayUsage>,
}

impl Usage {
    /// The usage attributes of a user's item.
    pub(crate) fn from_item(item: &HashMap<String, AttributeValue>) -> Self {
        let mut days: BTreeMap<String, DayUsage> = BTreeMap::new();
        for (name, value) in item {
            let Some((kind, day)) = name.split_once('#') else {
                continue;
            };
            let Some(n) = value.as_n().ok().and_then(|n| n.parse::<u64>().ok()) else {
                continue;
            };
            let entry = days.entry(day.to_owned()).or_insert_with(|| DayUsage {
                day: day.to_owned(),
                ..DayUsage::default()
            });
            match kind {
                "lines" => entry.lines = n,
                "bytes" => entry.bytes = n,
                _ => {}
            }
        }
        Self { days }
    }

    /// Bytes accepted on `now`'s UTC day.
    pub(crate) fn bytes_today(&self, now: Timestamp) -> u64 {
        self.days.get(&quota::utc_day(now)).map_or(0, |d| d.bytes)
    }

    /// The last [`USAGE_DAYS`] days up to `now`'s, oldest first, days without traffic as zero.
    pub(crate) fn series(&self, now: Timestamp) -> Vec<DayUsage> {
        (0..USAGE_DAYS)
            .rev()
            .filter_map(|back| now.plus_millis(-back * 86_400_000))
            .map(|t| {
                let day = quota::utc_day(t);
                self.days.get(&day).cloned().unwrap_or(DayUsage {
                    day,
                    ..DayUsage::default()
                })
            })
            .collect()
    }

    /// Days on the item older than the kept window at `now`: removed with the next count.
    pub(crate) fn stale(&self, now: Timestamp) -> Vec<String> {
        let oldest = now
            .plus_millis(-(USAGE_DAYS - 1) * 86_400_000)
            .map(quota::utc_day)
            .unwrap_or_default();
        self.days
            .keys()
            .filter(|d| d.as_str() < oldest.as_str())
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_str(s).unwrap()
    }

    #[test]
    fn usage_is_read_per_day_and_old_days_go() {
        let n = |v: u64| AttributeValue::N(v.to_string());
        let item: HashMap<String, AttributeValue> = [
            ("pk", AttributeValue::S("ann".into())),
            ("tokenSha256", AttributeValue::S("x".into())),
            ("lines#2026-12-03", n(10)),
            ("bytes#2026-12-03", n(2_000)),
            ("bytes#2026-12-01", n(50)),
            ("lines#2026-11-01", n(1)),
            ("bytes#2026-11-01", n(9)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let u = Usage::from_item(&item);
        let now = ts("2026-12-03T18:00:00Z");
        assert_eq!(u.bytes_today(now), 2_000);
        assert_eq!(u.bytes_today(ts("2026-12-04T00:00:00Z")), 0);
        let series = u.series(now);
        assert_eq!(series.len(), 30);
        assert_eq!(series[0].day, "2026-11-04");
        assert_eq!(
            series[29],
            DayUsage {
                day: "2026-12-03".into(),
                lines: 10,
                bytes: 2_000
            }
        );
        assert_eq!(series[27].bytes, 50);
        assert_eq!(series.iter().map(|d| d.lines).sum::<u64>(), 10);
        assert_eq!(u.stale(now), vec!["2026-11-01".to_owned()]);
    }
}
