//! The heartbeat table (`HEARTBEAT_TABLE`) as the functions hold it: one store per aggregate,
//! built once per cold start over one client. A use case takes the stores it reaches
//! (`update_app(&deps.store.apps, …)`, or [`ScanPorts`] from [`HeartbeatStore::scan_ports`]).
//!
//! Other domains' functions, the bench and the fixtures of other test areas call the heartbeat
//! domain through the methods below, each one step into a store or a use case.

use aws_sdk_dynamodb::Client;
use lookout_core::{config, time::Timestamp};

use crate::beat::record_beat;
use crate::budget::{spend_alert, Spend};
use crate::error::HeartbeatError;
use crate::events::Notify;
use crate::input::{AdminAppIn, AppId, HeartbeatIn};
use crate::output::{AppView, HeartbeatReply, ScanReport};
use crate::overview::Attention;
use crate::ports::ScanPorts;
use crate::scan::scan;
use crate::store::apps::AppStore;
use crate::store::budgets::BudgetStore;
use crate::store::due::DueIndex;
use crate::store::ingestion::IngestionStore;
use crate::store::pings::PingStore;
use crate::store::watch::{WatchIndex, Watchlist};
use crate::update_app::update_app;
use lookout_core::auth::Tenant;

/// The heartbeat table's stores.
#[derive(Debug, Clone)]
pub struct HeartbeatStore {
    pub apps: AppStore,
    pub due: DueIndex,
    pub watch: WatchIndex,
    pub ingestion: IngestionStore,
    pub budgets: BudgetStore,
    pub pings: PingStore,
}

impl HeartbeatStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        let table = table.into();
        Self {
            apps: AppStore::new(client.clone(), table.clone()),
            due: DueIndex::new(client.clone(), table.clone()),
            watch: WatchIndex::new(client.clone(), table.clone()),
            ingestion: IngestionStore::new(client.clone(), table.clone()),
            pings: PingStore::new(client.clone(), table.clone()),
            budgets: BudgetStore::new(client, table),
        }
    }

    /// `HEARTBEAT_TABLE`; which app a check UUID names trusted for
    /// [`PING_TARGET_SECONDS`](crate::limits::PING_TARGET_SECONDS), and the apps a write path
    /// wrote or read kept for its next write ([`get_for_write`](crate::Apps::get_for_write))
    /// for [`WRITE_MEMO_SECONDS`](crate::limits::WRITE_MEMO_SECONDS): neither is a credential,
    /// and neither decides a write alone; a `CREDENTIAL_CACHE_SECONDS` of 0 turns them off with
    /// the credentials' cache. `HEARTBEAT_INDEX_SHARDS` and `HEARTBEAT_DUE_INDEX` checked (a
    /// function refuses to start on a value out of range).
    pub fn from_env(client: Client) -> Result<Self, config::ConfigError> {
        use crate::limits::{PING_TARGET_SECONDS, WRITE_MEMO_SECONDS};
        crate::limits::check_index_shards()?;
        let mut store = Self::new(client, config::required(config::names::HEARTBEAT_TABLE)?);
        if !lookout_core::trust::credential_cache_ttl()?.is_zero() {
            store.pings = store
                .pings
                .with_cache(std::time::Duration::from_secs(PING_TARGET_SECONDS));
            store.apps = store
                .apps
                .with_memo(std::time::Duration::from_secs(WRITE_MEMO_SECONDS));
        }
        store.due = store.due.index_from_env()?;
        Ok(store)
    }

    /// The same stores with another per-tenant app quota (`u32::MAX`: unlimited, not counted).
    pub fn with_max_apps(mut self, max_apps: u32) -> Self {
        self.apps = self.apps.with_max_apps(max_apps);
        self
    }

    /// The same stores with another alert budget per scope (a tenant, an incident app) and hour.
    pub fn with_alert_budget(mut self, per_hour: u32) -> Self {
        self.budgets = self.budgets.with_alert_budget(per_hour);
        self
    }

    pub fn table(&self) -> &str {
        self.apps.table()
    }

    /// What a scanner run reaches, announcing to `notify`.
    pub fn scan_ports<'a>(&'a self, notify: Notify<'a>) -> ScanPorts<'a> {
        ScanPorts {
            apps: &self.apps,
            due: &self.due,
            ingestion: &self.ingestion,
            budgets: &self.budgets,
            notify,
        }
    }

    /// Records a heartbeat without announcing a recovery (fixtures): its mail stays in the
    /// app's outbox, and the scanner sends it after the lease.
    pub async fn heartbeat(
        &self,
        tenant: &Tenant,
        beat: &HeartbeatIn,
        now: Timestamp,
    ) -> Result<HeartbeatReply, HeartbeatError> {
        Ok(record_beat(&self.apps, tenant, beat, now).await?.reply)
    }

    /// [`update_app`]: registers an app or changes its settings and state.
    pub async fn admin_update(
        &self,
        input: &AdminAppIn,
        now: Timestamp,
    ) -> Result<(AppView, bool), HeartbeatError> {
        update_app(&self.apps, input, now).await
    }

    /// [`scan`]: one scanner run at `now`.
    pub async fn scan(&self, to: Notify<'_>, now: Timestamp) -> ScanReport {
        scan(&self.scan_ports(to), now).await
    }

    /// One app's current state as the admin sees it; `None` if it never beat nor was registered.
    pub async fn app_view(
        &self,
        tenant: &str,
        app_id: &AppId,
    ) -> Result<Option<AppView>, HeartbeatError> {
        self.apps.app_view(tenant, app_id).await
    }

    /// Counts one alert of `scope` (an incident app's) at `now`; past the budget it is folded
    /// into the hour's digest under `line`, which the scanner sends when the hour is over.
    pub async fn spend_alert(
        &self,
        scope: &str,
        line: &str,
        now: Timestamp,
    ) -> Result<Spend, HeartbeatError> {
        spend_alert(&self.budgets, scope, line, now).await
    }

    /// Apps late or down at `now` (the console overview).
    pub async fn attention(&self, now: Timestamp) -> Result<Attention, HeartbeatError> {
        self.watch.attention(now).await
    }
}
