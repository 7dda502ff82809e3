//! [`TrackerStore`]: the tracker's stores, one per aggregate (`store/`), in the bundle that the
//! tracker functions' [`crate::Deps`] holds.

use aws_sdk_dynamodb::Client;
use lookout_core::{auth::Tenant, config};

use crate::add_events::add_events;
use crate::error::TrackerError;
use crate::input::{AddEvents, StartSession};
use crate::quota::TrackerQuota;
use crate::start_session::start_session;
use crate::store::events::EventStore;
use crate::store::quota_counters::QuotaCounterStore;
use crate::store::sessions::SessionStore;

/// Every store of the tracker, all in `TRACKER_TABLE`: sessions, their events, and the
/// tenants' daily quota counters.
#[derive(Debug, Clone)]
pub struct TrackerStore {
    pub sessions: SessionStore,
    pub events: EventStore,
    pub counters: QuotaCounterStore,
}

impl TrackerStore {
    /// Items expire `retention_days` after they were written (kept for good when `None`).
    pub fn new(client: Client, table: impl Into<String>, retention_days: Option<i64>) -> Self {
        let table = table.into();
        Self {
            sessions: SessionStore::new(client.clone(), table.clone(), retention_days),
            events: EventStore::new(client.clone(), table.clone()),
            counters: QuotaCounterStore::new(client, table),
        }
    }

    /// The same stores with another daily quota.
    pub fn with_quota(mut self, quota: TrackerQuota) -> Self {
        self.counters = self.counters.with_quota(quota);
        self
    }

    /// `TRACKER_TABLE`, and optional `TRACKER_RETENTION_DAYS` (items expire via TTL).
    pub fn from_env(client: Client) -> Result<Self, config::ConfigError> {
        let retention = match config::optional(config::names::TRACKER_RETENTION_DAYS) {
            None => None,
            Some(_) => Some(config::retention_days(
                config::names::TRACKER_RETENTION_DAYS,
                0,
            )?),
        };
        Ok(Self::new(
            client,
            config::required(config::names::TRACKER_TABLE)?,
            retention,
        ))
    }

    // Shortcuts for callers outside the tracker functions (the bench), each one call to the
    // use case it names.

    /// [`start_session`] on [`Self::sessions`].
    pub async fn start_session(
        &self,
        tenant: &Tenant,
        input: StartSession,
    ) -> Result<String, TrackerError> {
        start_session(&self.sessions, tenant, input).await
    }

    /// [`add_events`] on these stores.
    pub async fn add_events(
        &self,
        tenant: &Tenant,
        input: AddEvents,
    ) -> Result<usize, TrackerError> {
        add_events(&self.sessions, &self.events, &self.counters, tenant, input).await
    }
}
