//! Incident dispatch (seed 001): apps with generated codes, incidents, grouping, history.
//!
//! One table (`INCIDENTS_TABLE`, keys `pk`/`sk`):
//!
//! | item     | pk                          | sk                 | GSIs |
//! |----------|-----------------------------|--------------------|------|
//! | app      | `APPS`                      | `<name>`           | – |
//! | incident | `INC#<id>`                  | `META`             | `by-app`: `APP#<name>` / `<lastSeen>#<id>`; `by-time`: `INCIDENTS` / `<lastSeen>#<id>` |
//! | history  | `INC#<id>`                  | `HIST#<at>#<n>`    | – |
//! | group    | `GROUP#<app>#<hash>`        | `GROUP`            | – |
//!
//! Grouping: a new incident with the same app, title and level as one that is not resolved
//! bumps that incident's `count` and `lastSeen` instead of creating another; the group item
//! points at the current incident. Only a new incident notifies the admin.
//!
//! App codes are random, shown once, stored as SHA-256, compared in constant time.

use std::collections::HashMap;

use aws_sdk_dynamodb::{
    types::{AttributeValue, Put, TransactWriteItem, Update},
    Client,
};
use rand::RngCore;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use lookout_core::{
    auth::{ct_eq, sha256_hex},
    config, ddb,
    time::Timestamp,
    AppError,
};

pub const MAX_TITLE: usize = 200;
pub const MAX_MESSAGE: usize = 10_000;
pub const MAX_LOG_LINES: usize = 500;
pub const MAX_LOG_BYTES: usize = 64 * 1024;
pub const MAX_NOTES: usize = 4000;
pub const MAX_PAGE: usize = 200;
const APPS_PK: &str = "APPS";
const META: &str = "META";
const ALL: &str = "INCIDENTS";

// ---------------------------------------------------------------- validated inputs

/// Bounded text: trimmed, non-empty when required, no control characters except newlines/tabs.
fn text(s: &str, what: &str, max: usize, required: bool) -> Result<String, String> {
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
pub struct AppName(String);

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
pub struct SentLogs(Vec<String>, usize);

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
}

