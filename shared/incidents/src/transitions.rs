//! Heartbeat outages as incidents: an app going `down` opens (or joins) an incident for that
//! app, grouped like any other report; its recovery resolves it, which writes the status change
//! into the incident's history.
//!
//! The incident's app is `<tenant> <app id>` (the heartbeat app; `:` becomes `-`, and a name
//! over 64 characters is cut and ends in a hash), its title `App <id> is down`, its level
//! `crit`, its message the reason (`silent: overdue since …`, `run failed with exit code 2`),
//! and its snapshot the app as the admin listing showed it at the transition (last beat and
//! message, recent runs and durations), bounded like every snapshot.
//!
//! Events may arrive twice or out of order (an SQS standard queue). The group item keeps the
//! `seq` of the last event applied (`hbSeq`): an event whose `seq` is not newer is acknowledged
//! without effect, so a late `down` never reopens a recovered app. The mark is written after
//! the incident change; a consumer that dies between the two applies that event again on
//! redelivery (a `down` then counts twice).

use lookout_core::{
    auth::sha256_hex,
    events::{AppTransition, TransitionKind},
    StoreError,
};

use crate::edits::update_incident;
use crate::error::IncidentError;
use crate::grouping::group_pk;
use crate::input::{
    AppName, IncidentBody, IncidentLevel, IncidentUpdate, NewIncident, SentLogs, Status,
};
use crate::occurrence::record_occurrence;
use crate::snapshot::Enrichment;
use crate::store::table::IncidentTable;
use crate::tenant_alerts::{transition_alert, TenantAlerts};

/// What a transition did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionOutcome {
    /// A new incident for the outage.
    Opened(String),
    /// Counted in the app's unresolved incident.
    Joined(String),
    /// The outage's incident is resolved.
    Resolved(String),
    /// Nothing to do: a redelivered or stale event, or a recovery without an open incident.
    Skipped,
}

/// The incidents app name of a heartbeat app.
pub fn heartbeat_app_name(tenant: &str, app_id: &str) -> AppName {
    let name = format!("{tenant} {}", app_id.replace(':', "-"));
    if name.chars().count() <= 64 {
        return AppName(name);
    }
    let hash = sha256_hex(name.as_bytes());
    let head: String = name.chars().take(55).collect();
    AppName(format!("{} {}", head.trim_end(), &hash[..8]))
}

/// The title of a heartbeat app's outage incident.
fn outage_title(app_id: &str) -> String {
    format!("App {app_id} is down")
}

/// Applies one heartbeat transition (see the module docs).
///
/// With `alerts`, an outage opened or joined and a recovery that resolved it also raise the
/// tenant's alert (before the transition is marked applied, so a failed send is retried with
/// the record; the alert's id makes the retry one alert).
pub async fn apply_transition(
    store: &dyn IncidentTable,
    ev: &AppTransition,
    alerts: Option<&dyn TenantAlerts>,
    console_url: Option<&str>,
) -> Result<TransitionOutcome, IncidentError> {
    let app_name = heartbeat_app_name(&ev.tenant, &ev.app_id);
    let title = outage_title(&ev.app_id);
    let gpk = group_pk(app_name.as_str(), &title, IncidentLevel::Crit);
    let groups = store.groups();
    let group = groups.get(&gpk).await?.unwrap_or_default();
    if group.applied_seq.is_some_and(|seq| seq >= ev.seq) {
        return Ok(TransitionOutcome::Skipped);
    }
    let outcome = match ev.kind {
        TransitionKind::Down => {
            let input = NewIncident {
                incident: IncidentBody {
                    title,
                    message: ev.reason.clone().unwrap_or_default(),
                    level: IncidentLevel::Crit,
                    logs: SentLogs::default(),
                },
                app_name,
                code: String::new(),
                group_key: None,
                sentry: None,
            };
            let snapshot = ev.app.clone();
            let (reported, _) =
                record_occurrence(groups, store.incidents(), &input, ev.at, async move {
                    Enrichment {
                        recent_logs: Vec::new(),
                        heartbeat: snapshot,
                    }
                })
                .await?;
            if reported.grouped {
                TransitionOutcome::Joined(reported.id)
            } else {
                TransitionOutcome::Opened(reported.id)
            }
        }
        TransitionKind::Up => match group.current_id {
            Some(id) => {
                let resolve = IncidentUpdate {
                    id: id.clone(),
                    status: Some(Status::Resolved),
                    assignee: None,
                    notes: None,
                    by: Some("heartbeat".into()),
                    version: None,
                };
                let detail = update_incident(store.incidents(), resolve, ev.at).await?;
                if detail.incident.status == Status::Resolved {
                    TransitionOutcome::Resolved(id)
                } else {
                    TransitionOutcome::Skipped
                }
            }
            None => TransitionOutcome::Skipped,
        },
    };
    if let Some(alerts) = alerts {
        let incident = match &outcome {
            TransitionOutcome::Opened(id)
            | TransitionOutcome::Joined(id)
            | TransitionOutcome::Resolved(id) => Some(id),
            TransitionOutcome::Skipped => None,
        };
        if let Some(id) = incident {
            alerts
                .raise(&transition_alert(ev, id, console_url))
                .await
                .map_err(|e| IncidentError::Store(StoreError::Call(e)))?;
        }
    }
    groups.mark_applied(&gpk, ev.seq).await?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_apps_get_valid_incident_app_names() {
        assert_eq!(heartbeat_app_name("acme", "23").as_str(), "acme 23");
        assert_eq!(
            heartbeat_app_name("acme", "db:main").as_str(),
            "acme db-main"
        );
        let long = heartbeat_app_name(&"t".repeat(64), &"a".repeat(128));
        assert!(AppName::parse(long.as_str()).is_ok(), "{}", long.as_str());
        assert_ne!(
            long,
            heartbeat_app_name(&"t".repeat(64), &format!("{}b", "a".repeat(127)))
        );
    }
}
