//! The tenants' daily tracker quota counters: one item per tenant and UTC day, `pk` =
//! `QUOTA#<tenant>`, `sk` = `DAY#<day>`, `events`, `bytes`, `expiresAt` (two days after the
//! day). The port ([`QuotaCounters`]) and its DynamoDB adapter ([`QuotaCounterStore`]); the
//! in-memory one is `store::memory::MemoryQuotaCounters`. A request is counted in the
//! transaction that stores its events (`Events::append`).

use std::fmt::Debug;

use aws_sdk_dynamodb::{
    types::{AttributeValue, TransactWriteItem, Update},
    Client,
};
use lookout_core::{auth::Tenant, quota::utc_day, time::Timestamp, BoxFuture, StoreError};

use crate::error::TrackerError;
use crate::quota::{TrackerQuota, Usage};

/// The tenants' daily counters, as a use case reads them (the port).
pub trait QuotaCounters: Send + Sync + Debug {
    /// The quota the counters enforce.
    fn quota(&self) -> TrackerQuota;

    /// Refuses a request (of several transactions) the day's count has no room for, before
    /// its first write ([`TrackerError::Quota`]): its transactions would otherwise store some
    /// chunks and refuse the rest.
    fn check_room<'a>(
        &'a self,
        tenant: &'a Tenant,
        usage: Usage,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<(), TrackerError>>;
}

/// Daily quota counters in DynamoDB, and the quota they enforce.
#[derive(Debug, Clone)]
pub struct QuotaCounterStore {
    client: Client,
    table: String,
    quota: TrackerQuota,
}

impl QuotaCounterStore {
    pub(crate) fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            quota: TrackerQuota::default(),
        }
    }

    /// The same counters enforcing another daily quota.
    pub(crate) fn with_quota(mut self, quota: TrackerQuota) -> Self {
        self.quota = quota;
        self
    }
}

impl QuotaCounters for QuotaCounterStore {
    fn quota(&self) -> TrackerQuota {
        self.quota
    }

    /// One read, only for requests of more than one transaction.
    fn check_room<'a>(
        &'a self,
        tenant: &'a Tenant,
        usage: Usage,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<(), TrackerError>> {
        Box::pin(async move {
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
            let used = Usage {
                events: n("events"),
                bytes: n("bytes"),
            };
            if !self.quota.has_room(used, usage) {
                return Err(TrackerError::Quota(self.quota.exceeded(tenant, now)));
            }
            Ok(())
        })
    }
}

/// The counter-side item of an append transaction (in `table`): counts `usage` for `tenant`
/// today, refused when the day's count would pass `quota`.
pub(crate) fn count(
    table: &str,
    quota: TrackerQuota,
    tenant: &Tenant,
    usage: Usage,
    now: Timestamp,
) -> Result<TransactWriteItem, TrackerError> {
    let (pk, sk) = counter_key(tenant, now);
    let room = |max: u64, n: u64| i64::try_from(max.saturating_sub(n)).unwrap_or(i64::MAX);
    let expires = now.unix_seconds() + 3 * 86_400;
    let update = Update::builder()
        .table_name(table)
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
            AttributeValue::N(room(quota.events_per_day, usage.events).to_string()),
        )
        .expression_attribute_values(
            ":bmax",
            AttributeValue::N(room(quota.bytes_per_day, usage.bytes).to_string()),
        )
        .build()
        .map_err(StoreError::from)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// The counter's key: the tenant's partition and the UTC day of `now`.
pub(crate) fn counter_key(tenant: &Tenant, now: Timestamp) -> (String, String) {
    (
        format!("QUOTA#{}", tenant.as_str()),
        format!("DAY#{}", utc_day(now)),
    )
}
