//! What the use case tests share: the incidents table in memory, the other domains' context,
//! the alert budget, the admin's mail and chat, a manual clock; and builders of the inputs.

use std::sync::Mutex;

use serde_json::{json, Value};

use lookout_core::{
    time::{ManualClock, Timestamp},
    BoxFuture,
};
use lookout_mail::MemoryMail;

use crate::apps::register_app;
use crate::error::IncidentError;
use crate::grouping::group_pk;
use crate::input::{AppIn, IncidentLevel, NewIncident};
use crate::ports::{AdminChat, AlertBudget, AppContext, PortError, Spend};
use crate::records::{Group, Reported};
use crate::report::{report, ReportPorts};
use crate::store::groups::Groups;
use crate::store::memory::table::MemoryIncidentStore;

pub(super) fn at(text: &str) -> Timestamp {
    Timestamp::parse_str(text).unwrap()
}

/// An app to register or change, as the admin sends it.
pub(super) fn app_in(body: Value) -> AppIn {
    serde_json::from_value(body).unwrap()
}

/// A report as the seed sends it.
pub(super) fn new_incident(app: &str, code: &str, title: &str, level: &str) -> NewIncident {
    serde_json::from_value(json!({
        "incident": {"title": title, "message": "it broke", "level": level, "logs": ["l1", "l2"]},
        "app_name": app, "code": code
    }))
    .unwrap()
}

/// The other domains as a new incident's context: what it answers, and who asked.
#[derive(Debug, Default)]
pub(super) struct FakeContext {
    pub(super) logs: Vec<Value>,
    pub(super) heartbeat: Option<Value>,
    pub(super) failing: bool,
    /// `logs <user> <process> <lines>` and `heartbeat <tenant> <app>`, in order.
    pub(super) asked: Mutex<Vec<String>>,
}

impl AppContext for FakeContext {
    fn recent_logs<'a>(
        &'a self,
        user: &'a str,
        process: Option<&'a str>,
        lines: usize,
    ) -> BoxFuture<'a, Result<Vec<Value>, PortError>> {
        Box::pin(async move {
            let asked = format!("logs {user} {} {lines}", process.unwrap_or("-"));
            self.asked.lock().unwrap().push(asked);
            if self.failing {
                return Err("the logs table is down".into());
            }
            Ok(self.logs.clone())
        })
    }

    fn heartbeat<'a>(
        &'a self,
        tenant: &'a str,
        app_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Value>, PortError>> {
        Box::pin(async move {
            self.asked
                .lock()
                .unwrap()
                .push(format!("heartbeat {tenant} {app_id}"));
            if self.failing {
                return Err("the heartbeat table is down".into());
            }
            Ok(self.heartbeat.clone())
        })
    }
}

/// An alert budget that allows everything, or folds everything; keeps what was spent.
#[derive(Debug, Default)]
pub(super) struct FakeBudget {
    pub(super) used_up: bool,
    /// `(app, line)` of each alert spent.
    pub(super) spent: Mutex<Vec<(String, String)>>,
}

impl AlertBudget for FakeBudget {
    fn spend<'a>(
        &'a self,
        app: &'a str,
        line: &'a str,
        _now: Timestamp,
    ) -> BoxFuture<'a, Result<Spend, PortError>> {
        Box::pin(async move {
            let spent = (app.to_owned(), line.to_owned());
            self.spent.lock().unwrap().push(spent);
            Ok(if self.used_up {
                Spend::Folded
            } else {
                Spend::Allowed
            })
        })
    }
}

/// The admin's chat: keeps what is sent.
#[derive(Debug, Default)]
pub(super) struct FakeChat {
    pub(super) sent: Mutex<Vec<String>>,
}

impl AdminChat for FakeChat {
    fn send<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<(), PortError>> {
        Box::pin(async move {
            self.sent.lock().unwrap().push(text.to_owned());
            Ok(())
        })
    }
}

/// Everything reporting uses, in memory.
#[derive(Debug)]
pub(super) struct World {
    pub(super) store: MemoryIncidentStore,
    pub(super) context: FakeContext,
    pub(super) budget: FakeBudget,
    pub(super) mail: MemoryMail,
    pub(super) chat: FakeChat,
    pub(super) clock: ManualClock,
}

impl Default for World {
    fn default() -> Self {
        Self {
            store: MemoryIncidentStore::default(),
            context: FakeContext::default(),
            budget: FakeBudget::default(),
            mail: MemoryMail::default(),
            chat: FakeChat::default(),
            clock: ManualClock::new(at("2030-01-01T10:00:00Z")),
        }
    }
}

impl World {
    pub(super) fn ports(&self) -> ReportPorts<'_> {
        ReportPorts {
            alerts: None,
            store: &self.store,
            context: &self.context,
            budget: &self.budget,
            mail: Some(&self.mail),
            chat: Some(&self.chat),
            clock: &self.clock,
        }
    }

    /// Registers app `name` (no links) and returns its code.
    pub(super) async fn register(&self, name: &str) -> String {
        register_app(&self.store.apps, app_in(json!({ "name": name })))
            .await
            .unwrap()
            .code
            .unwrap()
    }

    /// Reports `title` at `level` for app `app` with its code `code`, at the clock's time.
    pub(super) async fn report(
        &self,
        app: &str,
        code: &str,
        title: &str,
        level: &str,
    ) -> Result<Reported, IncidentError> {
        report(&self.ports(), new_incident(app, code, title, level), None).await
    }

    /// The group of `app`'s incidents titled `title` at `level`.
    pub(super) async fn group(&self, app: &str, title: &str, level: IncidentLevel) -> Group {
        self.store
            .groups
            .get(&group_pk(app, title, level))
            .await
            .unwrap()
            .unwrap_or_default()
    }
}