impl NewIncident {
    pub fn validate(&mut self) -> Result<(), AppError> {
        self.incident.title =
            text(&self.incident.title, "title", MAX_TITLE, true).map_err(AppError::Validation)?;
        self.incident.message = text(&self.incident.message, "message", MAX_MESSAGE, false)
            .map_err(AppError::Validation)?;
        if self.code.trim().is_empty() || self.code.len() > 256 {
            return Err(AppError::validation("code must be 1-256 characters"));
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
    /// PUT only: issue a new code (the old one stops working).
    #[serde(default)]
    pub rotate_code: bool,
}

impl AppIn {
    pub fn validate(&mut self) -> Result<(), AppError> {
        if let Some(d) = &self.description {
            self.description =
                Some(text(d, "description", 500, false).map_err(AppError::Validation)?);
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
                *field = Some(text(v, name, 128, false).map_err(AppError::Validation)?);
            }
        }
        let set = |f: &Option<String>| f.as_deref().is_some_and(|v| !v.is_empty());
        if set(&l.heartbeat_tenant) != set(&l.heartbeat_app_id) {
            return Err(AppError::validation(
                "heartbeat_tenant and heartbeat_app_id go together",
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
}

fn status_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Status>, D::Error> {
    let s = String::deserialize(d)?;
    Status::parse(&s)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

impl IncidentUpdate {
    pub fn validate(&mut self) -> Result<(), AppError> {
        if self.status.is_none() && self.assignee.is_none() && self.notes.is_none() {
            return Err(AppError::validation(
                "nothing to change: give status, assignee or notes",
            ));
        }
        if let Some(a) = &self.assignee {
            self.assignee = Some(text(a, "assignee", 128, false).map_err(AppError::Validation)?);
        }
        if let Some(n) = &self.notes {
            self.notes = Some(text(n, "notes", MAX_NOTES, false).map_err(AppError::Validation)?);
        }
        if let Some(b) = &self.by {
            self.by = Some(text(b, "by", 128, false).map_err(AppError::Validation)?);
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

// ---------------------------------------------------------------- records and views

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppRecord {
    pk: String,
    sk: String,
    name: String,
    #[serde(default)]
    description: String,
    code_sha256: String,
    #[serde(flatten)]
    links: AppLinks,
    created_at: String,
    updated_at: String,
}

/// An app as the admin sees it (never its code).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AppView {
    pub name: String,
    pub description: String,
    #[serde(flatten)]
    pub links: AppLinks,
    pub created_at: String,
    pub updated_at: String,
}

impl From<AppRecord> for AppView {
    fn from(r: AppRecord) -> Self {
        Self {
            name: r.name,
            description: r.description,
            links: r.links,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
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
    pub first_seen: String,
    pub last_seen: String,
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
}

#[derive(Debug, Serialize, Deserialize)]
struct IncidentRecord {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    gsi2pk: String,
    gsi2sk: String,
    #[serde(flatten)]
    incident: Incident,
}

/// One change of an incident.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Change {
    pub at: String,
    pub field: String,
    pub from: Value,
    pub to: Value,
    pub by: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct ChangeRecord {
    pk: String,
    sk: String,
    #[serde(flatten)]
    change: Change,
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

/// Context gathered for a new incident.
#[derive(Debug, Clone, Default)]
pub struct Enrichment {
    pub recent_logs: Vec<Value>,
    pub heartbeat: Option<Value>,
}

fn group_pk(app: &str, title: &str, level: IncidentLevel) -> String {
    let h = sha256_hex(format!("{title}\u{0}{}", level.as_str()).as_bytes());
    format!("GROUP#{app}#{}", &h[..24])
}

fn new_code() -> String {
    let mut b = [0_u8; 16];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

// ---------------------------------------------------------------- the store

#[derive(Debug, Clone)]
pub struct IncidentStore {
    client: Client,
    table: String,
}

impl IncidentStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn from_env(client: Client) -> Result<Self, config::ConfigError> {
        Ok(Self::new(client, config::required("INCIDENTS_TABLE")?))
    }

    async fn app_record(&self, name: &AppName) -> Result<Option<AppRecord>, AppError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(APPS_PK.into()))
            .key("sk", AttributeValue::S(name.as_str().to_owned()))
            .consistent_read(true)
            .send()
            .await?;
        out.item
            .map(|i| serde_dynamo::from_item(i).map_err(AppError::from))
            .transpose()
    }

    /// Registers an app; 409 if the name is taken. The code is returned once.
    pub async fn register_app(&self, input: AppIn) -> Result<AppWithCode, AppError> {
        let code = new_code();
        let now = Timestamp::now().to_rfc3339();
        let rec = AppRecord {
            pk: APPS_PK.into(),
            sk: input.name.as_str().to_owned(),
            name: input.name.as_str().to_owned(),
            description: input.description.unwrap_or_default(),
            code_sha256: sha256_hex(code.as_bytes()),
            links: AppLinks {
                log_user: input.links.log_user.filter(|v| !v.is_empty()),
                log_process: input.links.log_process.filter(|v| !v.is_empty()),
                heartbeat_tenant: input.links.heartbeat_tenant.filter(|v| !v.is_empty()),
                heartbeat_app_id: input.links.heartbeat_app_id.filter(|v| !v.is_empty()),
            },
            created_at: now.clone(),
            updated_at: now,
        };
        if !ddb::put_new(&self.client, &self.table, &rec).await? {
            return Err(AppError::Conflict(format!(
                "app {:?} already exists",
                input.name.as_str()
            )));
        }
        Ok(AppWithCode {
            app: rec.into(),
            code,
        })
    }

    /// Updates description/links (fields given replace the stored ones) and optionally rotates
    /// the code. 404 for an unknown app.
    pub async fn update_app(&self, input: AppIn) -> Result<(AppView, Option<String>), AppError> {
        let mut rec = self
            .app_record(&input.name)
            .await?
            .ok_or_else(|| app_not_found(&input.name))?;
        if let Some(d) = input.description {
            rec.description = d;
        }
        let l = input.links;
        for (new, old) in [
            (l.log_user, &mut rec.links.log_user),
            (l.log_process, &mut rec.links.log_process),
            (l.heartbeat_tenant, &mut rec.links.heartbeat_tenant),
            (l.heartbeat_app_id, &mut rec.links.heartbeat_app_id),
        ] {
            if let Some(v) = new {
                *old = (!v.is_empty()).then_some(v);
            }
        }
        let code = input.rotate_code.then(new_code);
        if let Some(c) = &code {
            rec.code_sha256 = sha256_hex(c.as_bytes());
        }
        let previous = rec.updated_at.clone();
        rec.updated_at = Timestamp::now().to_rfc3339();
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(&rec)?))
            .condition_expression("updatedAt = :prev")
            .expression_attribute_values(":prev", AttributeValue::S(previous))
            .send()
            .await;
        match res {
            Ok(_) => Ok((rec.into(), code)),
            Err(e) if ddb::is_conditional_check_failed(&e) => Err(AppError::Conflict(
                "the app changed meanwhile; retry".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes an app (its incidents stay). 404 for an unknown app.
    pub async fn delete_app(&self, name: &AppName) -> Result<(), AppError> {
        let res = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(APPS_PK.into()))
            .key("sk", AttributeValue::S(name.as_str().to_owned()))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if ddb::is_conditional_check_failed(&e) => Err(app_not_found(name)),
            Err(e) => Err(e.into()),
        }
    }

    /// Every app, by name (one Query on the `APPS` partition).
    pub async fn list_apps(&self) -> Result<Vec<AppView>, AppError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(APPS_PK.into()));
        ddb::query_all(query)
            .await?
            .into_iter()
            .map(|item| {
                Ok(AppView::from(serde_dynamo::from_item::<_, AppRecord>(
                    item,
                )?))
            })
            .collect()
    }

    /// Checks an incident reporter's (app, code): 403 for an unknown app or a wrong code.
    pub async fn authenticate_app(&self, name: &AppName, code: &str) -> Result<AppView, AppError> {
        let presented = sha256_hex(code.trim().as_bytes());
        match self.app_record(name).await? {
            Some(rec) if ct_eq(presented.as_bytes(), rec.code_sha256.as_bytes()) => Ok(rec.into()),
            _ => Err(AppError::Forbidden("app_name and code do not match".into())),
        }
    }

    /// Records an occurrence: groups it into the current unresolved incident with the same
    /// app, title and level, or creates a new one. `enrich` runs only for new incidents.
    pub async fn report<F, Fut>(
        &self,
        input: &NewIncident,
        now: Timestamp,
        enrich: F,
    ) -> Result<(Reported, Option<Incident>), AppError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Enrichment>,
    {
        let body = &input.incident;
        let gpk = group_pk(input.app_name.as_str(), &body.title, body.level);
        let now_s = now.to_rfc3339();
        let mut enrich = Some(enrich);
        let mut enrichment: Option<Enrichment> = None;
        for _ in 0..5 {
            let group = self
                .client
                .get_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(gpk.clone()))
                .key("sk", AttributeValue::S("GROUP".into()))
                .consistent_read(true)
                .send()
                .await?
                .item;
            let current = group
                .as_ref()
                .and_then(|g| g.get("currentId"))
                .and_then(|v| v.as_s().ok())
                .cloned();
            if let Some(id) = &current {
                if let Some(mut grouped) = self.bump(id, &now_s).await? {
                    grouped.logs_truncated = body.logs.dropped() > 0;
                    return Ok((grouped, None));
                }
            }
            if enrichment.is_none() {
                enrichment = Some(match enrich.take() {
                    Some(f) => f().await,
                    None => Enrichment::default(),
                });
            }
            let e = enrichment.clone().unwrap_or_default();
            let incident = Incident {
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
                first_seen: now_s.clone(),
                last_seen: now_s.clone(),
                recent_logs: e.recent_logs,
                heartbeat: e.heartbeat,
                notified: false,
                notify_error: None,
            };
            match self.create(&gpk, current.as_deref(), &incident).await {
                Ok(()) => {
                    let r = Reported {
                        ok: true,
                        id: incident.id.clone(),
                        status: Status::Open,
                        count: 1,
                        grouped: false,
                        logs_truncated: body.logs.dropped() > 0,
                    };
                    return Ok((r, Some(incident)));
                }
                // Someone moved the group pointer meanwhile: look again.
                Err(CreateError::Raced) => {}
                Err(CreateError::Other(e)) => return Err(e),
            }
        }
        Err(AppError::internal(
            "incident grouping kept racing; giving up",
        ))
    }

    /// Adds an occurrence to incident `id` unless it is resolved (then `None`).
    async fn bump(&self, id: &str, now: &str) -> Result<Option<Reported>, AppError> {
        let sort = format!("{now}#{id}");
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(format!("INC#{id}")))
            .key("sk", AttributeValue::S(META.into()))
            .update_expression("SET #c = #c + :one, last_seen = :now, gsi1sk = :s, gsi2sk = :s")
            .condition_expression("attribute_exists(pk) AND #st <> :resolved")
            .expression_attribute_names("#c", "count")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":now", AttributeValue::S(now.to_owned()))
            .expression_attribute_values(":s", AttributeValue::S(sort))
            .expression_attribute_values(":resolved", AttributeValue::S("resolved".into()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match res {
            Ok(out) => {
                let attrs = out.attributes.unwrap_or_default();
                let count = attrs
                    .get("count")
                    .and_then(|v| v.as_n().ok())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                let status = attrs
                    .get("status")
                    .and_then(|v| v.as_s().ok())
                    .and_then(|s| Status::parse(s).ok())
                    .unwrap_or(Status::Open);
                Ok(Some(Reported {
                    ok: true,
                    id: id.to_owned(),
                    status,
                    count,
                    grouped: true,
                    logs_truncated: false,
                }))
            }
            Err(e) if ddb::is_conditional_check_failed(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn create(
        &self,
        gpk: &str,
        previous: Option<&str>,
        incident: &Incident,
    ) -> Result<(), CreateError> {
        let sort = format!("{}#{}", incident.last_seen, incident.id);
        let rec = IncidentRecord {
            pk: format!("INC#{}", incident.id),
            sk: META.into(),
            gsi1pk: format!("APP#{}", incident.app_name),
            gsi1sk: sort.clone(),
            gsi2pk: ALL.into(),
            gsi2sk: sort,
            incident: incident.clone(),
        };
        let item = serde_dynamo::to_item(&rec).map_err(|e| CreateError::Other(e.into()))?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| CreateError::Other(AppError::internal(e)))?;
        let mut group = Update::builder()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(gpk.to_owned()))
            .key("sk", AttributeValue::S("GROUP".into()))
            .update_expression("SET currentId = :new")
            .expression_attribute_values(":new", AttributeValue::S(incident.id.clone()));
        group = match previous {
            Some(prev) => group
                .condition_expression("currentId = :prev")
                .expression_attribute_values(":prev", AttributeValue::S(prev.to_owned())),
            None => group.condition_expression("attribute_not_exists(currentId)"),
        };
        let group = group
            .build()
            .map_err(|e| CreateError::Other(AppError::internal(e)))?;
        let res = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().update(group).build())
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if ddb::is_conditional_check_failed(&e) => Err(CreateError::Raced),
            Err(e) => Err(CreateError::Other(e.into())),
        }
    }

    /// Records whether the admin was notified about `id`.
    pub async fn mark_notified(&self, id: &str, error: Option<String>) -> Result<(), AppError> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(format!("INC#{id}")))
            .key("sk", AttributeValue::S(META.into()))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":n", AttributeValue::Bool(error.is_none()));
        req = match error {
            Some(e) => req
                .update_expression("SET notified = :n, notify_error = :e")
                .expression_attribute_values(":e", AttributeValue::S(e)),
            None => req.update_expression("SET notified = :n REMOVE notify_error"),
        };
        req.send().await?;
        Ok(())
    }

    /// The incident and its history; 404 if unknown.
    pub async fn get(&self, id: &str) -> Result<IncidentDetail, AppError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(format!("INC#{id}")))
            .consistent_read(true);
        let mut incident = None;
        let mut history = Vec::new();
        for item in ddb::query_all(query).await? {
            match item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
            {
                Some(META) => {
                    incident = Some(serde_dynamo::from_item::<_, IncidentRecord>(item)?.incident)
                }
                _ => history.push(serde_dynamo::from_item::<_, ChangeRecord>(item)?.change),
            }
        }
        let incident = incident.ok_or_else(|| AppError::NotFound("incident not found".into()))?;
        Ok(IncidentDetail { incident, history })
    }

