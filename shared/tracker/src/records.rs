//! What is stored: session and event records and their keys.

use lookout_core::{auth::Tenant, time::Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::output::EventOut;

/// A stored session (its fields are the crate's own; the ports and their adapters pass it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecord {
    pub(crate) pk: String,
    pub(crate) sk: String,
    pub(crate) session_id: String,
    pub(crate) tenant: String,
    pub(crate) user_id: String,
    pub(crate) machine_id: String,
    /// JSON text of the orgId as sent (`null` when absent).
    pub(crate) org_id: String,
    pub(crate) start_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) end_at: Option<Timestamp>,
    pub(crate) created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires_at: Option<i64>,
}

/// A stored event (its fields are the crate's own; the ports and their adapters pass it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRecord {
    pub(crate) pk: String,
    pub(crate) sk: String,
    pub(crate) gsi1pk: String,
    pub(crate) gsi1sk: String,
    pub(crate) session_id: String,
    pub(crate) event_at: Timestamp,
    pub(crate) event_type: String,
    /// JSON text of the payload, returned exactly as stored.
    pub(crate) payload: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires_at: Option<i64>,
}

impl EventRecord {
    pub(crate) fn into_out(self, with_session: bool) -> EventOut {
        EventOut {
            payload: serde_json::from_str(&self.payload).unwrap_or(Value::String(self.payload)),
            event_at: self.event_at,
            event_type: self.event_type,
            session_id: with_session.then_some(self.session_id),
        }
    }
}

pub(crate) fn session_pk(id: &str) -> String {
    format!("SESSION#{id}")
}

pub(crate) fn machine_pk(tenant: &Tenant, machine: &str) -> String {
    format!("MACHINE#{}#{machine}", tenant.as_str())
}

pub(crate) const META: &str = "META";

/// Content-derived event id: the same event sent twice (a retry) gets the same key.
pub(crate) fn event_id(
    session: &str,
    at: &str,
    event_type: &str,
    payload: &str,
    occurrence: usize,
) -> String {
    let mut h = Sha256::new();
    for part in [session, at, event_type, payload, &occurrence.to_string()] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(&h.finalize()[..12])
}

/// The key attributes of a session's partition (a `get_session` page token).
pub(crate) const SESSION_TOKEN_KEYS: [&str; 2] = ["pk", "sk"];
/// The key attributes of an event in the machine index (a `get_machine_events` page token).
pub(crate) const TOKEN_KEYS: [&str; 4] = ["pk", "sk", "gsi1pk", "gsi1sk"];
