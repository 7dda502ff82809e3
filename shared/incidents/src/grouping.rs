//! Grouping, pure: which occurrences are one incident, and what a report does to the group.
//!
//! A report joins the group's current incident (same app, title and level) unless that one is
//! resolved; otherwise it opens a new incident and the group points at it. The report asks
//! [`next`] with what it found and writes the answer conditionally (a resolved incident is
//! found by its bump failing), so concurrent reports still make one incident.

use lookout_core::{auth::sha256_hex, time::Timestamp};

use crate::input::{IncidentLevel, NewIncident, Status};
use crate::records::Incident;
use crate::snapshot::Enrichment;

/// The group item's key: app, title and level (the title hashed, to bound the key).
pub(crate) fn group_pk(app: &str, title: &str, level: IncidentLevel) -> String {
    let h = sha256_hex(format!("{title}\u{0}{}", level.as_str()).as_bytes());
    format!("GROUP#{app}#{}", &h[..24])
}

/// The group item's key of a report: a Sentry event's by its grouping key, any other by
/// [`group_pk`].
pub(crate) fn group_pk_of(input: &NewIncident) -> String {
    let app = input.app_name.as_str();
    match &input.group_key {
        Some(key) => {
            let h = sha256_hex(format!("sentry\u{0}{key}").as_bytes());
            format!("GROUP#{app}#{}", &h[..24])
        }
        None => group_pk(app, &input.incident.title, input.incident.level),
    }
}

/// What a report does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Grouping {
    /// Count it in the current incident.
    Join(String),
    /// Open a new incident; the group pointed at `previous` (resolved) or at nothing.
    Open { previous: Option<String> },
}

/// The group's current incident (id and status), if there is one.
pub(crate) fn next(current: Option<(&str, Status)>) -> Grouping {
    match current {
        Some((id, Status::Open | Status::Acknowledged)) => Grouping::Join(id.to_owned()),
        Some((id, Status::Resolved)) => Grouping::Open {
            previous: Some(id.to_owned()),
        },
        None => Grouping::Open { previous: None },
    }
}

/// A new incident from `input` at `now`, with the enrichment gathered for it.
pub(crate) fn open_incident(input: &NewIncident, now: Timestamp, e: Enrichment) -> Incident {
    let body = &input.incident;
    let e = e.bounded();
    Incident {
        id: uuid::Uuid::new_v4().to_string(),
        app_name: input.app_name.as_str().to_owned(),
        title: body.title.clone(),
        message: body.message.clone(),
        level: body.level,
        status: Status::Open,
        assignee: String::new(),
        notes: String::new(),
        logs: body.logs.0.clone(),
        logs_dropped: u64::try_from(body.logs.dropped()).unwrap_or(u64::MAX),
        count: 1,
        first_seen: now,
        last_seen: now,
        recent_logs: e.recent_logs,
        heartbeat: e.heartbeat,
        sentry: input.sentry.clone(),
        notified: false,
        notify_error: None,
        version: 0,
    }
}
