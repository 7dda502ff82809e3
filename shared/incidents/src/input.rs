//! What clients send, validated: app names, levels, statuses, logs (fitted to the limits),
//! incident reports, app settings, updates and queries.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use lookout_core::time::Timestamp;

use crate::error::IncidentError;

pub(crate) const MAX_TITLE: usize = 200;
pub const MAX_MESSAGE: usize = 10_000;
pub(crate) const MAX_LOG_LINES: usize = 500;
pub(crate) const MAX_LOG_BYTES: usize = 64 * 1024;
pub(crate) const MAX_NOTES: usize = 4000;
/// The largest daily Sentry event quota an app may set.
pub(crate) const MAX_EVENTS_PER_DAY: u32 = 10_000_000;
/// Incidents one listing page holds at most.
pub const MAX_PAGE: usize = 200;
/// Longest incident id a request may name.
const MAX_ID: usize = 64;

/// Bounded text: trimmed, non-empty when required, no control characters except newlines/tabs.
pub(crate) fn text(s: &str, what: &str, max: usize, required: bool) -> Result<String, String> {
    let t = s.trim();
    if required && t.is_empty() {
        return Err(format!("{what} must not be empty"));
    }
    if t.chars().count() > max {
        return Err(format!("{what} must be at most {max} characters"));
    }
    if t.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(format!("{what} must not contain control characters"));
    }
    Ok(t.to_owned())
}

/// An app name: 1–64 of letters, digits, `_ . -` and spaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct AppName(pub(crate) String);

impl AppName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = (1..=64).contains(&s.chars().count())
            && s.trim() == s
            && s.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | ' '));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "app_name {s:?} must be 1-64 letters, digits, spaces, '_', '.', '-'"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for AppName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// The seed's levels; `critical` is accepted for `crit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IncidentLevel {
    Debug,
    Info,
    Warning,
    Error,
    #[serde(alias = "critical")]
    Crit,
}

impl IncidentLevel {
    pub fn parse(s: &str) -> Result<Self, String> {
        serde_json::from_value(Value::String(s.trim().to_ascii_lowercase()))
            .map_err(|_| format!("level {s:?} must be one of debug, info, warning, error, crit"))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
            Self::Crit => "crit",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Open,
    Acknowledged,
    Resolved,
}

impl Status {
    pub fn parse(s: &str) -> Result<Self, String> {
        serde_json::from_value(Value::String(s.trim().to_ascii_lowercase()))
            .map_err(|_| format!("status {s:?} must be open, acknowledged or resolved"))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
        }
    }
}

/// `logs` as the seed sends it: one string with newlines, a list of lines, or null. An incident
/// is never refused for its logs' size (the seed's client sends as many lines as it is told
/// to): beyond [`MAX_LOG_LINES`] lines or [`MAX_LOG_BYTES`] the newest lines are kept, and the
/// second field counts the lines dropped (a line cut to fit counts as dropped too).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SentLogs(pub(crate) Vec<String>, pub(crate) usize);

impl SentLogs {
    /// Lines dropped (or cut) to fit the limits; 0 when the logs were kept whole.
    pub fn dropped(&self) -> usize {
        self.1
    }

    /// The newest lines within the limits, and how many were dropped or cut.
    pub fn fit(lines: Vec<String>) -> Self {
        let total = lines.len();
        let mut kept: Vec<String> = Vec::new();
        let mut bytes = 0_usize;
        let mut cut = 0_usize;
        for line in lines.into_iter().rev() {
            if kept.len() == MAX_LOG_LINES || bytes >= MAX_LOG_BYTES {
                break;
            }
            let room = MAX_LOG_BYTES - bytes;
            if line.len() <= room {
                bytes += line.len();
                kept.push(line);
            } else {
                // The newest line that does not fit whole keeps its end (where a message's
                // cause usually is), cut at a character boundary.
                let mut start = line.len() - room;
                while !line.is_char_boundary(start) {
                    start += 1;
                }
                kept.push(line[start..].to_owned());
                cut = 1;
                break;
            }
        }
        kept.reverse();
        let dropped = total - kept.len() + cut;
        Self(kept, dropped)
    }
}

