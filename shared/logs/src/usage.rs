//! A log user's use of the store per UTC day: lines and body bytes accepted, kept on the user's
//! item (`lines#<day>`, `bytes#<day>`) for [`USAGE_DAYS`] days. The token check already reads
//! that item, so the daily byte quota and the console's volume chart cost no extra read; the
//! count is one UpdateItem after a batch is stored.

use super::*;

/// Days of usage kept on a user's item (and shown in the volume chart).
pub const USAGE_DAYS: i64 = 30;

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
    pub fn bytes_today(&self, now: Timestamp) -> u64 {
        self.days.get(&quota::utc_day(now)).map_or(0, |d| d.bytes)
    }

    /// The last [`USAGE_DAYS`] days up to `now`'s, oldest first, days without traffic as zero.
    pub fn series(&self, now: Timestamp) -> Vec<DayUsage> {
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

impl LogStore {
    /// Counts a stored batch on its user's item: `lines` and `bytes` on `now`'s UTC day, days
    /// out of the window dropped. Best effort once the lines are stored: a failure is logged
    /// and the batch still accepted (its lines are safe; the day's count is short by it).
    pub async fn count_usage(
        &self,
        user: &UserName,
        usage: &Usage,
        now: Timestamp,
        lines: usize,
        bytes: u64,
    ) {
        let day = quota::utc_day(now);
        let mut expr = "ADD #l :l, #b :b".to_owned();
        let mut req = self
            .client
            .update_item()
            .table_name(&self.users_table)
            .key("pk", AttributeValue::S(user.as_str().to_owned()))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#l", format!("lines#{day}"))
            .expression_attribute_names("#b", format!("bytes#{day}"))
            .expression_attribute_values(":l", AttributeValue::N(lines.to_string()))
            .expression_attribute_values(":b", AttributeValue::N(bytes.to_string()));
        let stale = usage.stale(now);
        if !stale.is_empty() {
            let mut names = Vec::new();
            for (i, d) in stale.iter().enumerate() {
                req = req
                    .expression_attribute_names(format!("#sl{i}"), format!("lines#{d}"))
                    .expression_attribute_names(format!("#sb{i}"), format!("bytes#{d}"));
                names.push(format!("#sl{i}, #sb{i}"));
            }
            expr.push_str(" REMOVE ");
            expr.push_str(&names.join(", "));
        }
        match req.update_expression(expr).send().await {
            Ok(_) => {}
            Err(err) if ddb::is_conditional_check_failed(&err) => {}
            Err(err) => tracing::warn!(
                error = %lookout_core::error::error_chain(&err),
                user = user.as_str(),
                "log usage not counted"
            ),
        }
    }

    /// A user's usage (the admin's view of the volume chart); `None` for an unknown user.
    pub async fn usage(&self, user: &UserName) -> Result<Option<Usage>, LogsError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.users_table)
            .key("pk", AttributeValue::S(user.as_str().to_owned()))
            .send()
            .await?;
        Ok(out.item.as_ref().map(Usage::from_item))
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
