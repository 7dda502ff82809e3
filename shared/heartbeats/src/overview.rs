//! The console overview's heartbeat part: apps that need attention across tenants (late or
//! down), read from the `watch` index ([`WatchIndex`](crate::store::watch::WatchIndex)).

use lookout_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Apps read for one overview at most.
pub(crate) const MAX_ATTENTION: usize = 500;

/// An app that is late or down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttentionApp {
    pub tenant: String,
    pub app_id: Value,
    /// `down`, or `late` (past its expected time; down once the grace is over too).
    pub state: String,
    /// Since when: down since, or late since.
    pub since: Timestamp,
    pub reason: Option<String>,
    pub last_heartbeat: Option<Timestamp>,
    pub last_message: Option<String>,
}

/// Down and late apps, each list oldest first; `truncated` when more than `MAX_ATTENTION`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Attention {
    pub down: Vec<AttentionApp>,
    pub late: Vec<AttentionApp>,
    pub truncated: bool,
}
