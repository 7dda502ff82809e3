//! What clients get back: heartbeat replies, app views and lists, scan reports.

use lookout_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::badge_key::BadgeKey;
use crate::input::{AppId, AppState};
use crate::record::OutputRef;
use crate::runs::{OpenRun, Run, Tolerance};
use crate::time::from_millis;

/// Reply to a heartbeat.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HeartbeatReply {
    /// Always `"ok"` when the beat was recorded.
    pub status: String,
    pub app_id: Value,
    pub state: AppState,
    pub received_at: Timestamp,
    /// When the next beat is due at the latest (period + grace); `null` unless `up`.
    pub due_by: Option<Timestamp>,
}

impl HeartbeatReply {
    /// The reply to a beat of `app_id` that left the app in `state`, due again by `deadline`
    /// (epoch ms) when that is `up`.
    pub(crate) fn new(
        app_id: &AppId,
        state: AppState,
        received_at: Timestamp,
        deadline: i64,
    ) -> Self {
        Self {
            status: "ok".into(),
            app_id: app_id.to_json(),
            state,
            received_at,
            due_by: (state == AppState::Up).then(|| from_millis(deadline)),
        }
    }
}

/// An app as the admin sees it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AppView {
    pub tenant: String,
    pub app_id: Value,
    pub state: AppState,
    pub period_seconds: u32,
    pub grace_seconds: u32,
    pub last_heartbeat: Option<Timestamp>,
    pub last_message: Option<String>,
    pub heartbeats: u64,
    pub due_by: Option<Timestamp>,
    pub down_since: Option<Timestamp>,
    pub state_changed_at: Timestamp,
    pub created_at: Timestamp,
    /// A transition mail is not confirmed sent yet (it will be retried).
    pub mail_pending: bool,
    /// The cron schedule, when the app has one instead of the period, and its zone.
    pub schedule: Option<String>,
    pub tz: Option<String>,
    pub max_runtime_seconds: Option<u32>,
    pub min_runtime_seconds: Option<u32>,
    pub min_interval_seconds: Option<u32>,
    pub fail_tolerance: Tolerance,
    pub snoozed_until: Option<Timestamp>,
    /// Why the app is down (silent, a failed run, a run past its maximum runtime).
    pub down_reason: Option<String>,
    /// Started runs not finished yet, oldest first.
    pub open_runs: Vec<OpenRun>,
    /// The last finished runs with their durations, newest first.
    pub runs: Vec<Run>,
    /// Seconds down per UTC day of finished outages (the last 90 days); the current outage
    /// runs from `down_since`.
    #[serde(default)]
    pub downtime: std::collections::BTreeMap<String, u32>,
    /// The public status badge (SVG), relative to the API's base URL (admin replies only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub badge_path: Option<String>,
    /// The check's UUID in its Healthchecks ping URL (`None`: an app created before ping URLs,
    /// given one by its next admin change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_id: Option<String>,
    /// `<api>/ping/<uuid>` (admin replies only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_url: Option<String>,
    /// The last pings that carried a body, newest first (each body:
    /// `GET /admin/heartbeat_apps/output`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<OutputRef>,
}

/// Reply to a job signal (`POST /api/apps/{signal}`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SignalReply {
    pub status: String,
    pub app_id: Value,
    pub signal: String,
    /// The run this signal started or finished (generated for a start without one).
    pub run_id: Option<String>,
    /// The run a success, fail or exit signal finished, as judged.
    pub run: Option<Run>,
    pub state: AppState,
    pub received_at: Timestamp,
    pub due_by: Option<Timestamp>,
    pub snoozed_until: Option<Timestamp>,
}

impl AppView {
    /// The app id as the badge and the store name it (`23`, `backup`).
    pub fn app_id_text(&self) -> String {
        match &self.app_id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    /// Adds the ping URL under the API's public `origin` (`https://host`, no trailing slash).
    pub fn at(mut self, origin: &str) -> Self {
        self.ping_url = self
            .ping_id
            .as_ref()
            .map(|id| format!("{}/ping/{id}", origin.trim_end_matches('/')));
        self
    }

    /// Adds the badge path (signed with `key`).
    pub fn with_badge(mut self, key: &BadgeKey) -> Self {
        self.badge_path = Some(key.path(&self.tenant, &self.app_id_text()));
        self
    }
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
    /// Apps found due.
    pub due: u64,
    /// up → down transitions this run made.
    pub went_down: u64,
    /// Unsent mails (a crashed or failed earlier send) this run sent again.
    pub retried: u64,
    /// Mails sent: one per transition, or one per digest.
    pub mails_sent: u64,
    /// Digests among them (one mail and one alert for many transitions).
    pub digests: u64,
    pub mail_errors: u64,
    /// Mails given up after `MAX_MAIL_ATTEMPTS`.
    pub mails_dropped: u64,
    /// Writes that lost a race and were re-decided.
    pub conflicts: u64,
    /// Failed DynamoDB calls.
    pub errors: u64,
    /// Stopped at `MAX_DUE_PER_RUN`; the rest is handled by the next run.
    pub truncated: bool,
    /// Ingestion looked degraded (many apps silent at once, across most tenants).
    pub degraded: bool,
    /// DOWN transitions held because of it (the apps stay up and due).
    pub held: u64,
    /// Silent apps given a fresh deadline when it ended.
    pub rearmed: u64,
}
