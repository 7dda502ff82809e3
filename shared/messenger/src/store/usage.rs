//! A tenant's counts, under `Q#<tenant>`:
//!
//! - daily sends for `QuotaSendsPerDay`: one item per UTC day (`<day>`, `sends`), expiring
//!   after two days. The count is read before a send and added to after the send was accepted
//!   (best effort: a failure to count is logged, the send stands). So a send that fails leaves
//!   no count behind, and concurrent sends of one tenant may pass the quota together by at most
//!   their number.
//! - contacts for `QuotaContactsPerTenant`: one item (`CONTACTS`, `contacts`), written only
//!   inside the contact store's transactions ([`UsageStore::count_contacts`]), so it stays
//!   exact under concurrency (see `store/contacts.rs`).

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;

use lookout_core::auth::Tenant;
use lookout_core::error::error_chain;
use lookout_core::quota::utc_day;
use lookout_core::time::Timestamp;
use lookout_core::BoxFuture;

use crate::error::BroadcastError;
use crate::store::keys::{counts_pk, n, s};

/// The sort key of a tenant's contact count.
const CONTACTS_SK: &str = "CONTACTS";

/// A tenant's daily sends, for `QuotaSendsPerDay` (a port). [`UsageStore`] is the DynamoDB
/// adapter, `MemoryUsageCounts` the in-memory one. (The contact count is the contact
/// store's: it changes only with the contacts.)
pub trait UsageCounts: Send + Sync + std::fmt::Debug {
    /// Sends `tenant` made on `now`'s UTC day.
    fn sends_today<'a>(
        &'a self,
        tenant: &'a Tenant,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<u64, BroadcastError>>;
    /// Counts one accepted send of `tenant` on `now`'s UTC day (best effort: a failure is
    /// logged, the send stands).
    fn count_send<'a>(&'a self, tenant: &'a Tenant, now: Timestamp) -> BoxFuture<'a, ()>;
}

impl UsageCounts for UsageStore {
    fn sends_today<'a>(
        &'a self,
        tenant: &'a Tenant,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<u64, BroadcastError>> {
        Box::pin(UsageStore::sends_today(self, tenant, now))
    }
    fn count_send<'a>(&'a self, tenant: &'a Tenant, now: Timestamp) -> BoxFuture<'a, ()> {
        Box::pin(UsageStore::count_send(self, tenant, now))
    }
}

/// A tenant's counts in the messenger table.
#[derive(Debug, Clone)]
pub struct UsageStore {
    client: Client,
    table: String,
}

impl UsageStore {
    pub(crate) fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// Sends `tenant` made on `now`'s UTC day.
    pub(crate) async fn sends_today(
        &self,
        tenant: &Tenant,
        now: Timestamp,
    ) -> Result<u64, BroadcastError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(counts_pk(tenant)))
            .key("sk", s(utc_day(now)))
            .send()
            .await?;
        Ok(out
            .item
            .as_ref()
            .and_then(|i| i.get("sends"))
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Counts one accepted send of `tenant` (best effort).
    pub(crate) async fn count_send(&self, tenant: &Tenant, now: Timestamp) {
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(counts_pk(tenant)))
            .key("sk", s(utc_day(now)))
            .update_expression("ADD sends :one SET expiresAt = :exp")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":exp", n(now.unix_seconds() + 2 * 86_400))
            .send()
            .await;
        if let Err(err) = res {
            tracing::warn!(error = %error_chain(&err),
                tenant = tenant.as_str(), "send not counted");
        }
    }

    /// The transaction item that adds `delta` to the tenant's contact count; with `room`, only
    /// while the count is at most `room` (so `delta` new contacts fit under the quota).
    pub(crate) fn count_contacts(
        &self,
        tenant: &Tenant,
        delta: i64,
        room: Option<i64>,
    ) -> Result<TransactWriteItem, BroadcastError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(counts_pk(tenant)))
            .key("sk", s(CONTACTS_SK))
            .update_expression("ADD contacts :d")
            .expression_attribute_values(":d", n(delta));
        if let Some(room) = room {
            update = update
                .condition_expression("attribute_not_exists(contacts) OR contacts <= :room")
                .expression_attribute_values(":room", n(room));
        }
        Ok(TransactWriteItem::builder()
            .update(update.build().map_err(BroadcastError::fault)?)
            .build())
    }
}
