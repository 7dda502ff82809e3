//! [`Incidents`] in memory, with the DynamoDB adapter's conditions: a bump misses a resolved
//! incident, an opening is all or nothing with its group's pointer and the day's counter, a
//! change is refused when the incident is no longer as read; listings page with the same
//! tokens.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

use lookout_core::{ddb, page::ByteBudget, quota::utc_day, time::Timestamp, BoxFuture, StoreError};

use crate::error::IncidentError;
use crate::input::{IncidentQuery, Status, MAX_PAGE};
use crate::overview::DayVolume;
use crate::records::{Change, Incident, IncidentDetail, IncidentPage, Reported};
use crate::store::incidents::{activity_sk, history_sk, Incidents};
use crate::store::memory::state::{lock, Shared};

/// The partition of the `by-time` index, as in DynamoDB (it is in the page tokens).
const ALL: &str = "INCIDENTS";

/// The incidents in memory. Clones share them.
#[derive(Debug, Clone, Default)]
pub struct MemoryIncidents {
    state: Shared,
}

impl MemoryIncidents {
    pub(crate) fn over(state: Shared) -> Self {
        Self { state }
    }
}

impl Incidents for MemoryIncidents {
    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<IncidentDetail, IncidentError>> {
        Box::pin(async move {
            let state = lock(&self.state);
            let incident = state
                .incidents
                .get(id)
                .cloned()
                .ok_or(IncidentError::IncidentNotFound)?;
            let history = state
                .history
                .range((id.to_owned(), String::new())..)
                .take_while(|((of, _), _)| of == id)
                .map(|(_, change)| change.clone())
                .collect();
            Ok(IncidentDetail { incident, history })
        })
    }

    fn bump<'a>(
        &'a self,
        id: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Option<Reported>, IncidentError>> {
        Box::pin(async move {
            let mut state = lock(&self.state);
            let Some(incident) = state.incidents.get_mut(id) else {
                return Ok(None);
            };
            if incident.status == Status::Resolved {
                return Ok(None);
            }
            incident.count += 1;
            incident.last_seen = now;
            Ok(Some(Reported {
                ok: true,
                id: id.to_owned(),
                status: incident.status,
                count: incident.count,
                grouped: true,
                logs_truncated: false,
            }))
        })
    }

