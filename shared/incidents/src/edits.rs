//! Changing an incident (`PATCH /admin/incident`, and a heartbeat app's recovery): status,
//! assignee and notes, each change one history entry, under the incident's version.

use serde_json::Value;

use lookout_core::time::Timestamp;

use crate::error::IncidentError;
use crate::input::IncidentUpdate;
use crate::records::{Change, Incident, IncidentDetail};
use crate::store::incidents::Incidents;

/// Applies `input`'s changes at `now` and appends them to the history, atomically, as the
/// incident's next version. Refused with [`IncidentError::Changed`] when `input.version` is
/// given and no longer current, or when the incident changes meanwhile. Nothing to change
/// (every value as it is) answers the incident as it is.
pub async fn update_incident(
    incidents: &dyn Incidents,
    mut input: IncidentUpdate,
    now: Timestamp,
) -> Result<IncidentDetail, IncidentError> {
    input.validate()?;
    let detail = incidents.get(&input.id).await?;
    let current = &detail.incident;
    if input.version.is_some_and(|v| v != current.version) {
        return Err(IncidentError::Changed(
            "the incident changed since that version; reload and retry",
        ));
    }
    let changes = changes(current, &input, now);
    if changes.is_empty() {
        return Ok(detail);
    }
    let version = current.version + 1;
    incidents
        .change(current, &changes, input.status, version)
        .await?;
    // The answer is built from what was read and written, not read back: once the
    // transaction is in, nothing may turn the request into a failure.
    let mut out = detail;
    if let Some(s) = input.status {
        out.incident.status = s;
    }
    if let Some(a) = input.assignee {
        out.incident.assignee = a;
    }
    if let Some(n) = input.notes {
        out.incident.notes = n;
    }
    out.incident.version = version;
    out.history.extend(changes);
    Ok(out)
}

/// What `input` changes in `current` (status, assignee, notes, in that order): a value given
/// as it is already is no change.
fn changes(current: &Incident, input: &IncidentUpdate, now: Timestamp) -> Vec<Change> {
    let by = input.by.clone().unwrap_or_else(|| "admin".into());
    let wanted = [
        input
            .status
            .map(|s| ("status", current.status.as_str(), s.as_str())),
        input
            .assignee
            .as_deref()
            .map(|a| ("assignee", current.assignee.as_str(), a)),
        input
            .notes
            .as_deref()
            .map(|n| ("notes", current.notes.as_str(), n)),
    ];
    wanted
        .into_iter()
        .flatten()
        .filter(|(_, from, to)| from != to)
        .map(|(field, from, to)| Change {
            at: now,
            field: field.to_owned(),
            from: Value::from(from),
            to: Value::from(to),
            by: by.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Status;
    use serde_json::json;

    fn incident() -> Incident {
        serde_json::from_value(json!({
            "id": "0b3c", "app_name": "billing", "title": "DB down", "message": "timeout",
            "level": "crit", "status": "open", "assignee": "dana", "notes": "", "count": 1,
            "first_seen": "2030-01-01T00:00:00.000Z", "last_seen": "2030-01-01T00:00:00.000Z"
        }))
        .unwrap()
    }

    #[test]
    fn only_values_that_differ_are_changes_each_by_its_author() {
        let at = Timestamp::parse_str("2030-01-02T00:00:00Z").unwrap();
        let input: IncidentUpdate = serde_json::from_value(json!({
            "id": "0b3c", "status": "resolved", "assignee": "dana", "notes": "fixed"
        }))
        .unwrap();
        let found = changes(&incident(), &input, at);
        let fields: Vec<(&str, &Value, &Value, &str)> = found
            .iter()
            .map(|c| (c.field.as_str(), &c.from, &c.to, c.by.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("status", &json!("open"), &json!("resolved"), "admin"),
                ("notes", &json!(""), &json!("fixed"), "admin"),
            ]
        );
        assert!(found.iter().all(|c| c.at == at));
        let same = IncidentUpdate {
            status: Some(Status::Open),
            by: Some("heartbeat".into()),
            ..input
        };
        let same = IncidentUpdate {
            assignee: None,
            notes: None,
            ..same
        };
        assert!(changes(&incident(), &same, at).is_empty());
    }
}
