//! Heartbeats and silent apps (seed 002): API types, the state machine and DynamoDB storage.
//!
//! One item per app in `HEARTBEAT_TABLE` (key `pk` = `APP#<tenant>#<appId>`), two GSIs:
//!
//! | index         | partition key         | sort key          | projection | holds                     |
//! |---------------|-----------------------|-------------------|------------|---------------------------|
//! | `due`         | `dueShard` (`DUE#0-7`) | `dueAt` (epoch ms) | ALL        | only apps the scanner must look at |
//! | `tenant-apps` | `tenant`              | `appId`           | KEYS_ONLY  | every app (admin listing) |
//!
//! `due` is sparse: `dueAt` is set only while there is something to do at that time, i.e. an
//! `up` app's deadline (last beat + period + grace) or the retry time of an unsent mail. The
//! scanner queries `dueAt <= now` in each shard, so it reads only apps that are due, never the
//! healthy ones (whose `dueAt` lies in the future) and never `down`/`paused`/`retired` ones
//! (which are not in the index at all).
//!
//! Every write bumps `version`; every write except the heartbeat fast path is a whole-item put
//! conditioned on the version it read (optimistic concurrency, re-decided on conflict from the
//! current item that DynamoDB returns with the failed condition). A state transition that
//! needs a mail stores it in the item (`outbox`, with a sequence number) in the same write,
//! together with a lease (`leaseUntil`): the writer sends it, then clears the outbox. If the
//! sender dies before clearing it, the item is due again when the lease ends and the scanner
//! resends. See docs/heartbeats.md for why this gives one mail per transition.

use std::collections::HashMap;

use aws_sdk_dynamodb::{
    operation::{put_item::PutItemError, update_item::UpdateItemError},
    types::{
        AttributeValue, ReturnConsumedCapacity, ReturnValue, ReturnValuesOnConditionCheckFailure,
    },
    Client,
};
use chrono::DateTime;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use lookout_core::{auth::Tenant, config, time::Timestamp, AppError};
use lookout_mail::AdminMail;

/// The clock moved to core; kept here for callers of `heartbeat::Clock`.
pub use lookout_core::time::Clock;

/// Defaults of a new app: the seed's one minute, plus one minute of grace.
pub const DEFAULT_PERIOD_SECONDS: u32 = 60;
pub const DEFAULT_GRACE_SECONDS: u32 = 60;
pub const MIN_PERIOD_SECONDS: u32 = 10;
pub const MAX_PERIOD_SECONDS: u32 = 7 * 86_400;
pub const MAX_GRACE_SECONDS: u32 = 86_400;
/// Longest heartbeat message kept.
pub const MAX_MESSAGE_CHARS: usize = 1024;
/// Longest string app id.
pub const MAX_APP_ID_CHARS: usize = 128;
/// Partitions of the `due` index. Changing it strands items in old shards: keep it fixed.
pub const DUE_SHARDS: u32 = 8;
/// How long a writer owns an unsent mail before the scanner may send it again. Must exceed
/// the longest time between the write and the send (a function's timeout: 10 s / 60 s).
pub const MAIL_LEASE_MS: i64 = 120_000;
/// Sends of one mail before it is given up (and logged).
pub const MAX_MAIL_ATTEMPTS: u32 = 10;
/// Due apps one scanner run handles at most; the rest stay due for the next run.
pub const MAX_DUE_PER_RUN: usize = 500;
/// Retired apps are deleted (TTL) this long after retirement.
pub const RETIRED_RETENTION_DAYS: i64 = 90;
/// Largest page of the admin listing.
pub const MAX_PAGE: usize = 100;

const DUE_INDEX: &str = "due";
const TENANT_INDEX: &str = "tenant-apps";
const QUERY_PAGE: i32 = 100;
/// Optimistic-concurrency retries of one operation.
const MAX_CAS_ATTEMPTS: usize = 8;

// ---------------------------------------------------------------- clock

fn millis(t: Timestamp) -> i64 {
    t.datetime().timestamp_millis()
}

fn from_millis(ms: i64) -> Timestamp {
    DateTime::from_timestamp_millis(ms)
        .and_then(Timestamp::from_datetime)
        .unwrap_or_else(Timestamp::now)
}

fn ms_text(ms: i64) -> String {
    from_millis(ms).to_rfc3339()
}

fn text_ms(text: &str) -> Option<i64> {
    Timestamp::parse_str(text).ok().map(millis)
}

// ---------------------------------------------------------------- input types

/// An app id: the seed's integer, or a string of 1–128 letters, digits and `_ . : -`. Compared
/// as text, so `23` and `"23"` are the same app; integer ids without leading zeros are returned
/// as numbers. As in the seed, which took any JSON scalar, a whole float is its integer
/// (`23.0` is app 23), any other number its JSON text (`23.5`), and a boolean `true`/`false`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppId(String);

