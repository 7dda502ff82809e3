//! What the console overview shows of incidents: the unresolved ones (how many by level, the
//! most recently active) and the incidents opened per UTC day, by level (the volume chart).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use lookout_core::{quota, time::Timestamp};

use crate::input::{IncidentLevel, Status};

/// Unresolved incidents read for one overview at most.
pub(crate) const MAX_OPEN_READ: usize = 500;

/// Days the overview's volume chart shows.
pub(crate) const VOLUME_DAYS: i64 = 30;

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
    pub by_level: BTreeMap<String, u64>,
    pub total: u64,
    pub recent: Vec<OpenIncident>,
    pub truncated: bool,
}

/// Incidents opened on one UTC day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DayVolume {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub opened: u64,
    /// Opened per level (`crit`, `error`, …); levels with none are left out.
    pub by_level: BTreeMap<String, u64>,
}

/// The UTC days the volume chart shows up to `now`'s (`YYYY-MM-DD`), oldest first.
pub(crate) fn chart_days(now: Timestamp) -> Vec<String> {
    (0..VOLUME_DAYS)
        .rev()
        .filter_map(|back| now.plus_millis(-back * 86_400_000))
        .map(quota::utc_day)
        .collect()
}
