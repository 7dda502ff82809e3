//! The overview's reads: unresolved incidents from the sparse `open` index (only unresolved
//! incidents are in it), newest activity first; and the volume counters, one item per UTC day
//! (`VOLUME` / `<day>`), added to in the transaction that opens an incident, so an opening
//! counts exactly once (a raced or failed one not at all). The chart reads the last
//! [`VOLUME_DAYS`](crate::overview::VOLUME_DAYS) days in one Query. The port [`Overview`] and
//! its DynamoDB adapter [`OverviewStore`].

use std::collections::HashMap;
use std::fmt::Debug;

use aws_sdk_dynamodb::{
    types::{AttributeValue, TransactWriteItem, Update},
    Client,
};

use lookout_core::{
    ddb::{self, Next},
    quota,
    time::Timestamp,
    BoxFuture,
};

use crate::error::IncidentError;
use crate::overview::{chart_days, DayVolume, OpenIncident, OpenIncidents, MAX_OPEN_READ};
use crate::records::Incident;
use crate::store::incidents::OPEN;

const OPEN_INDEX: &str = "open";
const VOLUME_PK: &str = "VOLUME";
/// Unresolved incidents one Query page of the overview reads.
const OPEN_PAGE: i32 = 100;

/// The console overview's reads of the incidents (a read model, not an aggregate: one
/// overview, hence the singular).
pub trait Overview: Send + Sync + Debug {
    /// Unresolved incidents by level and the `recent` most recently active, counted among
    /// the first 500 read (then `truncated`).
    fn open_incidents(&self, recent: usize) -> BoxFuture<'_, Result<OpenIncidents, IncidentError>>;

    /// Incidents opened per UTC day over the last 30 days up to `now`'s, oldest first, days
    /// without any as zero.
    fn volume(&self, now: Timestamp) -> BoxFuture<'_, Result<Vec<DayVolume>, IncidentError>>;
}

/// The overview's reads in DynamoDB.
#[derive(Debug, Clone)]
pub(crate) struct OverviewStore {
    client: Client,
    table: String,
}

impl OverviewStore {
    pub(crate) fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// Unresolved incidents by level and the `recent` most recently active (one Query, paged
    /// up to [`MAX_OPEN_READ`] items of the keys-and-summary projection). A bounded read, so
    /// it goes through `ddb::query_pages` rather than `ddb::query_all`.
    pub(crate) async fn open_incidents(
        &self,
        recent: usize,
    ) -> Result<OpenIncidents, IncidentError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(OPEN_INDEX)
            .key_condition_expression("openpk = :o")
            .expression_attribute_values(":o", AttributeValue::S(OPEN.into()))
            .scan_index_forward(false)
            .limit(OPEN_PAGE);
        let mut out = OpenIncidents::default();
        ddb::query_pages(query, None, |page| {
            for item in page.items.unwrap_or_default() {
                let inc: OpenIncident = serde_dynamo::from_item(item)?;
                *out.by_level
                    .entry(inc.level.as_str().to_owned())
                    .or_default() += 1;
                out.total += 1;
                if out.recent.len() < recent {
                    out.recent.push(inc);
                }
            }
            let more = page.last_evaluated_key.is_some();
            if more && usize::try_from(out.total).unwrap_or(usize::MAX) >= MAX_OPEN_READ {
                out.truncated = true;
                return Ok(Next::Stop);
            }
            Ok::<_, IncidentError>(Next::Page)
        })
        .await?;
        Ok(out)
    }

    /// Incidents opened per UTC day over the last
    /// [`VOLUME_DAYS`](crate::overview::VOLUME_DAYS) days up to `now`'s, oldest first, days
    /// without any as zero (one Query of at most 30 small items).
    pub(crate) async fn volume(&self, now: Timestamp) -> Result<Vec<DayVolume>, IncidentError> {
        let days = chart_days(now);
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

/// The methods above, as the port.
impl Overview for OverviewStore {
    fn open_incidents(&self, recent: usize) -> BoxFuture<'_, Result<OpenIncidents, IncidentError>> {
        Box::pin(OverviewStore::open_incidents(self, recent))
    }

    fn volume(&self, now: Timestamp) -> BoxFuture<'_, Result<Vec<DayVolume>, IncidentError>> {
        Box::pin(OverviewStore::volume(self, now))
    }
}

/// The counter update (to `table`) for opening `incident`: part of its creation's
/// transaction.
pub(crate) fn count_opening(
    table: &str,
    incident: &Incident,
) -> Result<TransactWriteItem, IncidentError> {
    let update = Update::builder()
        .table_name(table)
        .key("pk", AttributeValue::S(VOLUME_PK.into()))
        .key("sk", AttributeValue::S(quota::utc_day(incident.first_seen)))
        .update_expression("ADD opened :one, #lvl :one")
        .expression_attribute_names("#lvl", format!("level#{}", incident.level.as_str()))
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .build()?;
    Ok(TransactWriteItem::builder().update(update).build())
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
