//! Per-tenant daily send counts for `QuotaSendsPerDay`: one item per tenant and UTC day
//! (`Q#<tenant>` / `<day>`, `sends`), expiring after two days.
//!
//! The count is read before a send and added to after the send was accepted (best effort: a
//! failure to count is logged, the send stands). So a send that fails leaves no count behind,
//! and concurrent sends of one tenant may pass the quota together by at most their number.

use super::*;

fn usage_pk(tenant: &Tenant) -> String {
    format!("Q#{}", tenant.as_str())
}

impl BroadcastStore {
    /// Sends `tenant` made on `now`'s UTC day.
    pub async fn sends_today(
        &self,
        tenant: &Tenant,
        now: Timestamp,
    ) -> Result<u64, BroadcastError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(usage_pk(tenant)))
            .key("sk", s(lookout_core::quota::utc_day(now)))
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
    pub async fn count_send(&self, tenant: &Tenant, now: Timestamp) {
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(usage_pk(tenant)))
            .key("sk", s(lookout_core::quota::utc_day(now)))
            .update_expression("ADD sends :one SET expiresAt = :exp")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":exp", n(now.unix_seconds() + 2 * 86_400))
            .send()
            .await;
        if let Err(err) = res {
            tracing::warn!(error = %lookout_core::error::error_chain(&err),
                tenant = tenant.as_str(), "send not counted");
        }
    }
}