impl AppId {
    pub fn parse_str(s: &str) -> Result<Self, String> {
        let ok = (1..=MAX_APP_ID_CHARS).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "app_id {s:?} must be 1-{MAX_APP_ID_CHARS} letters, digits, '_', '.', ':' or '-'"
            ))
        }
    }

    pub fn parse_json(v: &Value) -> Result<Self, String> {
        match v {
            Value::Number(n) => {
                let whole = n.as_f64().filter(|f| {
                    f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 // 2^53: exact
                });
                let text = match (n.as_i64(), n.as_u64(), whole) {
                    (Some(i), _, _) => i.to_string(),
                    (None, Some(u), _) => u.to_string(),
                    // Exact below 2^53, so the cast neither truncates nor saturates.
                    #[allow(clippy::cast_possible_truncation)]
                    (None, None, Some(f)) => (f as i64).to_string(),
                    (None, None, None) => n.to_string(),
                };
                Self::parse_str(&text)
            }
            Value::Bool(b) => Ok(Self(b.to_string())),
            Value::String(s) => Self::parse_str(s),
            other => Err(format!(
                "app_id must be a number, a string or a boolean, got {other}"
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as JSON: a number when it is one, text otherwise.
    pub fn to_json(&self) -> Value {
        match self.0.parse::<i64>() {
            Ok(n) if n.to_string() == self.0 => Value::from(n),
            _ => Value::String(self.0.clone()),
        }
    }
}

impl std::fmt::Display for AppId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for AppId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse_json(&Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl Serialize for AppId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// A heartbeat's status message: at most 1024 characters, no control characters but tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct BeatMessage(String);

impl BeatMessage {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.chars().count() > MAX_MESSAGE_CHARS {
            return Err(format!(
                "message must be at most {MAX_MESSAGE_CHARS} characters"
            ));
        }
        if s.chars().any(|c| c.is_control() && c != '\t') {
            return Err("message must not contain control characters".into());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for BeatMessage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// The seed stored any JSON value as the message: a number or a boolean is kept as its JSON
/// text (`200` → `"200"`), `null` is no message; lists and objects are refused.
fn lenient_message<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<BeatMessage>, D::Error> {
    let text = match Value::deserialize(d)? {
        Value::Null => return Ok(None),
        Value::String(s) => s,
        v @ (Value::Number(_) | Value::Bool(_)) => v.to_string(),
        other => {
            return Err(serde::de::Error::custom(format!(
                "message must be a string, got {other}"
            )))
        }
    };
    BeatMessage::parse(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// `POST /api/apps/` body, as in the seed: `{"app_id": 23, "message": "OK:200"}`. Unknown fields
/// are ignored, as the seed did.
#[derive(Debug, Clone, Deserialize)]
pub struct HeartbeatIn {
    pub app_id: AppId,
    #[serde(default, deserialize_with = "lenient_message")]
    pub message: Option<BeatMessage>,
}

/// Where an app stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppState {
    /// Watched; heartbeats arrive in time.
    Up,
    /// Watched; silent past period + grace (the admin was mailed).
    Down,
    /// Not watched for now; heartbeats are recorded.
    Paused,
    /// Not watched any more; heartbeats are recorded; deleted after 90 days.
    Retired,
}

impl AppState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
            Self::Paused => "paused",
            Self::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "up" => Ok(Self::Up),
            "down" => Ok(Self::Down),
            "paused" => Ok(Self::Paused),
            "retired" => Ok(Self::Retired),
            _ => Err(format!(
                "state {s:?} must be one of up, down, paused, retired"
            )),
        }
    }
}

/// What an admin does to an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdminAction {
    /// Stop watching (no alerts) until resumed.
    Pause,
    /// Watch again, with a fresh period + grace from now.
    Resume,
    /// Stop watching for good; the app is deleted 90 days later unless resumed.
    Retire,
}

/// `POST /admin/heartbeat_apps` body: registers an app or changes its settings and state.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminAppIn {
    pub tenant: Tenant,
    pub app_id: AppId,
    #[serde(default)]
    pub action: Option<AdminAction>,
    #[serde(default)]
    pub period_seconds: Option<u32>,
    #[serde(default)]
    pub grace_seconds: Option<u32>,
}

impl AdminAppIn {
    pub fn validate(&self) -> Result<(), AppError> {
        if let Some(p) = self.period_seconds {
            if !(MIN_PERIOD_SECONDS..=MAX_PERIOD_SECONDS).contains(&p) {
                return Err(AppError::validation(format!(
                    "period_seconds must be {MIN_PERIOD_SECONDS}..={MAX_PERIOD_SECONDS}"
                )));
            }
        }
        if let Some(g) = self.grace_seconds {
            if g > MAX_GRACE_SECONDS {
                return Err(AppError::validation(format!(
                    "grace_seconds must be 0..={MAX_GRACE_SECONDS}"
                )));
            }
        }
        Ok(())
    }
}

/// Admin listing query (`GET /admin/heartbeat_apps?tenant=&state=&limit=&next_token=`).
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub tenant: Tenant,
    pub state: Option<AppState>,
    pub limit: usize,
    pub next_token: Option<String>,
}

impl ListQuery {
    /// From query-string values; every problem is a 400 naming the parameter.
    pub fn parse(
        tenant: Option<&str>,
        state: Option<&str>,
        limit: Option<&str>,
        next_token: Option<&str>,
    ) -> Result<Self, AppError> {
        let tenant = tenant.ok_or_else(|| {
            AppError::validation("query parameter tenant is required (?tenant=...)")
        })?;
        let tenant = Tenant::parse(tenant).map_err(AppError::Validation)?;
        let state = state
            .map(AppState::parse)
            .transpose()
            .map_err(AppError::Validation)?;
        let limit = match limit {
            None => MAX_PAGE,
            Some(l) => l
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_PAGE).contains(n))
                .ok_or_else(|| AppError::validation(format!("limit must be 1..={MAX_PAGE}")))?,
        };
        Ok(Self {
            tenant,
            state,
            limit,
            next_token: next_token.map(str::to_owned),
        })
    }
}

// ---------------------------------------------------------------- output types

/// Reply to a heartbeat.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HeartbeatReply {
    /// Always `"ok"` when the beat was recorded.
    pub status: String,
    pub app_id: Value,
    pub state: AppState,
    pub received_at: String,
    /// When the next beat is due at the latest (period + grace); `null` unless `up`.
    pub due_by: Option<String>,
}

