//! What reporting an incident needs beyond the incidents table, as ports: the app's context
//! in the other domains (its log lines, its heartbeat state), each incident app's hourly
//! alert budget, and the admin's chat. The report function adapts the logs and heartbeat
//! stores and the messenger to them; unit tests use in-memory ones. (The admin's mail is
//! `lookout_mail::AdminMailer`.)

use std::fmt::Debug;

use serde_json::Value;

use lookout_core::{time::Timestamp, BoxFuture};

/// Why a port could not answer (logged; never the reporter's fault).
pub type PortError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An app's context in the other domains, gathered for a new incident.
pub trait AppContext: Send + Sync + Debug {
    /// The latest `lines` lines of log user `user` (of `process`, when given), oldest first,
    /// as the logs API shows them; none when logs are not configured.
    fn recent_logs<'a>(
        &'a self,
        user: &'a str,
        process: Option<&'a str>,
        lines: usize,
    ) -> BoxFuture<'a, Result<Vec<Value>, PortError>>;

    /// The state of heartbeat app `app_id` of `tenant`, as the admin listing shows it;
    /// `None` for an unknown app, or when heartbeats are not configured.
    fn heartbeat<'a>(
        &'a self,
        tenant: &'a str,
        app_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Value>, PortError>>;
}

/// What spending one alert of an app's hourly budget answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spend {
    /// Within the budget: send the alert.
    Allowed,
    /// Past the budget: the alert is counted into the hour's digest instead.
    Folded,
}

/// Each incident app's hourly alert budget (kept with the heartbeat apps' budgets, where the
/// scanner sends the digest of what was held back).
pub trait AlertBudget: Send + Sync + Debug {
    /// Spends one alert of incident app `app` at `now`; `line` is how the digest lists it.
    fn spend<'a>(
        &'a self,
        app: &'a str,
        line: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Spend, PortError>>;
}

/// The admin's chat (Telegram), told about each new incident.
pub trait AdminChat: Send + Sync + Debug {
    /// Sends `text` whole (in numbered parts when one message cannot hold it).
    fn send<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<(), PortError>>;
}
