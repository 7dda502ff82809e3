//! Events between domains, as they travel on SQS: the one contract both sides compile against.
//!
//! `AppTransition`: a heartbeat app went `down` or came back `up` (heartbeats → the
//! `AppEventsQueue` → incidents, which opens an incident for the outage and resolves it on
//! recovery).

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
