//! A batch planned for writing: its chunk items and what writing them is billed (pure: no I/O).

use lookout_core::page::json_len;

use crate::error::LogError;
use crate::input::Batch;
use crate::limits::{ONE_CALL_CHUNKS, TRANSACTION_CHUNKS};
use crate::pack::pack;
use crate::records::ChunkRecord;

/// A batch packed into its chunk items, ready to write ([`crate::LogLines::plan`]).
#[derive(Debug)]
pub struct PlannedWrite {
    pub(crate) chunks: Vec<ChunkRecord>,
    /// Lines of the batch.
    pub(crate) lines: usize,
    /// What writing the chunks is billed, in bytes: a write unit (1 KB) per started KB of each
    /// item, twice for a transaction.
    pub(crate) billed_bytes: u64,
}

impl PlannedWrite {
    /// The chunk items `batch` becomes (packing is a pure function of the batch), expiring at
    /// `expires_at`, and what writing them is billed: what the daily quota counts, before
    /// anything is written.
    pub(crate) fn new(batch: Batch, expires_at: i64) -> Result<Self, LogError> {
        let lines = batch.logs.len();
        if lines == 0 {
            return Ok(Self {
                chunks: Vec::new(),
                lines: 0,
                billed_bytes: 0,
            });
        }
        let chunks = pack(batch, Some(expires_at))?;
        // A write unit per started KB of each item; a transaction's writes cost twice.
        let kb: u64 = chunks
            .iter()
            .map(|c| u64::try_from(json_len(c).div_ceil(1024)).unwrap_or(u64::MAX))
            .sum();
        let factor = if in_one_transaction(chunks.len()) {
            2
        } else {
            1
        };
        Ok(Self {
            chunks,
            lines,
            billed_bytes: kb.saturating_mul(1024 * factor),
        })
    }

    /// Whether the chunks go in one TransactWriteItems: more than one BatchWriteItem call
    /// takes, and no more than a transaction does.
    pub(crate) fn in_one_transaction(&self) -> bool {
        in_one_transaction(self.chunks.len())
    }

    /// Whether a failed write may have left some of its items stored (several calls, or a
    /// BatchWriteItem whose unprocessed items ran out of retries); a transaction cannot.
    pub(crate) fn may_write_partly(&self) -> bool {
        !self.in_one_transaction()
    }
}

fn in_one_transaction(chunks: usize) -> bool {
    chunks > ONE_CALL_CHUNKS && chunks <= TRANSACTION_CHUNKS
}
