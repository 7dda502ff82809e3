//! Heartbeats and silent apps (seed 002): the use cases ([`beat`], [`signal`], [`ping`], [`scan`],
//! [`update_app`], [`list_apps`], [`badge`]), the app's pure state machine, and the heartbeat
//! table's stores, one per aggregate ([`HeartbeatStore`] holds them): each a port (a trait: [`Apps`],
//! [`DueItems`], [`Watchlist`], [`IngestionRecords`], [`Budgets`]) with a DynamoDB adapter and an
//! in-memory one ([`MemoryHeartbeatStore`] holds those). A function parses its request, calls one
//! use case with the stores it reaches, and maps the result.
//!
//! One item per app in `HEARTBEAT_TABLE` (key `pk` = `APP#<tenant>#<appId>`), three GSIs:
//!
//! | index         | partition key         | sort key          | projection | holds                     |
//! |---------------|-----------------------|-------------------|------------|---------------------------|
//! | `due`         | `dueShard` (`DUE#0-7`) | `dueAt` (epoch ms) | ALL        | only apps the scanner must look at |
//! | `tenant-apps` | `tenant`              | `appId`           | KEYS_ONLY  | every app (admin listing) |
//! | `watch`       | `watchShard` (`DUE#0-7`) | `watchAt` (epoch ms) | INCLUDE | late and down apps (overview) |
//! | `ping`        | `pingId` (check UUID) | —                 | INCLUDE (`tenant`, `appId`) | every app with a ping URL |
//!
//! Beside the apps, the table holds the alert budgets (`BUDGET#…`, on the `due` index once
//! something is folded), the scanner's ingestion items (`SCANNER#…`) and the ping bodies kept
//! as outputs (`OUTPUT#…`): one store each. `pingId` never changes once given, so the `ping`
//! index is written once per app, not per beat.
//!
//! `due` is sparse: `dueAt` is set only while there is something to do at that time, i.e. an
//! `up` app's deadline (last beat + period + grace) or the retry time of an unsent mail. The
//! scanner queries `dueAt <= now` in each shard, so it reads only apps that are due, never the
//! healthy ones (whose `dueAt` lies in the future) and never `down`/`paused`/`retired` ones
//! (which are not in the index at all).
//!
//! Every write bumps `version`; every write except the heartbeat fast path is a whole-item put
//! conditioned on the version it read (optimistic concurrency, re-decided on conflict from the
//! current item that DynamoDB returns with the failed condition). A state transition that
//! needs a mail stores it in the item (`outbox`, with a sequence number) in the same write,
//! together with a lease (`leaseUntil`): the writer sends it, then clears the outbox. If the
//! sender dies before clearing it, the item is due again when the lease ends and the scanner
//! resends. See docs/heartbeats.md for why this gives one mail per transition.

// Use cases, one per file: each reads top to bottom (what it checks, stores, announces).
mod beat;
mod check_in;
mod list_apps;
mod ping;
mod scan;
mod signal;
mod update_app;
// Their steps: announcing transitions (one by one, as a digest, within the alert budgets),
// telling mass silence from outages, the per-tenant app quota.
mod announce;
mod budget;
mod digest;
mod ingestion;
mod quota;
// What they reach: the stores of the heartbeat table (one per aggregate), the queues, the
// functions' dependencies.
mod deps;
mod events;
mod ports;
mod store;
mod table;
// Values: what clients send and get back, the app record and its pure state machine, runs,
// schedules, badges; the rules in numbers; what it all fails with.
mod badge;
mod badge_key;
mod error;
mod input;
mod limits;
mod mail;
mod output;
mod overview;
mod packed;
mod record;
mod runs;
mod state;
mod time;

// Use cases.
pub use badge::badge;
pub use beat::{beat, BeatCommand};
pub use check_in::{check_in, CheckInCommand, Expected, MonitorSettings};
pub use list_apps::list_apps;
pub use ping::{ping, ping_output, PingCommand, PingKind, PingOutcome};
pub use scan::scan;
pub use signal::{signal, SignalCommand};
pub use update_app::update_app;

// Alert budgets of other domains (an incident app's alerts count in the heartbeat table).
pub use budget::{incident_app_scope, Spend};

// Dependencies, ports and stores.
pub use deps::ApiDeps;
pub use events::{Notify, SqsTransitions, TransitionSink};
pub use ports::{ApiPorts, ScanPorts};
pub use store::apps::{AppStore, Apps};
pub use store::budgets::{BudgetStore, Budgets};
pub use store::due::{DueIndex, DueItems};
pub use store::ingestion::{IngestionRecords, IngestionStore, WATCHED_PK};
pub use store::pings::{PingOutput, PingStore, PingTarget, Pings};
pub use store::watch::{WatchIndex, Watchlist};
pub use table::HeartbeatStore;

// In-memory adapters of the store ports (unit tests, here and in other crates).
pub use store::memory::{
    MemoryApps, MemoryBudgets, MemoryDue, MemoryHeartbeatStore, MemoryIngestion, MemoryPings,
    MemoryWatch,
};

// Types: inputs, replies, badges.
pub use badge::Badge;
pub use badge_key::{BadgeKey, LazyBadgeKey};
pub use input::{AdminAppIn, AppId, HeartbeatIn, ListQuery, SignalIn, SignalKind, BEAT_BODY_LIMIT};
pub use output::{AppList, AppView, HeartbeatReply, ScanReport, SignalReply};
pub use overview::Attention;
pub use record::OutputRef;

// Limits.
pub use limits::{
    check_index_shards, index_shards, DEFAULT_INDEX_SHARDS, MAIL_LEASE_MS, MAX_INDEX_SHARDS,
    MAX_OPEN_RUNS, PINGS_PER_MINUTE, PING_BODY_LIMIT,
};

// Errors.
pub use error::HeartbeatError;

#[cfg(test)]
mod tests;
