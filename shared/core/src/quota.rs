//! Per-tenant quotas: how much one tenant (an API key's tenant, a log user) may use, so one
//! caller cannot crowd out the others or run up the bill. Read once at cold start from the
//! template's parameters; a request over a quota is answered 429 with `Retry-After` and writes
//! nothing.
//!
//! Daily quotas count per UTC day and free up at the next UTC midnight; standing ones (apps,
//! contacts) free up when something is removed, so their `Retry-After` is a hint (an hour).

use crate::{config, time::Timestamp};

/// Defaults: generous for a small team, a ceiling for a runaway client.
pub const DEFAULT_LOG_BYTES_PER_DAY: u64 = 1 << 30;
pub const DEFAULT_SENDS_PER_DAY: u32 = 1_000;
pub const DEFAULT_APPS_PER_TENANT: u32 = 500;
pub const DEFAULT_CONTACTS_PER_TENANT: u32 = 5_000;
pub const DEFAULT_SCHEDULE_AHEAD_DAYS: u32 = 366;
pub const DEFAULT_TRACKER_EVENTS_PER_DAY: u64 = 1_000_000;
pub const DEFAULT_TRACKER_BYTES_PER_DAY: u64 = 1 << 30;
pub const DEFAULT_ALERTS_PER_HOUR: u32 = 20;
pub const DEFAULT_SENTRY_EVENTS_PER_DAY: u32 = 10_000;

/// What `Retry-After` says for a standing quota (apps, contacts): nothing frees up by itself.
pub const STANDING_RETRY_AFTER_SECS: u64 = 3_600;

/// The quotas of this stack (environment names in [`config::names`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    /// `/send_logs` body bytes per log user and UTC day.
    pub log_bytes_per_day: u64,
    /// Broadcasts (`PUT /api/contacts`) per tenant and UTC day.
    pub sends_per_day: u32,
    /// Heartbeat apps per tenant (a new app id registers one).
    pub apps_per_tenant: u32,
    /// Messenger contacts per tenant.
    pub contacts_per_tenant: u32,
    /// How far ahead a send may be scheduled.
    pub schedule_ahead_days: u32,
    /// Tracker events (`/add_event`) per tenant and UTC day, and their bytes as stored.
    pub tracker_events_per_day: u64,
    pub tracker_bytes_per_day: u64,
    /// Alerts one tenant's heartbeat apps, or one incident app, may send per hour; past it
    /// they are folded into an hourly digest.
    pub alerts_per_hour: u32,
    /// Sentry events (errors, messages) one incident app may send per UTC day, unless the app
    /// sets its own `events_per_day`; past it the SDK is answered 429 and backs off.
    pub sentry_events_per_day: u32,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            log_bytes_per_day: DEFAULT_LOG_BYTES_PER_DAY,
            sends_per_day: DEFAULT_SENDS_PER_DAY,
            apps_per_tenant: DEFAULT_APPS_PER_TENANT,
            contacts_per_tenant: DEFAULT_CONTACTS_PER_TENANT,
            schedule_ahead_days: DEFAULT_SCHEDULE_AHEAD_DAYS,
            tracker_events_per_day: DEFAULT_TRACKER_EVENTS_PER_DAY,
            tracker_bytes_per_day: DEFAULT_TRACKER_BYTES_PER_DAY,
            alerts_per_hour: DEFAULT_ALERTS_PER_HOUR,
            sentry_events_per_day: DEFAULT_SENTRY_EVENTS_PER_DAY,
        }
    }
}