impl<'de> Deserialize<'de> for SentLogs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let lines: Vec<String> = match Value::deserialize(d)? {
            Value::Null => Vec::new(),
            Value::String(s) => s.lines().map(str::to_owned).collect(),
            Value::Array(items) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    other => Err(D::Error::custom(format!(
                        "logs entries must be strings, got {other}"
                    ))),
                })
                .collect::<Result<_, _>>()?,
            other => {
                return Err(D::Error::custom(format!(
                    "logs must be a string or a list of strings, got {other}"
                )))
            }
        };
        Ok(Self::fit(lines))
    }
}

/// Unknown fields are ignored, as the seed's server did.
#[derive(Debug, Deserialize)]
pub struct IncidentBody {
    pub title: String,
    #[serde(default)]
    pub message: String,
    pub level: IncidentLevel,
    #[serde(default)]
    pub logs: SentLogs,
}

/// `POST /incidents` body, exactly the seed's (unknown fields ignored, as the seed did).
#[derive(Debug, Deserialize)]
pub struct NewIncident {
    pub incident: IncidentBody,
    pub app_name: AppName,
    pub code: String,
    /// Not sent by reporters: a Sentry event's grouping key (the event's fingerprint, or its
    /// exception and top in-app frame, or its message), which groups instead of title and level.
    #[serde(skip)]
    pub(crate) group_key: Option<String>,
    /// Not sent by reporters: a Sentry event's bounded details, kept on a new incident.
    #[serde(skip)]
    pub(crate) sentry: Option<Value>,
}

/// One event a Sentry SDK sent, as the Sentry adapter translated it.
#[derive(Debug, Clone)]
pub struct SentryEvent {
    pub title: String,
    pub message: String,
    pub level: IncidentLevel,
    /// What groups its occurrences (the adapter's key: fingerprint, exception and top in-app
    /// frame, or message).
    pub group_key: String,
    /// Stack traces, release, environment, tags, user, request and breadcrumbs, bounded by the
    /// adapter (kept on a new incident as `sentry`).
    pub details: Value,
}

impl SentryEvent {
    /// The event as an occurrence of `app`'s incident, its text fitted to the report's limits
    /// (a Sentry event is never refused for its length).
    pub(crate) fn into_incident(self, app: &str) -> Result<NewIncident, IncidentError> {
        let fit = |s: &str, max: usize| -> String {
            s.chars()
                .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
                .take(max)
                .collect()
        };
        let mut title = fit(self.title.trim(), MAX_TITLE).trim().to_owned();
        if title.is_empty() {
            title = "<unlabeled event>".into();
        }
        Ok(NewIncident {
            incident: IncidentBody {
                title,
                message: fit(self.message.trim(), MAX_MESSAGE).trim().to_owned(),
                level: self.level,
                logs: SentLogs::default(),
            },
            app_name: AppName::parse(app).map_err(IncidentError::Invalid)?,
            code: String::new(),
            group_key: Some(self.group_key),
            sentry: Some(self.details),
        })
    }
}

impl NewIncident {
    pub fn validate(&mut self) -> Result<(), IncidentError> {
        self.incident.title =
            text(&self.incident.title, "title", MAX_TITLE, true).map_err(IncidentError::Invalid)?;
        self.incident.message = text(&self.incident.message, "message", MAX_MESSAGE, false)
            .map_err(IncidentError::Invalid)?;
        if self.code.trim().is_empty() || self.code.len() > 256 {
            return Err(IncidentError::Invalid(
                "code must be 1-256 characters".into(),
            ));
        }
        Ok(())
    }
}

/// Links of an app to its log user and heartbeat app, used to enrich its incidents.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct AppLinks {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_process: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_tenant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_app_id: Option<String>,
}

