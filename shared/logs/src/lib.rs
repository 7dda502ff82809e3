//! Log ingestion (seed 000): users and their tokens, batch packing, storage and queries.
//!
//! ## Cost-driven layout
//! DynamoDB bills a write per started KB of item. One item per ~120-byte line costs a whole
//! write unit per line. Instead, a batch's lines are sorted by time and packed into chunk
//! items of up to [`CHUNK_TARGET_BYTES`] spanning at most [`CHUNK_MAX_SPAN_SECS`], so a write
//! unit carries ~7 lines (see `bench --bin log_write_units` for the measured ratio).
//!
//! | item  | pk          | sk                                  | attributes |
//! |-------|-------------|-------------------------------------|------------|
//! | chunk | `U#<user>`  | `<minAt>#<batchId>#<chunkNo:04>`    | pid, pName, postTime, minAt, maxAt, levels (set), n, lines (JSON), expiresAt |
//!
//! Users live in `LOG_USERS_TABLE` keyed by name, holding only the SHA-256 of the md5 token,
//! and their use per UTC day (`lines#<day>`, `bytes#<day>`; see [`usage`]) for the daily byte
//! quota and the volume chart.
//!
//! Queries are one Query on `U#<user>` with `sk` between `from - span` and `to`, a filter on
//! `maxAt`/process/level, and exact filtering of lines in the function. Page tokens point at a
//! chunk and a line inside it.
//!
//! Idempotency: `batchId` is a hash of the whole batch (user, pid, process, post_time, every
//! line), and chunking is a pure function of the batch, so a retried batch rewrites the same
//! items while two different batches never share one.

use lookout_core::deserialize_via_parse;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_dynamodb::{types::AttributeValue, Client};
use md5::{Digest as _, Md5};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

use lookout_core::{
    auth::{ct_eq, sha256_hex},
    config, ddb, quota,
    time::Timestamp,
    StoreError,
};

// By concern: input, tokens, records, packing (pure), store, and what they fail with.
mod error;
mod input;
mod pack;
mod records;
mod store;
mod tokens;
mod usage;
pub use error::LogsError;
pub use input::*;
pub use pack::*;
pub use records::*;
pub use store::*;
pub use tokens::*;
pub use usage::*;

/// Most lines one `/send_logs` call may carry.
pub const MAX_LINES: usize = 10_000;
/// Largest `/send_logs` body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Packed lines per chunk item stop growing past this many bytes.
pub const CHUNK_TARGET_BYTES: usize = 16 * 1024;
/// A chunk never spans more than this, which bounds the range a time query must look back.
pub const CHUNK_MAX_SPAN_SECS: i64 = 3600;
/// Most lines one query page returns.
pub const MAX_PAGE: usize = 1000;
/// Chunks one BatchWriteItem call takes.
pub const ONE_CALL_CHUNKS: usize = 25;
/// Pages of (at most 8) chunks [`LogStore::recent`] reads at most: 64 chunks, at most ~1 MB.
pub const RECENT_MAX_PAGES: usize = 8;
/// Chunks one TransactWriteItems call takes.
pub const TRANSACTION_CHUNKS: usize = 100;

#[cfg(test)]
mod tests;
