//! The tracker's per-tenant daily quota (#30): events and their bytes as stored, counted in
//! the same transactions as the events, so a request over the quota is refused (429 with
//! `Retry-After`) and writes nothing, and two requests racing for the last room cannot both
//! get it.
//!
//! One counter item per tenant and UTC day: `pk` = `QUOTA#<tenant>`, `sk` = `DAY#<day>`,
//! `events`, `bytes`, `expiresAt` (two days after the day). A retried request (its events
//! overwrite themselves) is counted again: a count may be high, never short.

use aws_sdk_dynamodb::types::CancellationReason;
use lookout_core::quota::{utc_day, QuotaExceeded, Quotas};

use super::*;

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

/// What one request adds to the day's count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Usage {
    pub(crate) events: u64,
    pub(crate) bytes: u64,
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

pub(crate) fn counter_key(tenant: &Tenant, now: Timestamp) -> (String, String) {
    (
        format!("QUOTA#{}", tenant.as_str()),
        format!("DAY#{}", utc_day(now)),
    )
}

/// Whether a cancelled transaction was refused by its quota counter (item `index`).
pub(crate) fn refused_by_counter(reasons: &[CancellationReason], index: usize) -> bool {
    reasons.get(index).is_some_and(ddb::condition_failed)
}

impl TrackerStore {
    /// The transaction item that counts `usage` for `tenant` today, refused when the day's
    /// count would pass the quota.
    pub(crate) fn count_usage(
        &self,
        tenant: &Tenant,
        usage: Usage,
        now: Timestamp,
    ) -> Result<TransactWriteItem, TrackerError> {
        let (pk, sk) = counter_key(tenant, now);
        let q = self.quota;
        let room = |max: u64, n: u64| i64::try_from(max.saturating_sub(n)).unwrap_or(i64::MAX);
        let expires = now.unix_seconds() + 3 * 86_400;
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk))
            .key("sk", AttributeValue::S(sk))
            .update_expression("ADD events :n, bytes :b SET expiresAt = :exp")
            .condition_expression(
                "attribute_not_exists(events) OR (events <= :emax AND bytes <= :bmax)",
            )
            .expression_attribute_values(":n", AttributeValue::N(usage.events.to_string()))
            .expression_attribute_values(":b", AttributeValue::N(usage.bytes.to_string()))
            .expression_attribute_values(":exp", AttributeValue::N(expires.to_string()))
            .expression_attribute_values(
                ":emax",
                AttributeValue::N(room(q.events_per_day, usage.events).to_string()),
            )
            .expression_attribute_values(
                ":bmax",
                AttributeValue::N(room(q.bytes_per_day, usage.bytes).to_string()),
            )
            .build()
            .map_err(StoreError::from)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Refuses a request (of several transactions) the day's count has no room for, before
    /// its first write: its transactions would otherwise store some chunks and refuse the
    /// rest. One read, only for requests of more than one transaction.
    pub(crate) async fn check_room(
        &self,
        tenant: &Tenant,
        usage: Usage,
        now: Timestamp,
    ) -> Result<(), TrackerError> {
        let (pk, sk) = counter_key(tenant, now);
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk))
            .key("sk", AttributeValue::S(sk))
            .consistent_read(true)
            .send()
            .await?;
        let n = |k: &str| -> u64 {
            match out.item.as_ref().and_then(|i| i.get(k)) {
                Some(AttributeValue::N(v)) => v.parse().unwrap_or(0),
                _ => 0,
            }
        };
        let (events, bytes) = (n("events"), n("bytes"));
        if events.saturating_add(usage.events) > self.quota.events_per_day
            || bytes.saturating_add(usage.bytes) > self.quota.bytes_per_day
        {
            return Err(TrackerError::Quota(self.quota.exceeded(tenant, now)));
        }
        Ok(())
    }
}
