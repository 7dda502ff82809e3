//! The console overview's incident part: unresolved incidents across apps and tenants, from
//! the sparse `open` index (only unresolved incidents are in it), newest activity first.

use super::*;

const OPEN_INDEX: &str = "open";

/// An unresolved incident, as the overview lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenIncident {
    pub id: String,
    pub app_name: String,
    pub title: String,
    pub level: IncidentLevel,
    pub status: Status,
    pub count: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
}

/// Unresolved incidents: how many by level, and the most recently active.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OpenIncidents {
    /// Counted among the first [`MAX_OPEN_READ`] read (`truncated` says when there are more).
    pub by_level: std::collections::BTreeMap<String, u64>,
    pub total: u64,
    pub recent: Vec<OpenIncident>,
    pub truncated: bool,
}

/// Unresolved incidents read for one overview at most.
pub const MAX_OPEN_READ: usize = 500;

impl IncidentStore {
    /// Unresolved incidents by level and the `recent` most recently active (one Query, paged
    /// up to [`MAX_OPEN_READ`] items of the keys-and-summary projection).
    pub async fn open_incidents(&self, recent: usize) -> Result<OpenIncidents, IncidentsError> {
        let mut out = OpenIncidents::default();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(OPEN_INDEX)
                .key_condition_expression("openpk = :o")
                .expression_attribute_values(":o", AttributeValue::S(OPEN.into()))
                .scan_index_forward(false)
                .limit(100)
                .set_exclusive_start_key(start)
                .send()
                .await?;
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
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(out);
            }
            if usize::try_from(out.total).unwrap_or(usize::MAX) >= MAX_OPEN_READ {
                out.truncated = true;
                return Ok(out);
            }
        }
    }
}
