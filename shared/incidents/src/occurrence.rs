//! Recording one occurrence of an incident, the grouping's writes: a repeat of an unresolved
//! incident (same app, title and level) counts there; anything else opens a new incident.
//!
//! Every write is conditional, so concurrent reports of one incident still make one: the
//! group item points at the current incident, a repeat bumps it unless it is resolved (the
//! bump's condition finds that out), and a new incident is stored in one transaction with the
//! group's new pointer and the day's volume counter. What to do with what was found is
//! [`crate::grouping::next`] (pure).

use std::future::Future;

use lookout_core::time::Timestamp;

use crate::error::IncidentError;
use crate::grouping::{group_pk_of, next, open_incident, Grouping};
use crate::input::{NewIncident, Status};
use crate::records::{Incident, Reported};
use crate::snapshot::Enrichment;
use crate::store::groups::Groups;
use crate::store::incidents::Incidents;

/// Times an occurrence reads its group again after a concurrent one moved it.
const GROUPING_ATTEMPTS: usize = 5;

/// Records an occurrence at `now`: counts it in the current unresolved incident with the same
/// app, title and level, or opens a new one (returned too). `enrich` is awaited only for a new
/// incident, at most once.
pub(crate) async fn record_occurrence(
    groups: &dyn Groups,
    incidents: &dyn Incidents,
    input: &NewIncident,
    now: Timestamp,
    enrich: impl Future<Output = Enrichment>,
) -> Result<(Reported, Option<Incident>), IncidentError> {
    let body = &input.incident;
    let truncated = body.logs.dropped() > 0;
    let gpk = group_pk_of(input);
    let mut enrich = Some(enrich);
    let mut enrichment: Option<Enrichment> = None;
    for _ in 0..GROUPING_ATTEMPTS {
        let current = groups.get(&gpk).await?.and_then(|g| g.current_id);
        // The bump's condition finds out whether the current incident is resolved.
        let mut found = current.as_deref().map(|id| (id, Status::Open));
        if let Some(Grouping::Join(id)) = found.map(|f| next(Some(f))) {
            match incidents.bump(&id, now).await? {
                Some(mut grouped) => {
                    grouped.logs_truncated = truncated;
                    return Ok((grouped, None));
                }
                None => found = current.as_deref().map(|id| (id, Status::Resolved)),
            }
        }
        let Grouping::Open { previous } = next(found) else {
            continue;
        };
        if enrichment.is_none() {
            enrichment = Some(match enrich.take() {
                Some(e) => e.await,
                None => Enrichment::default(),
            });
        }
        let incident = open_incident(input, now, enrichment.clone().unwrap_or_default());
        // With the group's new pointer and the day's counter; `false`: someone moved the
        // group pointer meanwhile; look again.
        if incidents
            .create(&incident, &gpk, previous.as_deref())
            .await?
        {
            let reported = Reported {
                ok: true,
                id: incident.id.clone(),
                status: Status::Open,
                count: 1,
                grouped: false,
                logs_truncated: truncated,
            };
            return Ok((reported, Some(incident)));
        }
    }
    Err(IncidentError::GroupingRaced)
}
