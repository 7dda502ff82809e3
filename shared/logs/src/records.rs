//! What is stored and returned: chunk records, query types and keys.

use super::*;

/// One packed line: `[eventAt, level, msg, p_description]`.
pub(crate) type PackedLine = (Timestamp, Level, String, String);

#[derive(Debug, Serialize, Deserialize)]
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

/// A stored line as the query returns it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogOut {
    pub event_at: Timestamp,
    pub level: String,
    pub msg: String,
    pub p_description: String,
    pub p_name: String,
    pub pid: u64,
    pub post_time: Timestamp,
}

/// A page of query results.
#[derive(Debug, Serialize, Deserialize)]
pub struct LogPage {
    pub user: String,
    pub logs: Vec<LogOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// First page only: the user's volume per UTC day ([`crate::Usage::series`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Vec<DayUsage>>,
}

/// Query filters.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub p_name: Option<String>,
    pub pid: Option<u64>,
    pub levels: Vec<Level>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub limit: usize,
    pub next_token: Option<String>,
}

pub(crate) fn user_pk(user: &UserName) -> String {
    format!("U#{}", user.as_str())
}

/// A batch packed into its chunk items, ready to write ([`LogStore::plan`]).
#[derive(Debug)]
pub struct PlannedWrite {
    pub(crate) chunks: Vec<ChunkRecord>,
    /// Lines of the batch.
    pub lines: usize,
    /// What writing the chunks is billed, in bytes: a write unit (1 KB) per started KB of each
    /// item, twice for a transaction.
    pub billed_bytes: u64,
}

impl PlannedWrite {
    /// Chunk items the batch becomes.
    pub fn items(&self) -> usize {
        self.chunks.len()
    }

    /// Whether a failed write may have left some of its items stored (several calls, or a
    /// BatchWriteItem whose unprocessed items ran out of retries); a transaction cannot.
    pub fn may_write_partly(&self) -> bool {
        !(self.chunks.len() > crate::ONE_CALL_CHUNKS
            && self.chunks.len() <= crate::TRANSACTION_CHUNKS)
    }
}
