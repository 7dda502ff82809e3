//! [`Overview`] in memory: the unresolved incidents and the volume counters of the shared
//! state (the counters are written by
//! [`MemoryIncidents::create`](crate::store::memory::incidents::MemoryIncidents)).

use std::cmp::Reverse;

use lookout_core::{time::Timestamp, BoxFuture};

use crate::error::IncidentError;
use crate::input::Status;
use crate::overview::{chart_days, DayVolume, OpenIncident, OpenIncidents, MAX_OPEN_READ};
use crate::store::incidents::activity_sk;
use crate::store::memory::state::{lock, Shared};
use crate::store::overview::Overview;

/// The overview's reads in memory. Clones share the state.
#[derive(Debug, Clone, Default)]
pub struct MemoryOverview {
    state: Shared,
}

impl MemoryOverview {
    pub(crate) fn over(state: Shared) -> Self {
        Self { state }
    }
}

impl Overview for MemoryOverview {
    fn open_incidents(&self, recent: usize) -> BoxFuture<'_, Result<OpenIncidents, IncidentError>> {
        Box::pin(async move {
            let state = lock(&self.state);
            let mut open: Vec<_> = state
                .incidents
                .values()
                .filter(|i| i.status != Status::Resolved)
                .collect();
            open.sort_by_key(|i| Reverse(activity_sk(i.last_seen, &i.id)));
            let mut out = OpenIncidents {
                truncated: open.len() > MAX_OPEN_READ,
                ..OpenIncidents::default()
            };
            for i in open.into_iter().take(MAX_OPEN_READ) {
                *out.by_level.entry(i.level.as_str().to_owned()).or_default() += 1;
                out.total += 1;
                if out.recent.len() < recent {
                    out.recent.push(OpenIncident {
                        id: i.id.clone(),
                        app_name: i.app_name.clone(),
                        title: i.title.clone(),
                        level: i.level,
                        status: i.status,
                        count: i.count,
                        first_seen: i.first_seen,
                        last_seen: i.last_seen,
                    });
                }
            }
            Ok(out)
        })
    }

    fn volume(&self, now: Timestamp) -> BoxFuture<'_, Result<Vec<DayVolume>, IncidentError>> {
        Box::pin(async move {
            let state = lock(&self.state);
            Ok(chart_days(now)
                .into_iter()
                .map(|day| {
                    state.volume.get(&day).cloned().unwrap_or(DayVolume {
                        day,
                        ..DayVolume::default()
                    })
                })
                .collect())
        })
    }
}
