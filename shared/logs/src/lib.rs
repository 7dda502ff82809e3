//! Log ingestion (seed 000): users and their tokens, batch packing, storage and queries.
//!
//! ## Cost-driven layout
//! DynamoDB bills a write per started KB of item. One item per ~120-byte line costs a whole
//! write unit per line. Instead, a batch's lines are sorted by time and packed into chunk
//! items of up to 16 KB (`CHUNK_TARGET_BYTES`) spanning at most an hour (`CHUNK_MAX_SPAN_SECS`), so a write
//! unit carries ~7 lines (see `bench --bin log_write_units` for the measured ratio).
//!
//! | item  | pk          | sk                                  | attributes |
//! |-------|-------------|-------------------------------------|------------|
//! | chunk | `U#<user>`  | `<minAt>#<batchId>#<chunkNo:04>`    | pid, pName, postTime, minAt, maxAt, levels (set), n, lines (JSON), expiresAt |
//!
//! Users live in `LOG_USERS_TABLE` keyed by name, holding only the SHA-256 of the md5 token,
//! and their use per UTC day (`lines#<day>`, `bytes#<day>`; see [`Usage`]) for the daily byte
//! quota and the volume chart.
//!
//! Queries are one Query on `U#<user>` with `sk` between `from - span` and `to`, a filter on
//! `maxAt`/process/level, and exact filtering of lines in the function. Page tokens point at a
//! chunk and a line inside it.
//!
//! Idempotency: `batchId` is a hash of the whole batch (user, pid, process, post_time, every
//! line), and chunking is a pure function of the batch, so a retried batch rewrites the same
//! items while two different batches never share one.
//!
//! ## Where to read
//! A function parses its request, calls one use case (`lookout_logs::send_logs(…)`, in
//! `send_logs.rs`), and maps the result. A use case names the stores it touches as its
//! parameters, one port per aggregate (`store/`): log users and their tokens ([`LogUsers`]),
//! log lines ([`LogLines`]), and the users' daily usage counts ([`LogUsageCounts`]). Functions
//! pass the DynamoDB adapters ([`LogStore`]); the unit tests (`src/tests/`) pass the in-memory
//! ones ([`MemoryLogs`]).

// Use cases: what the log functions do, each in its own file named after it. Each names the
// stores it touches as its parameters and fails with a `LogError`.
mod authenticate;
mod issue_token;
mod query_logs;
mod send_logs;
pub use authenticate::{authenticate, authenticate_token, linked_user, LogUser};
pub use issue_token::issue_token;
pub use query_logs::{query_logs, QueryLogs, Reader};
pub use send_logs::{send_logs, SendBatch};

// By concern: what clients send and get back, what is stored, packing (pure), stores, and what
// they fail with.
mod deps;
mod error;
mod input;
mod level;
mod limits;
mod log_store;
mod output;
mod pack;
mod page_token;
mod planned_write;
mod records;
mod store;
mod tokens;
mod usage;
mod user_name;

// Stores, one per aggregate: the port a use case takes, its DynamoDB adapter and its in-memory
// one (for unit tests, here and in other crates); the bundles of them (a function's `Deps`
// holds the DynamoDB one).
pub use deps::IngestDeps;
pub use log_store::LogStore;
pub use store::lines::{LogLineStore, LogLines};
pub use store::memory::{MemoryLogLines, MemoryLogUsageCounts, MemoryLogUsers, MemoryLogs};
pub use store::usage::{LogUsageCounts, LogUsageStore};
pub use store::users::{LogUserStore, LogUsers};

// Types: what clients send and get back, and what the bench measures.
pub use input::{Batch, LogLine, SendLogs};
pub use level::Level;
pub use output::{IssuedToken, LogOut, LogPage, LogQuery};
pub use pack::pack;
pub use records::ChunkRecord;
pub use tokens::x_user_token;
pub use usage::{DayUsage, Usage};
pub use user_name::UserName;

// Errors.
pub use error::LogError;

// Limits.
pub use limits::{MAX_BODY_BYTES, MAX_PAGE, RECENT_MAX_PAGES};

#[cfg(test)]
mod tests;