/// `POST /admin/apps` and `PUT /admin/apps` bodies.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppIn {
    pub name: AppName,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, flatten)]
    pub links: AppLinks,
    /// Sentry events the app may send per UTC day (the stack's `QuotaSentryEventsPerDay` when
    /// unset; `0` on update goes back to it).
    #[serde(default, deserialize_with = "lookout_core::whole::option")]
    pub events_per_day: Option<u32>,
    /// PUT only: issue a new code (the old one stops working).
    #[serde(default)]
    pub rotate_code: bool,
    /// PUT only: issue a new Sentry DSN key (the old one stops working; the project id stays).
    #[serde(default)]
    pub rotate_dsn: bool,
}

impl AppIn {
    pub fn validate(&mut self) -> Result<(), IncidentError> {
        if let Some(d) = &self.description {
            self.description =
                Some(text(d, "description", 500, false).map_err(IncidentError::Invalid)?);
        }
        let l = &mut self.links;
        for (field, name) in [
            (&mut l.log_user, "log_user"),
            (&mut l.log_process, "log_process"),
            (&mut l.heartbeat_tenant, "heartbeat_tenant"),
            (&mut l.heartbeat_app_id, "heartbeat_app_id"),
        ] {
            if let Some(v) = field.as_deref() {
                // An empty string clears the link on update.
                *field = Some(text(v, name, 128, false).map_err(IncidentError::Invalid)?);
            }
        }
        if self.events_per_day.is_some_and(|n| n > MAX_EVENTS_PER_DAY) {
            return Err(IncidentError::Invalid(format!(
                "events_per_day must be 0..={MAX_EVENTS_PER_DAY} (0: the stack's quota)"
            )));
        }
        // A tenant alone is where the app's Sentry check-ins land; an app id needs its tenant.
        let set = |f: &Option<String>| f.as_deref().is_some_and(|v| !v.is_empty());
        if set(&l.heartbeat_app_id) && !set(&l.heartbeat_tenant) {
            return Err(IncidentError::Invalid(
                "heartbeat_app_id needs heartbeat_tenant".into(),
            ));
        }
        Ok(())
    }
}

/// `PATCH /admin/incident` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentUpdate {
    pub id: String,
    #[serde(default, deserialize_with = "status_opt")]
    pub status: Option<Status>,
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    /// Who made the change (free text, e.g. the admin's name).
    #[serde(default)]
    pub by: Option<String>,
    /// The incident's `version` the change was made against (from `GET /admin/incident`):
    /// when given and the incident changed since, the change is refused with 409.
    #[serde(default, deserialize_with = "lookout_core::whole::option")]
    pub version: Option<u64>,
}

fn status_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Status>, D::Error> {
    let s = String::deserialize(d)?;
    Status::parse(&s)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

impl IncidentUpdate {
    pub fn validate(&mut self) -> Result<(), IncidentError> {
        if self.id.is_empty() || self.id.len() > MAX_ID {
            return Err(IncidentError::Invalid(format!(
                "id is required (at most {MAX_ID} characters)"
            )));
        }
        if self.status.is_none() && self.assignee.is_none() && self.notes.is_none() {
            return Err(IncidentError::Invalid(
                "nothing to change: give status, assignee or notes".into(),
            ));
        }
        if let Some(a) = &self.assignee {
            self.assignee = Some(text(a, "assignee", 128, false).map_err(IncidentError::Invalid)?);
        }
        if let Some(n) = &self.notes {
            self.notes = Some(text(n, "notes", MAX_NOTES, false).map_err(IncidentError::Invalid)?);
        }
        if let Some(b) = &self.by {
            self.by = Some(text(b, "by", 128, false).map_err(IncidentError::Invalid)?);
        }
        Ok(())
    }
}

/// Filters of `GET /admin/incidents`.
#[derive(Debug, Clone, Default)]
pub struct IncidentQuery {
    pub app: Option<AppName>,
    pub level: Option<IncidentLevel>,
    pub status: Option<Status>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub limit: usize,
    pub next_token: Option<String>,
}
