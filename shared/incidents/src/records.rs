//! What is kept and returned: apps (with their code's hash; as the admin sees them),
//! incidents and their history, listing pages, and what a report did.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use lookout_core::{
    auth::{ct_eq, sha256_hex},
    time::Timestamp,
};

use crate::input::{AppLinks, IncidentLevel, Status};

/// A registered app, as stored (its code only as a hash; the admin sees [`AppView`]).
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) code_sha256: String,
    pub(crate) links: AppLinks,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
}

impl App {
    /// Whether `code` is this app's code.
    pub(crate) fn accepts(&self, code: &str) -> bool {
        let presented = sha256_hex(code.trim().as_bytes());
        ct_eq(presented.as_bytes(), self.code_sha256.as_bytes())
    }

    /// The app as the admin sees it (never its code).
    pub(crate) fn view(self) -> AppView {
        AppView {
            name: self.name,
            description: self.description,
            links: self.links,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// `GET /admin/apps`: every app.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AppList {
    pub apps: Vec<AppView>,
}

/// An app as the admin sees it (never its code).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AppView {
    pub name: String,
    pub description: String,
    #[serde(flatten)]
    pub links: AppLinks,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An app just registered or with a new code: the code is shown this once.
#[derive(Debug, Serialize)]
pub struct AppWithCode {
    #[serde(flatten)]
    pub app: AppView,
    pub code: String,
}

/// An incident as stored and returned.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Incident {
    pub id: String,
    pub app_name: String,
    pub title: String,
    pub message: String,
    pub level: IncidentLevel,
    pub status: Status,
    #[serde(default)]
    pub assignee: String,
    #[serde(default)]
    pub notes: String,
    /// Lines the reporter sent with the first occurrence.
    #[serde(default)]
    pub logs: Vec<String>,
    /// How many of the reporter's lines were dropped (or cut) to fit the limits; the newest
    /// were kept.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub logs_dropped: u64,
    pub count: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Enrichment at creation: the app's latest log lines, when the app is linked to a log user.
    #[serde(default)]
    pub recent_logs: Vec<Value>,
    /// Enrichment at creation: the app's heartbeat state, when linked.
    #[serde(default)]
    pub heartbeat: Option<Value>,
    /// Whether the admin mail went out (`false` with `notify_error` when SES failed).
    #[serde(default)]
    pub notified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_error: Option<String>,
    /// Bumped by every change of status, assignee or notes: what `PATCH` may be conditioned on.
    #[serde(default)]
    pub version: u64,
}

/// A group of occurrences (same app, title and level), as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    /// The incident the group's reports go to (the last one opened).
    pub current_id: Option<String>,
    /// The `seq` of the last heartbeat transition applied to the group.
    pub applied_seq: Option<u64>,
}

/// One change of an incident.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Change {
    pub at: Timestamp,
    pub field: String,
    pub from: Value,
    pub to: Value,
    pub by: String,
}

/// `GET /admin/incident` reply: the incident and its history, oldest change first.
#[derive(Debug, Serialize, Deserialize)]
pub struct IncidentDetail {
    #[serde(flatten)]
    pub incident: Incident,
    pub history: Vec<Change>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct IncidentPage {
    pub incidents: Vec<Incident>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What `report` did. `ok` is always true: the seed-001 client (`dispatcher_maker`) reads it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Reported {
    pub ok: bool,
    pub id: String,
    pub status: Status,
    pub count: u64,
    /// True when this occurrence was grouped into an existing incident.
    pub grouped: bool,
    /// True when this report's logs were cut to fit the limits (the incident is kept).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub logs_truncated: bool,
}
