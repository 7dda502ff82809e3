//! What is stored: chunk items of packed lines, log user items, and their keys.

use std::collections::BTreeSet;

use lookout_core::time::Timestamp;
use serde::{Deserialize, Serialize};

use crate::level::Level;
use crate::user_name::UserName;

/// One packed line: `[eventAt, level, msg, p_description]`.
pub(crate) type PackedLine = (Timestamp, Level, String, String);

/// A chunk item: a run of one batch's lines, packed (see the crate's layout).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChunkRecord {
    pub(crate) pk: String,
    pub(crate) sk: String,
    pub(crate) pid: u64,
    pub(crate) p_name: String,
    pub(crate) post_time: Timestamp,
    pub(crate) min_at: Timestamp,
    pub(crate) max_at: Timestamp,
    pub(crate) levels: BTreeSet<String>,
    pub(crate) n: usize,
    pub(crate) lines: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires_at: Option<i64>,
}

/// A log user's item (its usage counts are attributes of the same item: [`crate::Usage`]).
/// Its fields are the crate's own; the ports and their adapters pass it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRecord {
    pub(crate) pk: String,
    pub(crate) token_sha256: String,
    pub(crate) created_at: Timestamp,
    pub(crate) rotated_at: Timestamp,
}

/// The partition of a user's chunks.
pub(crate) fn user_pk(user: &UserName) -> String {
    format!("U#{}", user.as_str())
}