    /// Applies status/assignee/notes changes and appends them to the history, atomically.
    pub async fn update(&self, input: IncidentUpdate) -> Result<IncidentDetail, AppError> {
        let detail = self.get(&input.id).await?;
        let current = detail.incident.clone();
        let by = input.by.clone().unwrap_or_else(|| "admin".into());
        let now = Timestamp::now();
        let mut sets = Vec::new();
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut changes = Vec::new();
        let mut field = |name: &str, from: Value, to: Value| {
            if from != to {
                let n = changes.len();
                sets.push(format!("#f{n} = :v{n}"));
                names.insert(format!("#f{n}"), name.to_owned());
                values.insert(
                    format!(":v{n}"),
                    match &to {
                        Value::String(s) => AttributeValue::S(s.clone()),
                        other => AttributeValue::S(other.to_string()),
                    },
                );
                changes.push(Change {
                    at: now.to_rfc3339(),
                    field: name.to_owned(),
                    from,
                    to,
                    by: by.clone(),
                });
            }
        };
        if let Some(s) = input.status {
            field(
                "status",
                Value::from(current.status.as_str()),
                Value::from(s.as_str()),
            );
        }
        if let Some(a) = &input.assignee {
            field(
                "assignee",
                Value::from(current.assignee.as_str()),
                Value::from(a.as_str()),
            );
        }
        if let Some(n) = &input.notes {
            field(
                "notes",
                Value::from(current.notes.as_str()),
                Value::from(n.as_str()),
            );
        }
        if changes.is_empty() {
            return Ok(detail);
        }
        let applied = changes.clone();
        values.insert(":seen".into(), AttributeValue::S(current.last_seen.clone()));
        values.insert(
            ":count".into(),
            AttributeValue::N(current.count.to_string()),
        );
        names.insert("#c".into(), "count".into());
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(format!("INC#{}", input.id)))
            .key("sk", AttributeValue::S(META.into()))
            .update_expression(format!("SET {}", sets.join(", ")))
            // Optimistic: nobody else changed the fields we compared against.
            .condition_expression("last_seen = :seen AND #c = :count")
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(AppError::internal)?;
        let mut items = vec![TransactWriteItem::builder().update(update).build()];
        for (n, change) in changes.into_iter().enumerate() {
            let rec = ChangeRecord {
                pk: format!("INC#{}", input.id),
                sk: format!("HIST#{}#{n:02}", change.at),
                change,
            };
            items.push(ddb::transact_put(&self.table, &rec)?);
        }
        let res = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match res {
            // The answer is built from what was read and written, not read back: once the
            // transaction is in, nothing may turn the request into a failure.
            Ok(_) => {
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
                out.history.extend(applied);
                Ok(out)
            }
            Err(e) if ddb::is_conditional_check_failed(&e) => Err(AppError::Conflict(
                "the incident changed meanwhile; reload and retry".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Incidents, most recently seen first, filtered; one Query on a GSI.
    pub async fn list(&self, q: IncidentQuery) -> Result<IncidentPage, AppError> {
        let limit = if q.limit == 0 { 50 } else { q.limit };
        if limit > MAX_PAGE {
            return Err(AppError::validation(format!(
                "limit must be 1..={MAX_PAGE}"
            )));
        }
        let (index, pk_name, sk_name, pk) = match &q.app {
            Some(app) => (
                "by-app",
                "gsi1pk",
                "gsi1sk",
                format!("APP#{}", app.as_str()),
            ),
            None => ("by-time", "gsi2pk", "gsi2sk", ALL.to_owned()),
        };
        let lo = q.from.map_or_else(|| "0".to_owned(), |t| t.to_rfc3339());
        let hi =
            q.to.map_or_else(|| "~".to_owned(), |t| format!("{}~", t.to_rfc3339()));
        let mut values = HashMap::from([
            (":pk".to_owned(), AttributeValue::S(pk.clone())),
            (":lo".to_owned(), AttributeValue::S(lo)),
            (":hi".to_owned(), AttributeValue::S(hi)),
        ]);
        let mut names = HashMap::new();
        let mut filters = Vec::new();
        if let Some(l) = q.level {
            filters.push("#lv = :lv");
            names.insert("#lv".to_owned(), "level".to_owned());
            values.insert(":lv".into(), AttributeValue::S(l.as_str().into()));
        }
        if let Some(s) = q.status {
            filters.push("#st = :st");
            names.insert("#st".to_owned(), "status".to_owned());
            values.insert(":st".into(), AttributeValue::S(s.as_str().into()));
        }
        let mut start = q
            .next_token
            .as_deref()
            .map(|t| {
                ddb::decode_page_token(
                    t,
                    &["pk", "sk", pk_name, sk_name],
                    (pk_name, &pk),
                    "next_token",
                )
            })
            .transpose()?;
        let mut incidents = Vec::new();
        loop {
            let mut req = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression(format!(
                    "{pk_name} = :pk AND {sk_name} BETWEEN :lo AND :hi"
                ))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(false)
                .limit(i32::try_from(limit - incidents.len()).unwrap_or(1))
                .set_exclusive_start_key(start.take());
            if !filters.is_empty() {
                req = req
                    .filter_expression(filters.join(" AND "))
                    .set_expression_attribute_names(Some(names.clone()));
            }
            let page = req.send().await?;
            for item in page.items.unwrap_or_default() {
                incidents.push(serde_dynamo::from_item::<_, IncidentRecord>(item)?.incident);
            }
            start = page.last_evaluated_key;
            if start.is_none() || incidents.len() >= limit {
                break;
            }
        }
        Ok(IncidentPage {
            incidents,
            next_token: start.map(|k| ddb::encode_page_token(&k, &["pk", "sk", pk_name, sk_name])),
        })
    }
}

enum CreateError {
    Raced,
    Other(AppError),
}

fn app_not_found(name: &AppName) -> AppError {
    AppError::NotFound(format!("app {:?} not found", name.as_str()))
}

/// The admin mail about a new incident.
pub fn mail_text(incident: &Incident, console_url: Option<&str>) -> (String, String) {
    let subject = format!(
        "[Lookout] {} in {}: {}",
        incident.level.as_str().to_uppercase(),
        incident.app_name,
        incident.title
    );
    let mut body = format!(
        "New incident in {app}\n\nTitle:   {title}\nLevel:   {level}\nSeen at: {at}\nId:      {id}\n\n{message}\n",
        app = incident.app_name,
        title = incident.title,
        level = incident.level.as_str(),
        at = incident.first_seen,
        id = incident.id,
        message = incident.message,
    );
    if !incident.logs.is_empty() {
        body.push_str("\nLogs sent with the incident:\n");
        for l in &incident.logs {
            body.push_str("  ");
            body.push_str(l);
            body.push('\n');
        }
    }
    if !incident.recent_logs.is_empty() {
        body.push_str("\nRecent log lines of the app:\n");
        for l in &incident.recent_logs {
            body.push_str(&format!(
                "  {} {} {}\n",
                l["event_at"].as_str().unwrap_or(""),
                l["level"].as_str().unwrap_or(""),
                l["msg"].as_str().unwrap_or("")
            ));
        }
    }
    if let Some(h) = &incident.heartbeat {
        body.push_str(&format!(
            "\nHeartbeat: {}\n",
            h["state"].as_str().unwrap_or("unknown")
        ));
    }
    if let Some(url) = console_url {
        body.push_str(&format!("\nConsole: {url}#incident/{}\n", incident.id));
    }
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn seed_payload_parses_and_validates() {
        let mut v: NewIncident = serde_json::from_value(json!({
            "incident": {"title": " Error in user registration ", "message": "User registration failed", "level": "error", "logs": "log 1\nlog 2\nlog 3"},
            "app_name": "MyApp", "code": "123456"
        }))
        .unwrap();
        v.validate().unwrap();
        assert_eq!(v.incident.title, "Error in user registration");
        assert_eq!(v.incident.logs.0, ["log 1", "log 2", "log 3"]);
        let list: IncidentBody =
            serde_json::from_value(json!({"title": "t", "level": "critical", "logs": ["a", "b"]}))
                .unwrap();
        assert_eq!((list.level, list.logs.0.len()), (IncidentLevel::Crit, 2));
        for bad in [
            json!({"title": "t", "level": "fatal"}),
            json!({"title": "t", "level": "error", "logs": 5}),
            json!({"level": "error"}),
        ] {
            assert!(
                serde_json::from_value::<IncidentBody>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn oversized_logs_keep_the_newest_lines_and_say_how_many_were_dropped() {
        let many: Vec<String> = (0..800).map(|i| format!("line {i}")).collect();
        let fit = SentLogs::fit(many);
        assert_eq!(fit.0.len(), MAX_LOG_LINES);
        assert_eq!(fit.0.first().map(String::as_str), Some("line 300"));
        assert_eq!(fit.0.last().map(String::as_str), Some("line 799"));
        assert_eq!(fit.dropped(), 300);

        let wide: Vec<String> = (0..10)
            .map(|i| format!("{i}{}", "x".repeat(10_000)))
            .collect();
        let fit = SentLogs::fit(wide);
        assert!(fit.0.iter().map(String::len).sum::<usize>() <= MAX_LOG_BYTES);
        assert_eq!(fit.0.last().map(|l| l.starts_with('9')), Some(true));
        assert_eq!(
            fit.dropped(),
            10 - fit.0.len() + 1,
            "one line was cut to fit"
        );

        let one = SentLogs::fit(vec!["é".repeat(40_000)]);
        assert!(one.0[0].len() <= MAX_LOG_BYTES);
        assert_eq!(one.dropped(), 1);

        let small = SentLogs::fit(vec!["a".into(), "b".into()]);
        assert_eq!((small.0.len(), small.dropped()), (2, 0));
    }

    #[test]
    fn groups_differ_by_app_title_and_level() {
        let a = group_pk("app", "t", IncidentLevel::Error);
        assert_eq!(a, group_pk("app", "t", IncidentLevel::Error));
        assert_ne!(a, group_pk("app", "t", IncidentLevel::Crit));
        assert_ne!(a, group_pk("app", "t2", IncidentLevel::Error));
        assert_ne!(a, group_pk("app2", "t", IncidentLevel::Error));
    }
}

/// What the admin incident/app functions need, built once per cold start.
#[derive(Debug, Clone)]
pub struct AdminDeps {
    pub admin: lookout_core::auth::AdminAuth,
    pub store: IncidentStore,
}

impl AdminDeps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = lookout_core::aws::sdk_config().await;
        Ok(Self {
            admin: lookout_core::auth::AdminAuth::from_env()?,
            store: IncidentStore::from_env(lookout_core::aws::dynamodb(&sdk))?,
        })
    }
}

/// Query-string parameters of a GET route, rejecting unknown names (400).
pub fn query_params<'a>(
    params: &'a lambda_http::aws_lambda_events::query_map::QueryMap,
    known: &[&str],
) -> Result<impl Fn(&str) -> Option<&'a str> + 'a, AppError> {
    for (name, _) in params.iter() {
        if !known.contains(&name) {
            return Err(AppError::validation(format!(
                "unknown query parameter {name:?}; known: {}",
                known.join(", ")
            )));
        }
    }
    Ok(move |k: &str| params.first(k).map(str::trim).filter(|v| !v.is_empty()))
}