/// An app as the admin sees it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AppView {
    pub tenant: String,
    pub app_id: Value,
    pub state: AppState,
    pub period_seconds: u32,
    pub grace_seconds: u32,
    pub last_heartbeat: Option<String>,
    pub last_message: Option<String>,
    pub heartbeats: u64,
    pub due_by: Option<String>,
    pub down_since: Option<String>,
    pub state_changed_at: String,
    pub created_at: String,
    /// A transition mail is not confirmed sent yet (it will be retried).
    pub mail_pending: bool,
}

/// One page of the admin listing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AppList {
    pub tenant: String,
    pub apps: Vec<AppView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// What one scanner run did (the scanner's Lambda result).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ScanReport {
    /// The `now` of the run.
    pub now: String,
    /// Query calls on the `due` index.
    pub queries: u64,
    /// Items those queries read (`ScannedCount`).
    pub items_read: u64,
    /// Read capacity they consumed, as DynamoDB reports it (moto reports 1 per call).
    pub read_capacity: f64,
    /// Read units by DynamoDB's rules from the sizes of the items read (per call: ½ unit per
    /// started 4 KB, eventually consistent, at least ½): what AWS would charge.
    pub estimated_read_units: f64,
    /// Apps found due.
    pub due: u64,
    /// up → down transitions this run made.
    pub went_down: u64,
    /// Unsent mails (a crashed or failed earlier send) this run sent again.
    pub retried: u64,
    pub mails_sent: u64,
    pub mail_errors: u64,
    /// Mails given up after [`MAX_MAIL_ATTEMPTS`].
    pub mails_dropped: u64,
    /// Writes that lost a race and were re-decided.
    pub conflicts: u64,
    /// Failed DynamoDB calls.
    pub errors: u64,
    /// Stopped at [`MAX_DUE_PER_RUN`]; the rest is handled by the next run.
    pub truncated: bool,
}

// ---------------------------------------------------------------- storage record

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailKind {
    Down,
    Up,
}

/// A transition mail stored with the transition, until it is confirmed sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Outbox {
    kind: MailKind,
    /// Unique per transition: the item version that made it.
    seq: u64,
    subject: String,
    body: String,
    attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppRecord {
    pk: String,
    tenant: String,
    app_id: String,
    state: AppState,
    version: u64,
    period_seconds: u32,
    grace_seconds: u32,
    /// (period + grace) in ms, for the heartbeat's update expression.
    window_ms: i64,
    /// Epoch ms after which an `up` app is silent.
    deadline: i64,
    created_at: String,
    state_changed_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_beat_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_message: Option<String>,
    #[serde(default)]
    beats: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    down_since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_shard: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outbox: Option<Outbox>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease_until: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
}

fn app_pk(tenant: &str, app_id: &str) -> String {
    format!("APP#{tenant}#{app_id}")
}

fn shard_of(pk: &str) -> String {
    let digest = Sha256::digest(pk.as_bytes());
    let n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % DUE_SHARDS;
    format!("DUE#{n}")
}

impl AppRecord {
    fn new(tenant: &Tenant, app_id: &AppId, now: Timestamp, period: u32, grace: u32) -> Self {
        let pk = app_pk(tenant.as_str(), app_id.as_str());
        let window_ms = window_ms(period, grace);
        let mut rec = Self {
            pk,
            tenant: tenant.as_str().to_owned(),
            app_id: app_id.as_str().to_owned(),
            state: AppState::Up,
            version: 1,
            period_seconds: period,
            grace_seconds: grace,
            window_ms,
            deadline: millis(now) + window_ms,
            created_at: now.to_rfc3339(),
            state_changed_at: now.to_rfc3339(),
            last_beat_at: None,
            last_message: None,
            beats: 0,
            down_since: None,
            due_shard: None,
            due_at: None,
            outbox: None,
            lease_until: None,
            expires_at: None,
        };
        rec.refresh_due();
        rec
    }

    fn app_id(&self) -> AppId {
        AppId(self.app_id.clone())
    }

