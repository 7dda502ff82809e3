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
    /// Its Sentry DSN's key (`None` for an app registered before DSNs, until one is rotated in).
    pub(crate) dsn: Option<DsnKey>,
    /// Its own daily Sentry event quota (the stack's when `None`).
    pub(crate) events_per_day: Option<u32>,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
}

/// An app's Sentry DSN as stored: its project id, the SHA-256 of its public key, and the key's
/// first characters (to tell DSNs apart in listings; the whole key is shown only when issued).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DsnKey {
    pub project_id: u64,
    pub key_sha256: String,
    pub key_hint: String,
}

impl DsnKey {
    /// Whether `key` is this DSN's public key (compared in constant time).
    pub(crate) fn accepts(&self, key: &str) -> bool {
        let presented = sha256_hex(key.trim().as_bytes());
        ct_eq(presented.as_bytes(), self.key_sha256.as_bytes())
    }
}

impl App {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where its events' context comes from (log user, heartbeat tenant and app).
    pub fn links(&self) -> &AppLinks {
        &self.links
    }

    /// Its DSN's project id, if it has one.
    pub fn project_id(&self) -> Option<u64> {
        self.dsn.as_ref().map(|d| d.project_id)
    }

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
            dsn: None,
            dsn_parts: self
                .dsn
                .map(|d| (d.project_id, format!("{}****", d.key_hint))),
            events_per_day: self.events_per_day,
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

impl AppList {
    /// Each app's DSN on `origin` ([`AppView::at`]).
    pub fn at(self, origin: &str) -> Self {
        Self {
            apps: self.apps.into_iter().map(|a| a.at(origin)).collect(),
        }
    }
}

/// An app as the admin sees it (never its code; its DSN's key only by its first characters).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AppView {
    pub name: String,
    pub description: String,
    #[serde(flatten)]
    pub links: AppLinks,
    /// `<scheme>://<key hint>****@<host>/<project id>`, once [`AppView::at`] named the host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dsn: Option<String>,
    /// The DSN's project id and the key as shown (hint or whole), until [`AppView::at`].
    #[serde(skip)]
    pub(crate) dsn_parts: Option<(u64, String)>,
    /// Its own daily Sentry event quota, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_per_day: Option<u32>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl AppView {
    /// The view showing the whole DSN key (just issued).
    pub(crate) fn with_key(mut self, key: String) -> Self {
        if let Some((_, shown)) = self.dsn_parts.as_mut() {
            *shown = key;
        }
        self
    }

    /// The view with its DSN on `origin` (`https://host[:port][/prefix]`, where SDKs send to).
    pub fn at(mut self, origin: &str) -> Self {
        if let Some((project, key)) = &self.dsn_parts {
            self.dsn = Some(format_dsn(origin, key, *project));
        }
        self
    }
}

/// `<scheme>://<key>@<host>[/prefix]/<project id>` for an origin `<scheme>://<host>[/prefix]`.
pub fn format_dsn(origin: &str, key: &str, project_id: u64) -> String {
    let origin = origin.trim_end_matches('/');
    match origin.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{key}@{rest}/{project_id}"),
        None => format!("https://{key}@{origin}/{project_id}"),
    }
}

/// An app just registered or with a new code or DSN: the code or DSN key is shown this once.
#[derive(Debug, Serialize)]
pub struct AppWithCode {
    #[serde(flatten)]
    pub app: AppView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl AppWithCode {
    /// The app's DSN on `origin` ([`AppView::at`]).
    pub fn at(self, origin: &str) -> Self {
        Self {
            app: self.app.at(origin),
            code: self.code,
        }
    }
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
    /// What a Sentry SDK sent with the first occurrence (stack trace, release, environment,
    /// tags, user, request, breadcrumbs), bounded by the adapter; `None` for other reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentry: Option<Value>,
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
