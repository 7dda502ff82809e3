//! Incidents opened per UTC day, by level: one counter item per day (`VOLUME` / `<day>`),
//! added to in the transaction that opens the incident, so an opening counts exactly once
//! (a raced or failed one not at all). The console's overview charts the last
//! [`VOLUME_DAYS`] days from one Query.

use super::*;

const VOLUME_PK: &str = "VOLUME";

/// Days the overview's volume chart shows.
pub const VOLUME_DAYS: i64 = 30;

/// Incidents opened on one UTC day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DayVolume {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub opened: u64,
    /// Opened per level (`crit`, `error`, …); levels with none are left out.
    pub by_level: std::collections::BTreeMap<String, u64>,
}

/// The counter update for opening `incident` (part of its creation's transaction).
pub(crate) fn count_opening(table: &str, incident: &Incident) -> Result<Update, StoreError> {
    Ok(Update::builder()
        .table_name(table)
        .key("pk", AttributeValue::S(VOLUME_PK.into()))
        .key("sk", AttributeValue::S(quota::utc_day(incident.first_seen)))
        .update_expression("ADD opened :one, #lvl :one")
        .expression_attribute_names("#lvl", format!("level#{}", incident.level.as_str()))
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .build()?)
}

/// A day's counter item as the chart shows it.
fn day_volume(item: &HashMap<String, AttributeValue>) -> Option<DayVolume> {
    let n = |v: &AttributeValue| v.as_n().ok().and_then(|n| n.parse::<u64>().ok());
    let mut out = DayVolume {
        day: item.get("sk")?.as_s().ok()?.clone(),
        opened: item.get("opened").and_then(n).unwrap_or(0),
        ..DayVolume::default()
    };
    for (name, value) in item {
        if let (Some(level), Some(count)) = (name.strip_prefix("level#"), n(value)) {
            out.by_level.insert(level.to_owned(), count);
        }
    }
    Some(out)
}

impl IncidentStore {
    /// Incidents opened per UTC day over the last [`VOLUME_DAYS`] days up to `now`'s, oldest
    /// first, days without any as zero (one Query of at most 30 small items).
    pub async fn volume(&self, now: Timestamp) -> Result<Vec<DayVolume>, IncidentsError> {
        let days: Vec<String> = (0..VOLUME_DAYS)
            .rev()
            .filter_map(|back| now.plus_millis(-back * 86_400_000))
            .map(quota::utc_day)
            .collect();
        let (Some(first), Some(last)) = (days.first(), days.last()) else {
            return Ok(Vec::new());
        };
        let items = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :v AND sk BETWEEN :a AND :b")
            .expression_attribute_values(":v", AttributeValue::S(VOLUME_PK.into()))
            .expression_attribute_values(":a", AttributeValue::S(first.clone()))
            .expression_attribute_values(":b", AttributeValue::S(last.clone()))
            .send()
            .await?
            .items
            .unwrap_or_default();
        let mut found: HashMap<String, DayVolume> = items
            .iter()
            .filter_map(day_volume)
            .map(|d| (d.day.clone(), d))
            .collect();
        Ok(days
            .into_iter()
            .map(|day| {
                found.remove(&day).unwrap_or(DayVolume {
                    day,
                    ..DayVolume::default()
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_item_reads_as_its_day() {
        let item: HashMap<String, AttributeValue> = [
            ("pk", AttributeValue::S("VOLUME".into())),
            ("sk", AttributeValue::S("2026-12-03".into())),
            ("opened", AttributeValue::N("3".into())),
            ("level#crit", AttributeValue::N("2".into())),
            ("level#info", AttributeValue::N("1".into())),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let d = day_volume(&item).unwrap();
        assert_eq!(d.day, "2026-12-03");
        assert_eq!(d.opened, 3);
        assert_eq!(d.by_level.get("crit"), Some(&2));
        assert_eq!(d.by_level.len(), 2);
    }
}