    /// Sets `dueAt`/`dueShard` from the state: an `up` app is due at its deadline, an unsent
    /// mail at the end of its lease; anything else is not in the `due` index.
    fn refresh_due(&mut self) {
        let deadline = (self.state == AppState::Up).then_some(self.deadline);
        let retry = self.outbox.as_ref().and(self.lease_until);
        self.due_at = match (deadline, retry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.due_shard = self.due_at.map(|_| shard_of(&self.pk));
    }

    fn record_beat(&mut self, beat: &HeartbeatIn, now: Timestamp) {
        self.last_beat_at = Some(now.to_rfc3339());
        self.last_message = beat.message.as_ref().map(|m| m.0.clone());
        self.beats += 1;
        if self.state == AppState::Up {
            self.deadline = millis(now) + self.window_ms;
        }
    }

    /// Start of the current watch: the last beat, or when the app became `up`.
    fn watch_start(&self) -> i64 {
        let changed = text_ms(&self.state_changed_at).unwrap_or(0);
        let beat = self.last_beat_at.as_deref().and_then(text_ms).unwrap_or(0);
        changed.max(beat)
    }

    /// Stores a transition mail (owned by this writer for [`MAIL_LEASE_MS`]).
    fn put_outbox(&mut self, kind: MailKind, subject: String, body: String, now: Timestamp) {
        self.outbox = Some(Outbox {
            kind,
            seq: self.version,
            subject,
            body,
            attempts: 1,
        });
        self.lease_until = Some(millis(now) + MAIL_LEASE_MS);
    }

    fn pending(&self) -> Option<PendingMail> {
        self.outbox.as_ref().map(|o| PendingMail {
            kind: o.kind,
            seq: o.seq,
            subject: o.subject.clone(),
            body: o.body.clone(),
            written: self.clone(),
        })
    }

    fn heartbeat_reply(&self, now: Timestamp) -> HeartbeatReply {
        HeartbeatReply {
            status: "ok".into(),
            app_id: self.app_id().to_json(),
            state: self.state,
            received_at: now.to_rfc3339(),
            due_by: (self.state == AppState::Up).then(|| ms_text(self.deadline)),
        }
    }

    fn view(&self) -> AppView {
        AppView {
            tenant: self.tenant.clone(),
            app_id: self.app_id().to_json(),
            state: self.state,
            period_seconds: self.period_seconds,
            grace_seconds: self.grace_seconds,
            last_heartbeat: self.last_beat_at.clone(),
            last_message: self.last_message.clone(),
            heartbeats: self.beats,
            due_by: (self.state == AppState::Up).then(|| ms_text(self.deadline)),
            down_since: self.down_since.clone(),
            state_changed_at: self.state_changed_at.clone(),
            created_at: self.created_at.clone(),
            mail_pending: self.outbox.is_some(),
        }
    }

    fn down_mail(&self, now: Timestamp) -> (String, String) {
        let subject = format!(
            "[Lookout] DOWN: app {} ({}) is silent",
            self.app_id, self.tenant
        );
        let body = format!(
            "App {app} of tenant {tenant} stopped sending heartbeats.\n\n\
             Last heartbeat: {last}\n\
             Last message:   {msg}\n\
             Expected every {period} s with {grace} s of grace: overdue since {deadline}.\n\
             Detected at:    {now}\n\n\
             One more mail follows when it is back. Pause or retire the app with\n\
             POST /admin/heartbeat_apps {{\"tenant\":\"{tenant}\",\"app_id\":...,\"action\":\"pause\"}}.\n",
            app = self.app_id,
            tenant = self.tenant,
            last = self.last_beat_at.as_deref().unwrap_or("never"),
            msg = self.last_message.as_deref().unwrap_or("-"),
            period = self.period_seconds,
            grace = self.grace_seconds,
            deadline = ms_text(self.deadline),
        );
        (subject, body)
    }

    fn up_mail(&self, down_since: Option<&str>, now: Timestamp) -> (String, String) {
        let subject = format!(
            "[Lookout] UP: app {} ({}) is back",
            self.app_id, self.tenant
        );
        let outage = down_since
            .and_then(text_ms)
            .map(|since| {
                let minutes = (millis(now) - since).max(0) / 60_000;
                format!("{} (about {minutes} min)", ms_text(since))
            })
            .unwrap_or_else(|| "-".into());
        let body = format!(
            "App {app} of tenant {tenant} is sending heartbeats again.\n\n\
             Back at:        {now}\n\
             Message:        {msg}\n\
             Down since:     {outage}\n",
            app = self.app_id,
            tenant = self.tenant,
            msg = self.last_message.as_deref().unwrap_or("-"),
        );
        (subject, body)
    }
}

fn window_ms(period: u32, grace: u32) -> i64 {
    (i64::from(period) + i64::from(grace)) * 1000
}

/// A transition mail to send; [`HeartbeatStore::deliver`] sends it and clears the outbox.
#[derive(Debug, Clone)]
pub struct PendingMail {
    pub kind: MailKind,
    pub seq: u64,
    pub subject: String,
    pub body: String,
    /// The item as written with this mail in its outbox.
    written: AppRecord,
}

/// What a heartbeat did.
#[derive(Debug, Clone)]
pub struct Beaten {
    pub reply: HeartbeatReply,
    /// The recovery mail when this beat ended an outage (down → up).
    pub mail: Option<PendingMail>,
}

/// Outcome of the heartbeat's one-write path.
enum FastBeat {
    Done(Box<AppRecord>),
    /// The app is not `up` or has an unsent mail: the item as it is (`None`: unknown app).
    NotApplicable(Option<Box<AppRecord>>),
}

/// Outcome of a conditional put.
enum Put {
    Written,
    /// The condition failed; the item as it is now (`None`: it does not exist).
    Conflict(Option<Box<AppRecord>>),
}

fn contention() -> AppError {
    AppError::internal("too many concurrent updates of one app; retry")
}

// ---------------------------------------------------------------- the store

/// The heartbeat table, built once per cold start.
#[derive(Debug, Clone)]
pub struct HeartbeatStore {
    client: Client,
    table: String,
}

impl HeartbeatStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// `HEARTBEAT_TABLE`.
    pub fn from_env(client: Client) -> Result<Self, config::ConfigError> {
        Ok(Self::new(
            client,
            config::required(config::names::HEARTBEAT_TABLE)?,
        ))
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Whole-item put, conditioned on the version `rec` was derived from (`None`: the item
    /// must not exist yet).
    async fn put_if(&self, rec: &AppRecord, expected: Option<u64>) -> Result<Put, AppError> {
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(rec)?))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        req = match expected {
            None => req.condition_expression("attribute_not_exists(pk)"),
            Some(v) => req
                .condition_expression("version = :v")
                .expression_attribute_values(":v", AttributeValue::N(v.to_string())),
        };
        match req.send().await {
            Ok(_) => Ok(Put::Written),
            Err(err) => match err.into_service_error() {
                PutItemError::ConditionalCheckFailedException(e) => Ok(Put::Conflict(
                    e.item
                        .map(serde_dynamo::from_item)
                        .transpose()?
                        .map(Box::new),
                )),
                other => Err(AppError::internal(other)),
            },
        }
    }

