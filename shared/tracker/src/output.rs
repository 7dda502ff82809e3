//! What the tracker routes return.

use lookout_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Reply of `start_session`: the new id, plus the seed's `"request received"`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Started {
    pub session_id: String,
    pub message: String,
}

/// The seed's reply to a write.
#[derive(Debug, Serialize, Deserialize)]
pub struct Received {
    pub message: String,
}

impl Received {
    pub fn new() -> Self {
        Self {
            message: "request received".into(),
        }
    }
}

impl Default for Received {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EventOut {
    pub event_at: Timestamp,
    pub event_type: String,
    pub payload: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SessionOut {
    pub session_id: String,
    pub user_id: String,
    pub machine_id: String,
    pub org_id: Value,
    pub start_at: Timestamp,
    pub end_at: Option<Timestamp>,
    pub events: Vec<EventOut>,
    /// Set when the session has more events: pass it back for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MachineEventsOut {
    pub machine_id: String,
    pub events: Vec<EventOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}
