//! The [`AlertStore`] in memory, for the unit tests.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use lookout_core::events::TenantAlert;
use lookout_core::time::Timestamp;
use lookout_core::StoreError;

use super::{held_sk, AlertStore, HeldRecord, Res};
use crate::channel::{ChannelId, ChannelRecord};
use crate::delivery::{FailureRecord, StepRecord, StepStatus};
use crate::error::AlertError;
use crate::routes::Routes;

/// Everything in memory, for the unit tests: one map per kind of record.
#[derive(Debug, Clone, Default)]
pub struct MemoryAlerts {
    inner: Arc<Mutex<Maps>>,
}

#[derive(Debug, Default)]
struct Maps {
    channels: BTreeMap<(String, ChannelId), ChannelRecord>,
    routes: BTreeMap<String, Routes>,
    steps: BTreeMap<(String, u32), StepRecord>,
    failures: BTreeMap<(String, String), FailureRecord>,
    down: BTreeMap<(String, String), Timestamp>,
    held: BTreeMap<(String, String), HeldRecord>,
}

impl MemoryAlerts {
    fn with<T>(&self, f: impl FnOnce(&mut Maps) -> T) -> Result<T, AlertError> {
        let mut maps = self
            .inner
            .lock()
            .map_err(|_| StoreError::invariant("memory store poisoned"))?;
        Ok(f(&mut maps))
    }

    /// Every step stored, in key order (for assertions).
    pub fn steps(&self) -> Vec<StepRecord> {
        self.with(|m| m.steps.values().cloned().collect())
            .unwrap_or_default()
    }
}

impl AlertStore for MemoryAlerts {
    fn put_channel<'a>(&'a self, rec: &'a ChannelRecord) -> Res<'a, ()> {
        Box::pin(async move {
            self.with(|m| {
                m.channels
                    .insert((rec.tenant.clone(), rec.channel_id.clone()), rec.clone());
            })
        })
    }

    fn channel<'a>(&'a self, tenant: &'a str, id: &'a ChannelId) -> Res<'a, Option<ChannelRecord>> {
        Box::pin(
            async move { self.with(|m| m.channels.get(&(tenant.to_owned(), id.clone())).cloned()) },
        )
    }

    fn channels<'a>(&'a self, tenant: &'a str) -> Res<'a, Vec<ChannelRecord>> {
        Box::pin(async move {
            self.with(|m| {
                m.channels
                    .values()
                    .filter(|c| c.tenant == tenant)
                    .cloned()
                    .collect()
            })
        })
    }

    fn delete_channel<'a>(&'a self, tenant: &'a str, id: &'a ChannelId) -> Res<'a, bool> {
        Box::pin(async move {
            self.with(|m| {
                m.channels
                    .remove(&(tenant.to_owned(), id.clone()))
                    .is_some()
            })
        })
    }

    fn routes<'a>(&'a self, tenant: &'a str) -> Res<'a, Routes> {
        Box::pin(async move { self.with(|m| m.routes.get(tenant).cloned().unwrap_or_default()) })
    }

    fn put_routes<'a>(
        &'a self,
        tenant: &'a str,
        routes: &'a Routes,
        _now: Timestamp,
    ) -> Res<'a, ()> {
        Box::pin(async move {
            self.with(|m| {
                m.routes.insert(tenant.to_owned(), routes.clone());
            })
        })
    }

    fn step<'a>(
        &'a self,
        tenant: &'a str,
        alert_id: &'a str,
        step: u32,
    ) -> Res<'a, Option<StepRecord>> {
        Box::pin(async move {
            self.with(|m| {
                m.steps
                    .get(&(StepRecord::pk(tenant, alert_id), step))
                    .cloned()
            })
        })
    }

    fn create_step<'a>(&'a self, rec: &'a StepRecord) -> Res<'a, bool> {
        Box::pin(async move {
            self.with(|m| match m.steps.entry((rec.pk.clone(), rec.step)) {
                std::collections::btree_map::Entry::Occupied(_) => false,
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(rec.clone());
                    true
                }
            })
        })
    }

    fn replace_step<'a>(
        &'a self,
        rec: &'a StepRecord,
        status: StepStatus,
        attempts: u32,
    ) -> Res<'a, bool> {
        Box::pin(async move {
            self.with(|m| match m.steps.get_mut(&(rec.pk.clone(), rec.step)) {
                Some(cur) if cur.status == status && cur.attempts == attempts => {
                    *cur = rec.clone();
                    true
                }
                _ => false,
            })
        })
    }

    fn record_failure<'a>(&'a self, rec: &'a FailureRecord) -> Res<'a, ()> {
        Box::pin(async move {
            self.with(|m| {
                m.failures
                    .insert((rec.tenant.clone(), rec.sk.clone()), rec.clone());
            })
        })
    }

    fn failures<'a>(&'a self, tenant: &'a str, limit: usize) -> Res<'a, Vec<FailureRecord>> {
        Box::pin(async move {
            self.with(|m| {
                m.failures
                    .values()
                    .rev()
                    .filter(|f| f.tenant == tenant)
                    .take(limit)
                    .cloned()
                    .collect()
            })
        })
    }

    fn set_down<'a>(
        &'a self,
        tenant: &'a str,
        app: &'a str,
        down: Option<Timestamp>,
    ) -> Res<'a, ()> {
        Box::pin(async move {
            self.with(|m| {
                let key = (tenant.to_owned(), app.to_owned());
                match down {
                    Some(t) => {
                        m.down.insert(key, t);
                    }
                    None => {
                        m.down.remove(&key);
                    }
                }
            })
        })
    }

    fn is_down<'a>(&'a self, tenant: &'a str, app: &'a str) -> Res<'a, bool> {
        Box::pin(
            async move { self.with(|m| m.down.contains_key(&(tenant.to_owned(), app.to_owned()))) },
        )
    }

    fn hold<'a>(&'a self, parent: &'a str, child: &'a str, alert: &'a TenantAlert) -> Res<'a, ()> {
        Box::pin(async move {
            let rec = HeldRecord::new(parent, child, alert)?;
            self.with(|m| {
                m.held.insert((rec.pk.clone(), rec.sk.clone()), rec);
            })
        })
    }

    fn unhold<'a>(&'a self, tenant: &'a str, parent: &'a str, child: &'a str) -> Res<'a, bool> {
        Box::pin(async move {
            self.with(|m| {
                m.held
                    .remove(&(ChannelRecord::pk(tenant), held_sk(parent, child)))
                    .is_some()
            })
        })
    }

    fn held<'a>(&'a self, tenant: &'a str) -> Res<'a, Vec<HeldRecord>> {
        Box::pin(async move {
            let pk = ChannelRecord::pk(tenant);
            self.with(|m| m.held.values().filter(|h| h.pk == pk).cloned().collect())
        })
    }
}