    async fn get(&self, pk: &str) -> Result<Option<AppRecord>, AppError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk.to_owned()))
            .consistent_read(true)
            .send()
            .await?;
        Ok(out.item.map(serde_dynamo::from_item).transpose()?)
    }

    /// One app's current state as the admin sees it; `None` if it never beat nor was registered.
    pub async fn app_view(
        &self,
        tenant: &str,
        app_id: &AppId,
    ) -> Result<Option<AppView>, AppError> {
        Ok(self
            .get(&app_pk(tenant, app_id.as_str()))
            .await?
            .map(|r| r.view()))
    }

    /// Records a heartbeat of the caller's app, registering unknown apps with the defaults.
    ///
    /// The common case (an `up` app without an unsent mail) is one UpdateItem. Anything else
    /// (new app, recovery, paused/retired, unsent mail) is decided from the current item that
    /// the failed condition returns, and written with a versioned put.
    pub async fn heartbeat(
        &self,
        tenant: &Tenant,
        beat: &HeartbeatIn,
        now: Timestamp,
    ) -> Result<Beaten, AppError> {
        let pk = app_pk(tenant.as_str(), beat.app_id.as_str());
        let mut current = match self.fast_beat(&pk, beat, now).await? {
            FastBeat::Done(rec) => {
                return Ok(Beaten {
                    reply: rec.heartbeat_reply(now),
                    mail: None,
                })
            }
            FastBeat::NotApplicable(current) => current,
        };
        for _ in 0..MAX_CAS_ATTEMPTS {
            let (new, expected, recovered) = match current {
                None => {
                    let mut rec = AppRecord::new(
                        tenant,
                        &beat.app_id,
                        now,
                        DEFAULT_PERIOD_SECONDS,
                        DEFAULT_GRACE_SECONDS,
                    );
                    rec.record_beat(beat, now);
                    rec.refresh_due();
                    (rec, None, false)
                }
                Some(old) => {
                    let mut rec = (*old).clone();
                    rec.version += 1;
                    let recovered = old.state == AppState::Down;
                    if recovered {
                        rec.state = AppState::Up;
                        rec.state_changed_at = now.to_rfc3339();
                        rec.down_since = None;
                        rec.record_beat(beat, now);
                        let (subject, body) = rec.up_mail(old.down_since.as_deref(), now);
                        rec.put_outbox(MailKind::Up, subject, body, now);
                    } else {
                        rec.record_beat(beat, now);
                    }
                    rec.refresh_due();
                    (rec, Some(old.version), recovered)
                }
            };
            match self.put_if(&new, expected).await? {
                Put::Written => {
                    return Ok(Beaten {
                        reply: new.heartbeat_reply(now),
                        mail: if recovered { new.pending() } else { None },
                    })
                }
                Put::Conflict(now_stored) => current = now_stored,
            }
        }
        Err(contention())
    }

    /// The one-write path for an `up` app without an unsent mail.
    async fn fast_beat(
        &self,
        pk: &str,
        beat: &HeartbeatIn,
        now: Timestamp,
    ) -> Result<FastBeat, AppError> {
        let mut expr = "SET lastBeatAt = :now, beats = beats + :one, version = version + :one, \
                        deadline = :nowms + windowMs, dueAt = :nowms + windowMs"
            .to_owned();
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk.to_owned()))
            .condition_expression("#st = :up AND attribute_not_exists(outbox)")
            .expression_attribute_names("#st", "state")
            .expression_attribute_values(":up", AttributeValue::S("up".into()))
            .expression_attribute_values(":now", AttributeValue::S(now.to_rfc3339()))
            .expression_attribute_values(":nowms", AttributeValue::N(millis(now).to_string()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match &beat.message {
            Some(m) => {
                expr.push_str(", lastMessage = :msg");
                req = req.expression_attribute_values(":msg", AttributeValue::S(m.0.clone()));
            }
            None => expr.push_str(" REMOVE lastMessage"),
        }
        match req.update_expression(expr).send().await {
            Ok(out) => {
                let item = out
                    .attributes
                    .ok_or_else(|| AppError::internal("UpdateItem returned no attributes"))?;
                Ok(FastBeat::Done(Box::new(serde_dynamo::from_item(item)?)))
            }
            Err(err) => match err.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(e) => Ok(FastBeat::NotApplicable(
                    e.item
                        .map(serde_dynamo::from_item)
                        .transpose()?
                        .map(Box::new),
                )),
                other => Err(AppError::internal(other)),
            },
        }
    }

    /// Sends a transition mail to the admin, then clears it from the item. When the send
    /// fails the mail stays in the item and the scanner sends it again after its lease.
    pub async fn deliver(&self, admin: &AdminMail, mail: &PendingMail) -> Result<(), AppError> {
        admin.send(&mail.subject, &mail.body).await?;
        tracing::info!(
            app = %mail.written.pk,
            kind = ?mail.kind,
            seq = mail.seq,
            "transition mail sent"
        );
        self.clear_outbox(mail).await
    }

    async fn clear_outbox(&self, mail: &PendingMail) -> Result<(), AppError> {
        let mut current = Some(Box::new(mail.written.clone()));
        for _ in 0..MAX_CAS_ATTEMPTS {
            let Some(old) = current else { return Ok(()) };
            if old.outbox.as_ref().map(|o| o.seq) != Some(mail.seq) {
                // Replaced by a newer transition (or already cleared): nothing to do.
                return Ok(());
            }
            let mut rec = (*old).clone();
            rec.version += 1;
            rec.outbox = None;
            rec.lease_until = None;
            rec.refresh_due();
            match self.put_if(&rec, Some(old.version)).await? {
                Put::Written => return Ok(()),
                Put::Conflict(now_stored) => current = now_stored,
            }
        }
        Err(contention())
    }

    // ------------------------------------------------------------ scanner

    /// One scanner run at `now`: queries each shard of the `due` index for `dueAt <= now`,
    /// marks silent `up` apps `down` and mails the admin, and resends mails whose sender died.
    /// Failures are counted in the report and logged; they never stop the run.
    pub async fn scan(&self, admin: &AdminMail, now: Timestamp) -> ScanReport {
        let mut report = ScanReport {
            now: now.to_rfc3339(),
            ..ScanReport::default()
        };
        'shards: for shard in 0..DUE_SHARDS {
            let shard = format!("DUE#{shard}");
            let mut start = None;
            loop {
                let page = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(DUE_INDEX)
                    .key_condition_expression("dueShard = :s AND dueAt <= :now")
                    .expression_attribute_values(":s", AttributeValue::S(shard.clone()))
                    .expression_attribute_values(":now", AttributeValue::N(millis(now).to_string()))
                    .limit(QUERY_PAGE)
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .set_exclusive_start_key(start)
                    .send()
                    .await;
                let page = match page {
                    Ok(p) => p,
                    Err(err) => {
                        report.errors += 1;
                        tracing::error!(shard, error = %lookout_core::error::error_chain(&err), "due query failed");
                        continue 'shards;
                    }
                };
                report.queries += 1;
                report.items_read += u64::try_from(page.scanned_count).unwrap_or(0);
                report.read_capacity += page
                    .consumed_capacity
                    .as_ref()
                    .and_then(|c| c.capacity_units)
                    .unwrap_or(0.0);
                let items = page.items.unwrap_or_default();
                report.estimated_read_units += read_units(&items);
                for item in items {
                    if usize::try_from(report.due).unwrap_or(usize::MAX) >= MAX_DUE_PER_RUN {
                        report.truncated = true;
                        break 'shards;
                    }
                    report.due += 1;
                    let rec: Result<AppRecord, _> = serde_dynamo::from_item(item);
                    match rec {
                        Ok(rec) => self.handle_due(admin, rec, now, &mut report).await,
                        Err(err) => {
                            report.errors += 1;
                            tracing::error!(error = %err, "unreadable heartbeat item");
                        }
                    }
                }
                start = page.last_evaluated_key;
                if start.is_none() {
                    break;
                }
            }
        }
        report
    }

    /// Acts on one due app. `snapshot` comes from the index (eventually consistent): every
    /// decision is written conditioned on its version, and re-decided from the current item
    /// when that fails, so concurrent runs (and heartbeats) never both win.
    async fn handle_due(
        &self,
        admin: &AdminMail,
        snapshot: AppRecord,
        now: Timestamp,
        report: &mut ScanReport,
    ) {
        let now_ms = millis(now);
        let mut current = Some(Box::new(snapshot));
        for _ in 0..MAX_CAS_ATTEMPTS {
            let Some(old) = current.take() else { return };
            let mut rec = (*old).clone();
            rec.version += 1;
            let went_down = old.state == AppState::Up && old.deadline < now_ms;
            let retry =
                !went_down && old.outbox.is_some() && old.lease_until.is_some_and(|l| l <= now_ms);
            if went_down {
                rec.state = AppState::Down;
                rec.state_changed_at = now.to_rfc3339();
                rec.down_since = Some(ms_text(old.deadline));
                let (subject, body) = rec.down_mail(now);
                rec.put_outbox(MailKind::Down, subject, body, now);
            } else if retry {
                let attempts = old.outbox.as_ref().map_or(0, |o| o.attempts);
                if attempts >= MAX_MAIL_ATTEMPTS {
                    tracing::error!(app = %old.pk, attempts, outbox = ?old.outbox, "giving up on a transition mail");
                    rec.outbox = None;
                    rec.lease_until = None;
                } else {
                    if let Some(o) = rec.outbox.as_mut() {
                        o.attempts += 1;
                    }
                    rec.lease_until = Some(now_ms + MAIL_LEASE_MS);
                }
            } else {
                // Not due any more (a beat arrived, or the index lagged behind the item).
                return;
            }
            rec.refresh_due();
            match self.put_if(&rec, Some(old.version)).await {
                Ok(Put::Written) => {}
                Ok(Put::Conflict(now_stored)) => {
                    report.conflicts += 1;
                    current = now_stored;
                    continue;
                }
                Err(err) => {
                    report.errors += 1;
                    tracing::error!(app = %old.pk, error = %lookout_core::error::error_chain(&err), "scanner write failed");
                    return;
                }
            }
            if went_down {
                report.went_down += 1;
            } else if rec.outbox.is_some() {
                report.retried += 1;
            } else {
                report.mails_dropped += 1;
            }
            if let Some(mail) = rec.pending() {
                match self.deliver(admin, &mail).await {
                    Ok(()) => report.mails_sent += 1,
                    Err(err) => {
                        report.mail_errors += 1;
                        tracing::error!(app = %rec.pk, error = %lookout_core::error::error_chain(&err), "transition mail not sent; retried after the lease");
                    }
                }
            }
            return;
        }
        report.errors += 1;
        tracing::error!("too many conflicts on one due app");
    }

    // ------------------------------------------------------------ admin

    /// Registers an app (no action: created with the given or default settings when missing)
    /// or changes its settings and state. Returns the app and whether it was created.
    pub async fn admin_update(
        &self,
        input: &AdminAppIn,
        now: Timestamp,
    ) -> Result<(AppView, bool), AppError> {
        input.validate()?;
        let pk = app_pk(input.tenant.as_str(), input.app_id.as_str());
        let mut current = self.get(&pk).await?.map(Box::new);
        for _ in 0..MAX_CAS_ATTEMPTS {
            let (rec, expected) = match current {
                None if input.action.is_some() => {
                    return Err(AppError::NotFound(format!(
                        "app {} of tenant {} is not registered; register it first (no action)",
                        input.app_id,
                        input.tenant.as_str()
                    )))
                }
                None => (
                    AppRecord::new(
                        &input.tenant,
                        &input.app_id,
                        now,
                        input.period_seconds.unwrap_or(DEFAULT_PERIOD_SECONDS),
                        input.grace_seconds.unwrap_or(DEFAULT_GRACE_SECONDS),
                    ),
                    None,
                ),
                Some(old) => {
                    let mut rec = (*old).clone();
                    rec.version += 1;
                    apply_admin(&mut rec, input, now)?;
                    rec.refresh_due();
                    (rec, Some(old.version))
                }
            };
            match self.put_if(&rec, expected).await? {
                Put::Written => return Ok((rec.view(), expected.is_none())),
                Put::Conflict(now_stored) => current = now_stored,
            }
        }
        Err(contention())
    }

    /// One page of a tenant's apps, ordered by app id.
    pub async fn list(&self, q: &ListQuery) -> Result<AppList, AppError> {
        let tenant = q.tenant.as_str();
        let start = q
            .next_token
            .as_deref()
            .map(|t| {
                lookout_core::ddb::decode_page_token(
                    t,
                    &TOKEN_KEYS,
                    ("tenant", tenant),
                    "next_token",
                )
            })
            .transpose()?;
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(TENANT_INDEX)
            .key_condition_expression("tenant = :t")
            .expression_attribute_values(":t", AttributeValue::S(tenant.to_owned()))
            .limit(i32::try_from(q.limit).unwrap_or(QUERY_PAGE))
            .set_exclusive_start_key(start)
            .send()
            .await?;
        let pks: Vec<String> = page
            .items
            .unwrap_or_default()
            .into_iter()
            .filter_map(|mut item| match item.remove("pk") {
                Some(AttributeValue::S(pk)) => Some(pk),
                _ => None,
            })
            .collect();
        let mut records = self.batch_get(&pks).await?;
        let apps = pks
            .iter()
            .filter_map(|pk| records.remove(pk))
            .filter(|r| q.state.is_none_or(|s| r.state == s))
            .map(|r| r.view())
            .collect();
        Ok(AppList {
            tenant: tenant.to_owned(),
            apps,
            next_token: page
                .last_evaluated_key
                .map(|k| lookout_core::ddb::encode_page_token(&k, &TOKEN_KEYS)),
        })
    }

    async fn batch_get(&self, pks: &[String]) -> Result<HashMap<String, AppRecord>, AppError> {
        let mut out = HashMap::new();
        if pks.is_empty() {
            return Ok(out);
        }
        let keys = pks
            .iter()
            .map(|pk| HashMap::from([("pk".to_owned(), AttributeValue::S(pk.clone()))]))
            .collect::<Vec<_>>();
        for item in lookout_core::ddb::batch_get_all(&self.client, &self.table, keys).await? {
            let rec: AppRecord = serde_dynamo::from_item(item)?;
            out.insert(rec.pk.clone(), rec);
        }
        Ok(out)
    }
}

