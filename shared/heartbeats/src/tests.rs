//! Unit tests: the pure parts ([`records`]), the in-memory stores' semantics ([`stores`]), and
//! every use case over the in-memory stores, a manual clock, the in-memory mailer and an
//! in-memory events queue ([`World`]), one file each; [`lifecycle`] follows one app through
//! beats and scans.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use lookout_core::auth::Tenant;
use lookout_core::events::{AdminAlert, AppTransition};
use lookout_core::time::{ManualClock, Timestamp};
use lookout_core::BoxFuture;
use lookout_mail::MemoryMail;
use serde_json::{json, Value};

use crate::beat::{beat, BeatCommand};
use crate::error::HeartbeatError;
use crate::events::{Notify, TransitionSink};
use crate::input::{AdminAppIn, HeartbeatIn, SignalIn, SignalKind};
use crate::output::{AppView, HeartbeatReply, ScanReport, SignalReply};
use crate::record::{app_pk, AppRecord};
use crate::scan::scan;
use crate::signal::{signal, SignalCommand};
use crate::store::memory::MemoryHeartbeatStore;
use crate::store::Put;
use crate::time::{from_millis, millis};
use crate::update_app::update_app;

mod badge;
mod beat;
mod check_in;
mod lifecycle;
mod list_apps;
mod ping;
mod records;
mod scan;
mod signal;
mod stores;
mod update_app;

pub(crate) const T0: &str = "2030-01-01T00:00:00Z";

pub(crate) fn ts(s: &str) -> Timestamp {
    Timestamp::parse_str(s).unwrap()
}

/// `T0 + ms`.
pub(crate) fn t0_plus(ms: i64) -> Timestamp {
    from_millis(millis(ts(T0)) + ms)
}

pub(crate) fn tenant(name: &str) -> Tenant {
    Tenant::parse(name).unwrap()
}

/// The app-events and messenger queues in memory: what was published, or a failure.
#[derive(Debug, Default)]
pub(crate) struct MemoryEvents {
    transitions: Mutex<Vec<AppTransition>>,
    alerts: Mutex<Vec<AdminAlert>>,
    failing: AtomicBool,
}

impl MemoryEvents {
    pub(crate) fn transitions(&self) -> Vec<AppTransition> {
        self.transitions.lock().unwrap().clone()
    }

    pub(crate) fn alerts(&self) -> Vec<AdminAlert> {
        self.alerts.lock().unwrap().clone()
    }

    pub(crate) fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    fn check(&self) -> Result<(), HeartbeatError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(HeartbeatError::Invalid(
                "the in-memory queue is failing".into(),
            ));
        }
        Ok(())
    }
}

impl TransitionSink for MemoryEvents {
    fn publish<'a>(
        &'a self,
        event: &'a AppTransition,
    ) -> BoxFuture<'a, Result<(), HeartbeatError>> {
        let done = self
            .check()
            .map(|()| self.transitions.lock().unwrap().push(event.clone()));
        Box::pin(std::future::ready(done))
    }

    fn alert<'a>(&'a self, alert: &'a AdminAlert) -> BoxFuture<'a, Result<(), HeartbeatError>> {
        let done = self
            .check()
            .map(|()| self.alerts.lock().unwrap().push(alert.clone()));
        Box::pin(std::future::ready(done))
    }
}

/// Everything a use case reaches, in memory, with the clock at [`T0`].
pub(crate) struct World {
    pub(crate) store: MemoryHeartbeatStore,
    pub(crate) mail: MemoryMail,
    pub(crate) events: MemoryEvents,
    pub(crate) clock: ManualClock,
}

impl World {
    pub(crate) fn new() -> Self {
        Self::over(MemoryHeartbeatStore::new())
    }

    pub(crate) fn over(store: MemoryHeartbeatStore) -> Self {
        Self {
            store,
            mail: MemoryMail::default(),
            events: MemoryEvents::default(),
            clock: ManualClock::new(ts(T0)),
        }
    }

    pub(crate) fn notify(&self) -> Notify<'_> {
        Notify {
            mail: &self.mail,
            events: Some(&self.events),
        }
    }

    /// Moves the clock to `T0 + ms`.
    pub(crate) fn at_ms(&self, ms: i64) {
        self.clock.set(t0_plus(ms));
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// A heartbeat of `tenant`'s `app_id` (a JSON id) with `message`.
    pub(crate) async fn beat_app(
        &self,
        tenant_name: &str,
        app_id: Value,
        message: &str,
    ) -> Result<HeartbeatReply, HeartbeatError> {
        let input: HeartbeatIn =
            serde_json::from_value(json!({"app_id": app_id, "message": message})).unwrap();
        let cmd = BeatCommand {
            tenant: tenant(tenant_name),
            input,
        };
        beat(&self.store.api_ports(self.notify(), &self.clock), cmd).await
    }

    /// A heartbeat of acme's app 7.
    pub(crate) async fn beat(&self, message: &str) -> HeartbeatReply {
        self.beat_app("acme", json!(7), message).await.unwrap()
    }

    /// A `kind` signal of acme with `body`.
    pub(crate) async fn signal(
        &self,
        kind: SignalKind,
        body: Value,
    ) -> Result<SignalReply, HeartbeatError> {
        let input: SignalIn = serde_json::from_value(body).unwrap();
        let cmd = SignalCommand {
            tenant: tenant("acme"),
            kind,
            input,
        };
        signal(&self.store.api_ports(self.notify(), &self.clock), cmd).await
    }

    /// An admin's change (`body` without the tenant: acme's).
    pub(crate) async fn admin(&self, mut body: Value) -> Result<(AppView, bool), HeartbeatError> {
        body["tenant"] = json!("acme");
        let input: AdminAppIn = serde_json::from_value(body).unwrap();
        update_app(&self.store.apps, &input, self.now()).await
    }

    /// One scanner run at the clock's now.
    pub(crate) async fn scan(&self) -> ScanReport {
        scan(&self.store.scan_ports(self.notify()), self.now()).await
    }

    /// `tenant`'s app `app_id` as stored.
    pub(crate) fn stored(&self, tenant_name: &str, app_id: &str) -> AppRecord {
        self.store
            .apps
            .record(&app_pk(tenant_name, app_id))
            .unwrap_or_else(|| panic!("{tenant_name}/{app_id} is not stored"))
    }

    /// acme's app 7 as stored.
    pub(crate) fn rec(&self) -> AppRecord {
        self.stored("acme", "7")
    }

    pub(crate) fn subjects(&self) -> Vec<String> {
        self.mail.sent().into_iter().map(|m| m.subject).collect()
    }
}

/// Whether a conditional put wrote.
pub(crate) fn written<T>(put: &Put<T>) -> bool {
    matches!(put, Put::Written)
}
