//! Heartbeats and silent apps (seed 002): API types, the state machine and DynamoDB storage.
//!
//! One item per app in `HEARTBEAT_TABLE` (key `pk` = `APP#<tenant>#<appId>`), two GSIs:
//!
//! | index         | partition key         | sort key          | projection | holds                     |
//! |---------------|-----------------------|-------------------|------------|---------------------------|
//! | `due`         | `dueShard` (`DUE#0-7`) | `dueAt` (epoch ms) | ALL        | only apps the scanner must look at |
//! | `tenant-apps` | `tenant`              | `appId`           | KEYS_ONLY  | every app (admin listing) |
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

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::{
    operation::{put_item::PutItemError, update_item::UpdateItemError},
    types::{
        AttributeValue, ReturnConsumedCapacity, ReturnValue, ReturnValuesOnConditionCheckFailure,
    },
    Client,
};
use chrono::DateTime;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use lookout_core::{auth::Tenant, config, quota::QuotaExceeded, time::Timestamp, StoreError};
use lookout_mail::AdminMailer;

// By concern: input, output, the record and its transitions (pure), the store, and what they
// fail with (mapped to HTTP once, in `error`).
mod badge;
mod budget;
mod digest;
mod error;
mod events;
mod ingestion;
mod input;
mod output;
mod overview;
mod record;
mod runs;
mod schedule;
mod state;
mod store;
pub use badge::*;
use budget::*;
pub use budget::{incident_app_scope, tenant_scope, Spend, BUDGET_LINES};
pub use digest::*;
pub use error::HeartbeatError;
pub use events::*;
use ingestion::*;
pub use ingestion::{DEGRADED_MIN_APPS, HEALTH_PK, WATCHED_PK};
pub use input::*;
pub use output::*;
pub use overview::*;
pub use record::*;
pub use runs::*;
pub use schedule::*;
use state::*;
pub use store::*;

/// What the API-key routes (`POST /api/apps`, `POST /api/apps/{signal}`) need: the API keys,
/// the store, the admin mailer for transition mails, and the clock.
#[derive(Debug, Clone)]
pub struct ApiDeps {
    pub keys: lookout_core::auth::ApiKeys,
    pub store: HeartbeatStore,
    pub mail: lookout_mail::AdminMail,
    /// The app-events queue, when configured (`APP_EVENTS_QUEUE_URL`).
    pub events: Option<std::sync::Arc<dyn TransitionSink>>,
    pub clock: lookout_core::time::SharedClock,
}

impl ApiDeps {
    /// Where this function's transitions go.
    pub fn notify(&self) -> Notify<'_> {
        Notify {
            mail: &self.mail,
            events: self.events.as_deref(),
        }
    }
}

impl ApiDeps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = lookout_core::aws::sdk_config().await;
        let ddb = lookout_core::aws::dynamodb(&sdk);
        Ok(Self {
            keys: lookout_core::auth::ApiKeys::from_env(ddb.clone())?,
            store: {
                let quotas = lookout_core::quota::Quotas::from_env()?;
                HeartbeatStore::from_env(ddb)?
                    .with_max_apps(quotas.apps_per_tenant)
                    .with_alert_budget(quotas.alerts_per_hour)
            },
            mail: lookout_mail::AdminMail::from_env(&sdk)?,
            events: SqsTransitions::from_env(&sdk),
            clock: lookout_core::time::system_clock(),
        })
    }
}

/// Defaults of a new app: the seed's one minute, plus one minute of grace.
pub const DEFAULT_PERIOD_SECONDS: u32 = 60;
pub const DEFAULT_GRACE_SECONDS: u32 = 60;
pub const MIN_PERIOD_SECONDS: u32 = 10;
pub const MAX_PERIOD_SECONDS: u32 = 7 * 86_400;
pub const MAX_GRACE_SECONDS: u32 = 86_400;
/// Longest heartbeat message kept.
pub const MAX_MESSAGE_CHARS: usize = 1024;
/// Longest string app id.
pub const MAX_APP_ID_CHARS: usize = 128;
/// Partitions of the `due` index. Changing it strands items in old shards: keep it fixed.
pub const DUE_SHARDS: u32 = 8;
/// How long a writer owns an unsent mail before the scanner may send it again. Must exceed
/// the longest time between the write and the send (a function's timeout: 10 s / 60 s).
pub const MAIL_LEASE_MS: i64 = 120_000;
/// Sends of one mail before it is given up (and logged).
pub const MAX_MAIL_ATTEMPTS: u32 = 10;
/// Due apps one scanner run handles at most; the rest stay due for the next run.
pub const MAX_DUE_PER_RUN: usize = 500;
/// Retired apps are deleted (TTL) this long after retirement.
pub const RETIRED_RETENTION_DAYS: i64 = 90;
/// Largest page of the admin listing.
pub const MAX_PAGE: usize = 100;

const DUE_INDEX: &str = "due";
const TENANT_INDEX: &str = "tenant-apps";
const QUERY_PAGE: i32 = 100;
/// Optimistic-concurrency retries of one operation.
const MAX_CAS_ATTEMPTS: usize = 8;

// ---------------------------------------------------------------- clock

fn millis(t: Timestamp) -> i64 {
    t.datetime().timestamp_millis()
}

fn from_millis(ms: i64) -> Timestamp {
    DateTime::from_timestamp_millis(ms)
        .and_then(Timestamp::from_datetime)
        .unwrap_or_else(Timestamp::now)
}

#[cfg(test)]
mod tests;
