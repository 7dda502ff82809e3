//! [`MemoryApps`]: the app items in memory, with the `tenant-apps` index's order and page
//! tokens.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::types::AttributeValue;
use lookout_core::{ddb, quota, time::Timestamp, BoxFuture};

use crate::error::HeartbeatError;
use crate::input::{AppId, AppState, HeartbeatIn};
use crate::output::AppView;
use crate::record::{app_pk, AppRecord};
use crate::store::apps::{AppPage, Apps, FastBeat, TOKEN_KEYS};
use crate::store::memory::{unavailable, version_holds, Shared};
use crate::store::Put;

/// A concurrent writer, as a test plays it: changes the stored item just before a put.
pub(crate) type Interference = Arc<dyn Fn(&mut AppRecord) + Send + Sync>;

/// The app items in memory (see [`crate::store::memory`]). Clones share the items.
#[derive(Clone)]
pub struct MemoryApps {
    table: Shared,
    max_apps: u32,
    failing: Arc<AtomicBool>,
    interference: Arc<Mutex<Option<Interference>>>,
}

impl std::fmt::Debug for MemoryApps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryApps")
            .field("apps", &self.table.lock().apps.len())
            .field("max_apps", &self.max_apps)
            .field("failing", &self.failing.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

impl Default for MemoryApps {
    fn default() -> Self {
        Self::over(Shared::default())
    }
}

impl MemoryApps {
    pub(crate) fn over(table: Shared) -> Self {
        Self {
            table,
            max_apps: quota::DEFAULT_APPS_PER_TENANT,
            failing: Arc::default(),
            interference: Arc::default(),
        }
    }

    /// The same items with another per-tenant app quota (`u32::MAX`: unlimited, not counted).
    pub fn with_max_apps(mut self, max_apps: u32) -> Self {
        self.max_apps = max_apps;
        self
    }

    /// While on, every call fails as DynamoDB does in an outage.
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// One app as the admin sees it; `None` if it never beat nor was registered.
    pub fn app_view(&self, tenant: &str, app_id: &AppId) -> Option<AppView> {
        self.record(&app_pk(tenant, app_id.as_str()))
            .map(|r| r.view())
    }

    /// How many app items there are, of every tenant.
    pub fn len(&self) -> usize {
        self.table.lock().apps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The item `pk` as stored.
    pub(crate) fn record(&self, pk: &str) -> Option<AppRecord> {
        self.table.lock().apps.get(pk).cloned()
    }

    /// Stores `rec` as it is (a test's arrangement).
    #[cfg(test)]
    pub(crate) fn insert(&self, rec: AppRecord) {
        self.table.lock().apps.insert(rec.pk.clone(), rec);
    }

    /// Runs `writer` on the stored item before every conditional put (`None`: no more).
    #[cfg(test)]
    pub(crate) fn interfere(&self, writer: Option<Interference>) {
        *self.interference.lock().unwrap_or_else(|e| e.into_inner()) = writer;
    }

    fn check(&self) -> Result<(), HeartbeatError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(unavailable("apps"));
        }
        Ok(())
    }

    fn put(
        &self,
        rec: &AppRecord,
        expected: Option<u64>,
    ) -> Result<Put<AppRecord>, HeartbeatError> {
        self.check()?;
        let writer = self
            .interference
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut table = self.table.lock();
        if let (Some(writer), Some(stored)) = (writer, table.apps.get_mut(&rec.pk)) {
            writer(stored);
        }
        let current = table.apps.get(&rec.pk);
        if !version_holds(expected, current) {
            return Ok(Put::Conflict(current.cloned().map(Box::new)));
        }
        table.apps.insert(rec.pk.clone(), rec.clone());
        Ok(Put::Written)
    }

    /// The UpdateItem of [`AppStore`](crate::AppStore)'s fast path: its condition, then its
    /// `SET`s.
    fn beat_up(
        &self,
        pk: &str,
        beat: &HeartbeatIn,
        now: Timestamp,
    ) -> Result<FastBeat, HeartbeatError> {
        self.check()?;
        let mut table = self.table.lock();
        let Some(rec) = table.apps.get_mut(pk) else {
            return Ok(FastBeat::NotApplicable(None));
        };
        let applies = rec.state == AppState::Up
            && rec.outbox.is_none()
            && rec.cron.is_none()
            && rec.open_runs.is_empty()
            && rec.snoozed_until.is_none()
            && rec.hold_until.is_none();
        if !applies {
            return Ok(FastBeat::NotApplicable(Some(Box::new(rec.clone()))));
        }
        crate::store::apps::beaten(rec, now, beat.message.as_ref().map(|m| m.0.as_str()));
        Ok(FastBeat::Done {
            deadline: rec.deadline,
        })
    }

    fn page(
        &self,
        tenant: &str,
        limit: usize,
        next_token: Option<&str>,
    ) -> Result<AppPage, HeartbeatError> {
        self.check()?;
        let start = next_token
            .map(|t| ddb::decode_page_token(t, &TOKEN_KEYS, ("tenant", tenant), "next_token"))
            .transpose()?;
        let after = match start.as_ref().and_then(|k| k.get("appId")) {
            Some(AttributeValue::S(id)) => Some(id.clone()),
            _ => None,
        };
        let table = self.table.lock();
        let mut mine: Vec<&AppRecord> = table
            .apps
            .values()
            .filter(|r| r.tenant == tenant)
            .filter(|r| after.as_ref().is_none_or(|a| r.app_id > *a))
            .collect();
        mine.sort_by(|a, b| a.app_id.cmp(&b.app_id));
        let more = mine.len() > limit;
        let page: Vec<AppRecord> = mine.into_iter().take(limit).cloned().collect();
        let next = page.last().filter(|_| more).map(|last| {
            let key: HashMap<String, AttributeValue> = [
                ("pk", &last.pk),
                ("tenant", &last.tenant),
                ("appId", &last.app_id),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), AttributeValue::S(v.clone())))
            .collect();
            ddb::encode_page_token(&key, &TOKEN_KEYS)
        });
        Ok((page, next))
    }
}

impl Apps for MemoryApps {
    fn max_apps(&self) -> u32 {
        self.max_apps
    }

    fn get<'a>(&'a self, pk: &'a str) -> BoxFuture<'a, Result<Option<AppRecord>, HeartbeatError>> {
        Box::pin(std::future::ready(self.check().map(|()| self.record(pk))))
    }

    fn put_if<'a>(
        &'a self,
        rec: &'a AppRecord,
        expected: Option<u64>,
    ) -> BoxFuture<'a, Result<Put<AppRecord>, HeartbeatError>> {
        Box::pin(std::future::ready(self.put(rec, expected)))
    }

    fn fast_beat<'a>(
        &'a self,
        pk: &'a str,
        beat: &'a HeartbeatIn,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<FastBeat, HeartbeatError>> {
        Box::pin(std::future::ready(self.beat_up(pk, beat, now)))
    }

    fn count_apps<'a>(
        &'a self,
        tenant: &'a str,
        _at_most: u64,
    ) -> BoxFuture<'a, Result<u64, HeartbeatError>> {
        let count = self.check().map(|()| {
            let table = self.table.lock();
            let n = table.apps.values().filter(|r| r.tenant == tenant).count();
            u64::try_from(n).unwrap_or(u64::MAX)
        });
        Box::pin(std::future::ready(count))
    }

    fn tenant_page<'a>(
        &'a self,
        tenant: &'a str,
        limit: usize,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<AppPage, HeartbeatError>> {
        Box::pin(std::future::ready(self.page(tenant, limit, next_token)))
    }
}
