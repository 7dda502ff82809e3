//! The tracker's per-tenant daily quota (#30): events and their bytes as stored, counted in
//! the same transactions as the events, so a request over the quota is refused (429 with
//! `Retry-After`) and writes nothing, and two requests racing for the last room cannot both
//! get it (the counters: [`crate::QuotaCounterStore`]).
//!
//! A retried request (its events overwrite themselves) is counted again: a count may be high,
//! never short.

use lookout_core::{
    auth::Tenant,
    page::json_len,
    quota::{QuotaExceeded, Quotas},
    time::Timestamp,
};

use crate::error::TrackerError;
use crate::records::EventRecord;

/// The quota one store enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackerQuota {
    pub events_per_day: u64,
    pub bytes_per_day: u64,
}

impl Default for TrackerQuota {
    fn default() -> Self {
        Self::from(&Quotas::default())
    }
}

impl From<&Quotas> for TrackerQuota {
    fn from(q: &Quotas) -> Self {
        Self {
            events_per_day: q.tracker_events_per_day,
            bytes_per_day: q.tracker_bytes_per_day,
        }
    }
}

/// What one request (or one transaction of it) adds to the day's count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub(crate) events: u64,
    pub(crate) bytes: u64,
}

impl Usage {
    /// What storing `records` counts: each event, and its item's size as stored (its JSON:
    /// close to DynamoDB's item size).
    pub(crate) fn of(records: &[EventRecord]) -> Self {
        Self {
            events: u64::try_from(records.len()).unwrap_or(u64::MAX),
            bytes: records
                .iter()
                .map(|rec| u64::try_from(json_len(rec)).unwrap_or(u64::MAX))
                .sum(),
        }
    }
}

impl TrackerQuota {
    pub(crate) fn exceeded(&self, tenant: &Tenant, now: Timestamp) -> QuotaExceeded {
        QuotaExceeded::daily(
            format!(
                "tenant {} has used its tracker quota for today ({} events, {} bytes per UTC day); \
                 nothing of this request was stored",
                tenant.as_str(),
                self.events_per_day,
                self.bytes_per_day
            ),
            now,
        )
    }

    /// Whether a day that has counted `used` has room for `usage` more.
    pub(crate) fn has_room(&self, used: Usage, usage: Usage) -> bool {
        used.events.saturating_add(usage.events) <= self.events_per_day
            && used.bytes.saturating_add(usage.bytes) <= self.bytes_per_day
    }

    /// A request bigger than a whole day's quota can never pass.
    pub(crate) fn check_size(
        &self,
        tenant: &Tenant,
        usage: Usage,
        now: Timestamp,
    ) -> Result<(), TrackerError> {
        if usage.events > self.events_per_day || usage.bytes > self.bytes_per_day {
            return Err(TrackerError::Quota(self.exceeded(tenant, now)));
        }
        Ok(())
    }
}