impl Quotas {
    /// Each quota from its variable, the default when unset; a malformed one stops the start.
    pub fn from_env() -> Result<Self, config::ConfigError> {
        use config::names::{
            QUOTA_ALERTS_PER_HOUR, QUOTA_APPS_PER_TENANT, QUOTA_CONTACTS_PER_TENANT,
            QUOTA_LOG_BYTES_PER_DAY, QUOTA_SCHEDULE_AHEAD_DAYS, QUOTA_SENDS_PER_DAY,
            QUOTA_SENTRY_EVENTS_PER_DAY, QUOTA_TRACKER_BYTES_PER_DAY, QUOTA_TRACKER_EVENTS_PER_DAY,
        };
        let d = Self::default();
        Ok(Self {
            log_bytes_per_day: config::int_in(
                QUOTA_LOG_BYTES_PER_DAY,
                1..=(1 << 40),
                d.log_bytes_per_day,
            )?,
            sends_per_day: config::int_in(QUOTA_SENDS_PER_DAY, 1..=1_000_000, d.sends_per_day)?,
            apps_per_tenant: config::int_in(
                QUOTA_APPS_PER_TENANT,
                1..=1_000_000,
                d.apps_per_tenant,
            )?,
            contacts_per_tenant: config::int_in(
                QUOTA_CONTACTS_PER_TENANT,
                1..=1_000_000,
                d.contacts_per_tenant,
            )?,
            schedule_ahead_days: config::int_in(
                QUOTA_SCHEDULE_AHEAD_DAYS,
                1..=3_650,
                d.schedule_ahead_days,
            )?,
            tracker_events_per_day: config::int_in(
                QUOTA_TRACKER_EVENTS_PER_DAY,
                1..=1_000_000_000,
                d.tracker_events_per_day,
            )?,
            tracker_bytes_per_day: config::int_in(
                QUOTA_TRACKER_BYTES_PER_DAY,
                1..=(1 << 40),
                d.tracker_bytes_per_day,
            )?,
            alerts_per_hour: config::int_in(QUOTA_ALERTS_PER_HOUR, 1..=100_000, d.alerts_per_hour)?,
            sentry_events_per_day: config::int_in(
                QUOTA_SENTRY_EVENTS_PER_DAY,
                1..=10_000_000,
                d.sentry_events_per_day,
            )?,
        })
    }
}

/// A request over a quota: what was exceeded (the client reads it) and when to come back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QuotaExceeded {
    pub message: String,
    /// Seconds, at least 1.
    pub retry_after: u64,
}

impl QuotaExceeded {
    pub fn new(message: impl Into<String>, retry_after: u64) -> Self {
        Self {
            message: message.into(),
            retry_after: retry_after.max(1),
        }
    }

    /// A daily quota used up at `now`: back at the next UTC midnight.
    pub fn daily(message: impl Into<String>, now: Timestamp) -> Self {
        Self::new(message, until_next_utc_day(now))
    }

    /// A standing quota (apps, contacts): back when something is removed.
    pub fn standing(message: impl Into<String>) -> Self {
        Self::new(message, STANDING_RETRY_AFTER_SECS)
    }
}

/// The UTC day of `now`, `YYYY-MM-DD`: the key of daily counters.
pub fn utc_day(now: Timestamp) -> String {
    now.datetime().format("%Y-%m-%d").to_string()
}

/// Seconds from `now` to the next UTC midnight (1..=86,400).
pub fn until_next_utc_day(now: Timestamp) -> u64 {
    let secs = now.unix_seconds().rem_euclid(86_400);
    (86_400 - secs) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_str(s).unwrap()
    }

    #[test]
    fn daily_quotas_free_up_at_the_next_utc_midnight() {
        assert_eq!(until_next_utc_day(ts("2026-12-03T23:59:59Z")), 1);
        assert_eq!(until_next_utc_day(ts("2026-12-03T00:00:00Z")), 86_400);
        assert_eq!(until_next_utc_day(ts("2026-12-03T12:00:00Z")), 43_200);
        assert_eq!(utc_day(ts("2026-12-03T23:59:59+05:00")), "2026-12-03");
        assert_eq!(utc_day(ts("2026-12-03T20:00:00-05:00")), "2026-12-04");
        let q = QuotaExceeded::daily("x", ts("2026-12-03T23:59:59.900Z"));
        assert_eq!(q.retry_after, 1);
    }
}