pub use lookout_core::ddb::{item_size, read_units};

fn apply_admin(rec: &mut AppRecord, input: &AdminAppIn, now: Timestamp) -> Result<(), AppError> {
    if input.period_seconds.is_some() || input.grace_seconds.is_some() {
        rec.period_seconds = input.period_seconds.unwrap_or(rec.period_seconds);
        rec.grace_seconds = input.grace_seconds.unwrap_or(rec.grace_seconds);
        rec.window_ms = window_ms(rec.period_seconds, rec.grace_seconds);
        if rec.state == AppState::Up {
            rec.deadline = rec.watch_start() + rec.window_ms;
        }
    }
    let changed = |rec: &mut AppRecord, state: AppState| {
        rec.state = state;
        rec.state_changed_at = now.to_rfc3339();
        rec.down_since = None;
    };
    match (input.action, rec.state) {
        (None, _)
        | (Some(AdminAction::Pause), AppState::Paused)
        | (Some(AdminAction::Resume), AppState::Up | AppState::Down)
        | (Some(AdminAction::Retire), AppState::Retired) => {}
        (Some(AdminAction::Pause), AppState::Retired) => {
            return Err(AppError::Conflict(
                "app is retired; resume it before pausing".into(),
            ))
        }
        (Some(AdminAction::Pause), AppState::Up | AppState::Down) => {
            changed(rec, AppState::Paused);
        }
        (Some(AdminAction::Resume), AppState::Paused | AppState::Retired) => {
            changed(rec, AppState::Up);
            rec.expires_at = None;
            rec.deadline = millis(now) + rec.window_ms;
        }
        (Some(AdminAction::Retire), AppState::Up | AppState::Down | AppState::Paused) => {
            changed(rec, AppState::Retired);
            rec.expires_at = Some(now.unix_seconds() + RETIRED_RETENTION_DAYS * 86_400);
        }
    }
    Ok(())
}

