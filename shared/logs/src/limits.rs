//! The logs' limits and sizes.

/// Largest `/send_logs` body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Most lines one query page returns.
pub const MAX_PAGE: usize = 1000;
/// Pages of (at most 8) chunks [`crate::LogLineStore::recent`] reads at most: 64 chunks,
/// at most ~1 MB.
pub const RECENT_MAX_PAGES: usize = 8;

/// Most lines one `/send_logs` call may carry.
pub(crate) const MAX_LINES: usize = 10_000;
/// Packed lines per chunk item stop growing past this many bytes.
pub(crate) const CHUNK_TARGET_BYTES: usize = 16 * 1024;
/// A chunk never spans more than this, which bounds the range a time query must look back.
pub(crate) const CHUNK_MAX_SPAN_SECS: i64 = 3600;
/// Chunks one BatchWriteItem call takes.
pub(crate) const ONE_CALL_CHUNKS: usize = 25;
/// Chunks one TransactWriteItems call takes.
pub(crate) const TRANSACTION_CHUNKS: usize = 100;