    fn create<'a>(
        &'a self,
        incident: &'a Incident,
        group: &'a str,
        previous: Option<&'a str>,
    ) -> BoxFuture<'a, Result<bool, IncidentError>> {
        Box::pin(async move {
            let mut state = lock(&self.state);
            let pointer = state
                .groups
                .get(group)
                .and_then(|g| g.current_id.as_deref());
            if state.incidents.contains_key(&incident.id) || pointer != previous {
                return Ok(false);
            }
            state
                .incidents
                .insert(incident.id.clone(), incident.clone());
            state.groups.entry(group.to_owned()).or_default().current_id =
                Some(incident.id.clone());
            let day = utc_day(incident.first_seen);
            let counter = state
                .volume
                .entry(day.clone())
                .or_insert_with(|| DayVolume {
                    day,
                    ..DayVolume::default()
                });
            counter.opened += 1;
            *counter
                .by_level
                .entry(incident.level.as_str().to_owned())
                .or_default() += 1;
            Ok(true)
        })
    }

    fn change<'a>(
        &'a self,
        current: &'a Incident,
        changes: &'a [Change],
        // What keeps DynamoDB's `open` index in step; here that index is the status itself.
        _status: Option<Status>,
        version: u64,
    ) -> BoxFuture<'a, Result<(), IncidentError>> {
        Box::pin(async move {
            let mut state = lock(&self.state);
            let Some(stored) = state.incidents.get(&current.id) else {
                return Err(changed());
            };
            if (stored.version, stored.last_seen, stored.count)
                != (current.version, current.last_seen, current.count)
            {
                return Err(changed());
            }
            // Written to a copy first: a change that cannot be written writes nothing.
            let mut next = stored.clone();
            for change in changes {
                let to = match &change.to {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                match change.field.as_str() {
                    "status" => next.status = Status::parse(&to).map_err(StoreError::invariant)?,
                    "assignee" => next.assignee = to,
                    "notes" => next.notes = to,
                    other => {
                        return Err(StoreError::invariant(format!(
                            "an incident has no field {other:?} to change"
                        ))
                        .into())
                    }
                }
            }
            next.version = version;
            state.incidents.insert(current.id.clone(), next);
            for (n, change) in changes.iter().enumerate() {
                let key = (current.id.clone(), history_sk(change, version, n));
                state.history.insert(key, change.clone());
            }
            Ok(())
        })
    }

    fn mark_notified<'a>(
        &'a self,
        id: &'a str,
        error: Option<String>,
    ) -> BoxFuture<'a, Result<(), IncidentError>> {
        Box::pin(async move {
            let mut state = lock(&self.state);
            let Some(incident) = state.incidents.get_mut(id) else {
                // DynamoDB's failed `attribute_exists(pk)`, as the DynamoDB adapter returns it.
                return Err(StoreError::Call(
                    "ConditionalCheckFailedException: no incident to mark notified".into(),
                )
                .into());
            };
            incident.notified = error.is_none();
            incident.notify_error = error;
            Ok(())
        })
    }

    fn list(&self, q: IncidentQuery) -> BoxFuture<'_, Result<IncidentPage, IncidentError>> {
        Box::pin(async move {
            let limit = if q.limit == 0 { 50 } else { q.limit };
            if limit > MAX_PAGE {
                return Err(IncidentError::Invalid(format!(
                    "limit must be 1..={MAX_PAGE}"
                )));
            }
            // The index a DynamoDB listing reads: its key names are in the page tokens.
            let (pk_name, sk_name, pk) = match &q.app {
                Some(app) => ("gsi1pk", "gsi1sk", format!("APP#{}", app.as_str())),
                None => ("gsi2pk", "gsi2sk", ALL.to_owned()),
            };
            let keys = ["pk", "sk", pk_name, sk_name];
            let lo = q.from.map_or_else(|| "0".to_owned(), |t| t.to_rfc3339());
            let hi =
                q.to.map_or_else(|| "~".to_owned(), |t| format!("{}~", t.to_rfc3339()));
            let after = match q.next_token.as_deref() {
                Some(t) => {
                    let start = ddb::decode_page_token(t, &keys, (pk_name, &pk), "next_token")?;
                    match start.get(sk_name) {
                        Some(AttributeValue::S(sk)) if *sk >= lo && *sk <= hi => Some(sk.clone()),
                        _ => return Err(IncidentError::Invalid("next_token is invalid".into())),
                    }
                }
                None => None,
            };
            let state = lock(&self.state);
            let mut found: Vec<(String, &Incident)> = state
                .incidents
                .values()
                .filter(|i| q.app.as_ref().is_none_or(|a| i.app_name == a.as_str()))
                .filter(|i| q.level.is_none_or(|l| i.level == l))
                .filter(|i| q.status.is_none_or(|s| i.status == s))
                .map(|i| (activity_sk(i.last_seen, &i.id), i))
                .filter(|(sk, _)| *sk >= lo && *sk <= hi)
                .filter(|(sk, _)| after.as_ref().is_none_or(|a| sk < a))
                .collect();
            found.sort_by(|a, b| b.0.cmp(&a.0));
            let mut incidents = Vec::new();
            let mut budget = ByteBudget::default();
            let mut next_token = None;
            let mut last: Option<(&str, &str)> = None;
            for (sk, incident) in &found {
                // A page stops at `limit` incidents or at its byte budget, whichever is first;
                // the next one starts after the last incident returned.
                if incidents.len() == limit || !budget.take_json(*incident) {
                    next_token = last.map(|(id, sk)| {
                        let key = HashMap::from([
                            ("pk".to_owned(), AttributeValue::S(format!("INC#{id}"))),
                            ("sk".to_owned(), AttributeValue::S("META".into())),
                            (pk_name.to_owned(), AttributeValue::S(pk.clone())),
                            (sk_name.to_owned(), AttributeValue::S(sk.to_owned())),
                        ]);
                        ddb::encode_page_token(&key, &keys)
                    });
                    break;
                }
                incidents.push((*incident).clone());
                last = Some((&incident.id, sk));
            }
            Ok(IncidentPage {
                incidents,
                next_token,
            })
        })
    }
}

fn changed() -> IncidentError {
    IncidentError::Changed("the incident changed meanwhile; reload and retry")
}