const TOKEN_KEYS: [&str; 3] = ["pk", "tenant", "appId"];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_str(s).unwrap()
    }

    #[test]
    fn app_ids_accept_the_seeds_integers_and_safe_strings() {
        let n: AppId = serde_json::from_value(json!(23)).unwrap();
        let s: AppId = serde_json::from_value(json!("23")).unwrap();
        assert_eq!(n, s);
        assert_eq!(n.to_json(), json!(23));
        let named: AppId = serde_json::from_value(json!("billing-api.prod")).unwrap();
        assert_eq!(named.to_json(), json!("billing-api.prod"));
        let padded: AppId = serde_json::from_value(json!("007")).unwrap();
        assert_eq!(padded.to_json(), json!("007"));
        // The seed took any scalar: whole floats are integers, other numbers and booleans text.
        let id = |v: Value| serde_json::from_value::<AppId>(v).unwrap();
        assert_eq!(id(json!(23.0)), n);
        assert_eq!(id(json!(-1)).to_json(), json!(-1));
        assert_eq!(id(json!(1.5)).as_str(), "1.5");
        assert_eq!(id(json!(true)).as_str(), "true");
        assert_eq!(id(json!(u64::MAX)).to_json(), json!(u64::MAX.to_string()));
        for bad in [
            json!(""),
            json!("a#b"),
            json!("a b"),
            json!(null),
            json!([1]),
            json!("x".repeat(129)),
        ] {
            assert!(
                serde_json::from_value::<AppId>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn heartbeat_input_is_validated() {
        let ok: HeartbeatIn =
            serde_json::from_value(json!({"app_id": 23, "message": "OK:200"})).unwrap();
        assert_eq!(ok.message.unwrap().as_str(), "OK:200");
        let bare: HeartbeatIn = serde_json::from_value(json!({"app_id": 23})).unwrap();
        assert!(bare.message.is_none());
        // As the seed: unknown fields ignored, scalar messages kept as text, null is none.
        let lenient: HeartbeatIn =
            serde_json::from_value(json!({"app_id": 23, "message": 5, "status": "x"})).unwrap();
        assert_eq!(lenient.message.unwrap().as_str(), "5");
        let null: HeartbeatIn =
            serde_json::from_value(json!({"app_id": 23, "message": null})).unwrap();
        assert!(null.message.is_none());
        for bad in [
            json!({}),
            json!({"app_id": 23, "message": "a\nb"}),
            json!({"app_id": 23, "message": "x".repeat(1025)}),
            json!({"app_id": 23, "message": [5]}),
            json!({"app_id": 23, "message": {"a": 1}}),
        ] {
            assert!(
                serde_json::from_value::<HeartbeatIn>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn due_follows_state_deadline_and_unsent_mail() {
        let now = ts("2030-01-01T00:00:00Z");
        let tenant = Tenant::parse("acme").unwrap();
        let mut rec = AppRecord::new(&tenant, &AppId("7".into()), now, 60, 60);
        assert_eq!(rec.due_at, Some(millis(now) + 120_000));
        assert!(rec.due_shard.as_deref().unwrap().starts_with("DUE#"));
        rec.state = AppState::Down;
        rec.refresh_due();
        assert_eq!((rec.due_at, rec.due_shard.as_deref()), (None, None));
        rec.put_outbox(MailKind::Down, "s".into(), "b".into(), now);
        rec.refresh_due();
        assert_eq!(rec.due_at, Some(millis(now) + MAIL_LEASE_MS));
        rec.state = AppState::Up;
        rec.refresh_due();
        assert_eq!(
            rec.due_at,
            Some(millis(now) + 120_000),
            "the earlier of both"
        );
    }

    #[test]
    fn shards_spread_and_are_stable() {
        let shards: std::collections::HashSet<String> =
            (0..200).map(|i| shard_of(&format!("APP#t#{i}"))).collect();
        assert_eq!(shards.len(), DUE_SHARDS as usize);
        assert_eq!(shard_of("APP#t#1"), shard_of("APP#t#1"));
    }

    #[test]
    fn manual_clock_moves_only_when_set() {
        let clock = Clock::manual(ts("2030-01-01T00:00:00Z"));
        assert_eq!(clock.now(), ts("2030-01-01T00:00:00Z"));
        clock.set(ts("2030-01-01T00:05:00Z"));
        assert_eq!(clock.now(), ts("2030-01-01T00:05:00Z"));
    }

    #[test]
    fn list_query_explains_bad_parameters() {
        assert!(ListQuery::parse(None, None, None, None).is_err());
        assert!(ListQuery::parse(Some("a b"), None, None, None).is_err());
        assert!(ListQuery::parse(Some("acme"), Some("sleeping"), None, None).is_err());
        assert!(ListQuery::parse(Some("acme"), None, Some("0"), None).is_err());
        assert!(ListQuery::parse(Some("acme"), None, Some("101"), None).is_err());
        let q = ListQuery::parse(Some("acme"), Some("down"), Some("5"), None).unwrap();
        assert_eq!((q.state, q.limit), (Some(AppState::Down), 5));
    }

    #[test]
    fn page_tokens_are_bound_to_their_tenant() {
        let key: HashMap<String, AttributeValue> =
            [("pk", "APP#acme#1"), ("tenant", "acme"), ("appId", "1")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), AttributeValue::S(v.to_owned())))
                .collect();
        let decode = |t: &str, tenant: &str| {
            lookout_core::ddb::decode_page_token(t, &TOKEN_KEYS, ("tenant", tenant), "next_token")
        };
        let token = lookout_core::ddb::encode_page_token(&key, &TOKEN_KEYS);
        assert_eq!(decode(&token, "acme").unwrap(), key);
        assert!(decode(&token, "other").is_err());
        assert!(decode("zz", "acme").is_err());
    }
}
