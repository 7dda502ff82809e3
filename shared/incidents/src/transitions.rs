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

use lookout_core::events::{AppTransition, TransitionKind};

use super::*;

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
pub fn outage_title(app_id: &str) -> String {
    format!("App {app_id} is down")
}

impl IncidentStore {
    /// Applies one heartbeat transition (see the module docs).
    pub async fn apply_transition(
        &self,
        ev: &AppTransition,
    ) -> Result<TransitionOutcome, IncidentsError> {
        let app_name = heartbeat_app_name(&ev.tenant, &ev.app_id);
        let title = outage_title(&ev.app_id);
        let gpk = group_pk(app_name.as_str(), &title, IncidentLevel::Crit);
        let group = self.group_item(&gpk).await?;
        let applied = group
            .as_ref()
            .and_then(|g| g.get("hbSeq"))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<u64>().ok());
        if applied.is_some_and(|seq| seq >= ev.seq) {
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
                };
                let snapshot = ev.app.clone();
                let (reported, _) = self
                    .report(&input, ev.at, || async move {
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
            TransitionKind::Up => {
                let current = group
                    .as_ref()
                    .and_then(|g| g.get("currentId"))
                    .and_then(|v| v.as_s().ok())
                    .cloned();
                match current {
                    Some(id) => {
                        let detail = self
                            .update(
                                IncidentUpdate {
                                    id: id.clone(),
                                    status: Some(Status::Resolved),
                                    assignee: None,
                                    notes: None,
                                    by: Some("heartbeat".into()),
                                    version: None,
                                },
                                ev.at,
                            )
                            .await?;
                        if detail.incident.status == Status::Resolved {
                            TransitionOutcome::Resolved(id)
                        } else {
                            TransitionOutcome::Skipped
                        }
                    }
                    None => TransitionOutcome::Skipped,
                }
            }
        };
        self.mark_applied(&gpk, ev.seq).await?;
        Ok(outcome)
    }

    async fn group_item(
        &self,
        gpk: &str,
    ) -> Result<Option<HashMap<String, AttributeValue>>, IncidentsError> {
        Ok(self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(gpk.to_owned()))
            .key("sk", AttributeValue::S("GROUP".into()))
            .consistent_read(true)
            .send()
            .await?
            .item)
    }

    /// Records `seq` as applied unless a newer one already is.
    async fn mark_applied(&self, gpk: &str, seq: u64) -> Result<(), IncidentsError> {
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(gpk.to_owned()))
            .key("sk", AttributeValue::S("GROUP".into()))
            .update_expression("SET hbSeq = :seq")
            .condition_expression("attribute_not_exists(hbSeq) OR hbSeq < :seq")
            .expression_attribute_values(":seq", AttributeValue::N(seq.to_string()))
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if ddb::is_conditional_check_failed(&e) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
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
