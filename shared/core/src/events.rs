//! Events between domains, as they travel on SQS: the one contract both sides compile against.
//!
//! `AppTransition`: a heartbeat app went `down` or came back `up` (heartbeats → the
//! `AppEventsQueue` → incidents, which opens an incident for the outage and resolves it on
//! recovery).
//!
//! `TenantAlert`: something a tenant's team should hear about (incidents → the `AlertsQueue` →
//! alerts, which routes it to the tenant's channels: Slack, Discord, webhooks).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::time::Timestamp;

/// Which way an app changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransitionKind {
    Down,
    Up,
}

/// One transition of one heartbeat app. `seq` is unique and increasing per app (the item
/// version that made the transition), so a consumer can tell a redelivery from a new event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppTransition {
    pub tenant: String,
    /// The app id as text (`23`, `"backup"`).
    pub app_id: String,
    pub kind: TransitionKind,
    pub seq: u64,
    pub at: Timestamp,
    /// Why it went down (`silent: overdue since …`, `run failed with exit code 2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The app as the admin listing shows it at the transition: last beat and message, recent
    /// runs and their durations (the incident's snapshot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<Value>,
}

/// An alert for the admin's messenger recipients (heartbeats → the messenger queue, where the
/// messenger consumer turns it into a send to the configured admin contacts, with the
/// broadcasts' retries, failed list and idempotency). `alert_id` is the idempotency key: the
/// same alert queued twice is sent once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminAlert {
    #[serde(rename = "alertId")]
    pub alert_id: String,
    pub text: String,
}

/// Longest alert text (a Telegram message holds 4096 characters).
pub const MAX_ALERT_CHARS: usize = 4000;

impl AdminAlert {
    /// An alert; text beyond [`MAX_ALERT_CHARS`] is cut and ends in `…`.
    pub fn new(alert_id: impl Into<String>, text: &str) -> Self {
        let text = if text.chars().count() > MAX_ALERT_CHARS {
            let mut cut: String = text.chars().take(MAX_ALERT_CHARS - 1).collect();
            cut.push('…');
            cut
        } else {
            text.to_owned()
        };
        Self {
            alert_id: alert_id.into(),
            text,
        }
    }

    /// The messenger queue's job body: `{"type":"alert","alertId":…,"text":…}`.
    pub fn job_body(&self) -> String {
        serde_json::json!({"type": "alert", "alertId": self.alert_id, "text": self.text})
            .to_string()
    }
}

/// What a tenant alert is about (the routing rules' `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TenantAlertKind {
    /// A heartbeat app went down or came back.
    Heartbeat,
    /// An incident was reported (seed 001's `POST /incidents`, a Sentry event).
    Incident,
    /// What quiet hours held, in one message at their end.
    Digest,
}

/// How bad a tenant alert is (the routing rules' `level`), lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TenantAlertLevel {
    Info,
    Warning,
    Error,
    Critical,
}

/// One alert for a tenant's channels. `alert_id` is unique per alert and stable across
/// redeliveries (the consumer delivers each alert id once per channel step).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantAlert {
    pub tenant: String,
    pub alert_id: String,
    pub kind: TenantAlertKind,
    pub level: TenantAlertLevel,
    pub title: String,
    pub text: String,
    /// The app it is about (a heartbeat app id, an incident app's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The console page to look at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub at: Timestamp,
    /// The incident an acknowledgement of this alert acknowledges: set on what needs someone
    /// (an outage, a new incident), not on a recovery. Until it is acknowledged or resolved,
    /// the alert repeats and escalates as its route says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_incident: Option<String>,
    /// Set on a repeat: which one, counted from 1 (the alert itself is round 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
    /// Set on the message that ends a maintenance window: release what it held (nothing else
    /// of this alert is delivered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
}
