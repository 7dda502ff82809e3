//! The heartbeat rules in numbers: settings' ranges and defaults, the scanner's bounds, the mail
//! lease.

/// Defaults of a new app: the seed's one minute, plus one minute of grace.
pub(crate) const DEFAULT_PERIOD_SECONDS: u32 = 60;
pub(crate) const DEFAULT_GRACE_SECONDS: u32 = 60;
pub(crate) const MIN_PERIOD_SECONDS: u32 = 10;
pub(crate) const MAX_PERIOD_SECONDS: u32 = 7 * 86_400;
pub(crate) const MAX_GRACE_SECONDS: u32 = 86_400;
/// Longest heartbeat message kept.
pub(crate) const MAX_MESSAGE_CHARS: usize = 1024;
/// Longest string app id.
pub(crate) const MAX_APP_ID_CHARS: usize = 128;
/// Partitions (shard keys `DUE#0`…) of the `due` and `watch` indexes unless
/// `HEARTBEAT_INDEX_SHARDS` (template parameter `HeartbeatIndexShards`) says: each index key
/// value takes at most 1,000 write units a second, so the count bounds the beats a second the
/// indexes take (docs/capacity.md). Raise only: an item keeps its shard until it is written
/// again, and the scanner reads the shards below the count.
pub const DEFAULT_INDEX_SHARDS: u32 = 8;
/// The largest shard count the parameter allows.
pub const MAX_INDEX_SHARDS: u32 = 64;

/// This process's shard count: `HEARTBEAT_INDEX_SHARDS` read once (1..=64, default 8; a value
/// out of range is refused at start by [`check_index_shards`], which every heartbeat
/// `Deps::from_env` runs).
pub fn index_shards() -> u32 {
    static SHARDS: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *SHARDS.get_or_init(|| check_index_shards().unwrap_or(DEFAULT_INDEX_SHARDS))
}

/// `HEARTBEAT_INDEX_SHARDS`, checked.
pub fn check_index_shards() -> Result<u32, lookout_core::config::ConfigError> {
    lookout_core::config::int_in(
        lookout_core::config::names::HEARTBEAT_INDEX_SHARDS,
        1..=MAX_INDEX_SHARDS,
        DEFAULT_INDEX_SHARDS,
    )
}
/// How long a writer owns an unsent mail before the scanner may send it again. Must exceed
/// the longest time between the write and the send (a function's timeout: 10 s / 60 s).
pub const MAIL_LEASE_MS: i64 = 120_000;
/// Sends of one mail before it is given up (and logged).
pub(crate) const MAX_MAIL_ATTEMPTS: u32 = 10;
/// Due apps one scanner run handles at most; the rest stay due for the next run.
pub(crate) const MAX_DUE_PER_RUN: usize = 500;
/// Retired apps are deleted (TTL) this long after retirement.
pub(crate) const RETIRED_RETENTION_DAYS: i64 = 90;
/// Largest page of the admin listing.
pub(crate) const MAX_PAGE: usize = 100;
/// Optimistic-concurrency retries of one operation.
pub(crate) const MAX_CAS_ATTEMPTS: usize = 8;
/// Finished runs kept per app (newest last); also the largest tolerance window.
pub(crate) const MAX_RUNS: usize = 20;
/// Started, unfinished runs kept per app; a start beyond this drops the oldest.
pub const MAX_OPEN_RUNS: usize = 10;
/// Longest run id.
pub(crate) const MAX_RUN_ID_CHARS: usize = 64;
/// Furthest a snooze may reach.
pub(crate) const MAX_SNOOZE_DAYS: i64 = 30;
/// Pings one check takes per minute through the Healthchecks ping URLs (`/ping/…`); beyond
/// it a slug ping is answered 429 and a UUID ping 200 (as Healthchecks.io does), and neither
/// is recorded: a runaway loop cannot spend a tenant's budget.
pub const PINGS_PER_MINUTE: u32 = 30;
/// Bytes of a ping's request body kept as the run's output (Healthchecks.io's 100 KB).
pub const PING_BODY_LIMIT: usize = 100_000;
/// Ping bodies (outputs) referenced by one app, newest last; the items expire after
/// [`PING_OUTPUT_DAYS`].
pub(crate) const MAX_PING_OUTPUTS: usize = 20;
pub(crate) const PING_OUTPUT_DAYS: i64 = 30;
/// How long a warm process keeps the app items its write paths wrote or read, to derive its
/// next write of the same app from (a ping, a signal: one round trip instead of a read and a
/// write). Correctness does not rest on it (every write is conditioned on the version it was
/// derived from, and a failed condition answers the item as it is now), so it spans a job's
/// hourly pings rather than a credential's bound: the life of a warm Lambda environment.
pub(crate) const WRITE_MEMO_SECONDS: u64 = 2 * 3_600;
/// How long a warm process trusts which app a check UUID names. `pingId` is given once and
/// never changes, and a ping only records on an app that still has the UUID its URL names,
/// so the bound only caps what is kept.
pub(crate) const PING_TARGET_SECONDS: u64 = 24 * 3_600;
/// Healthchecks' auto-provisioning defaults (`?create=1`): a period of a day, an hour of grace.
pub(crate) const CREATED_PERIOD_SECONDS: u32 = 86_400;
pub(crate) const CREATED_GRACE_SECONDS: u32 = 3_600;
