//! The per-tenant app quota, asked only when an unknown app id beats or signals (never on the
//! hot path).

use lookout_core::{auth::Tenant, quota::QuotaExceeded};

use crate::error::HeartbeatError;
use crate::limits::RETIRED_RETENTION_DAYS;
use crate::store::apps::Apps;

/// Refuses a new app of `tenant` once the tenant has the store's `max_apps`: a count of its
/// keys in the `tenant-apps` index. The index is eventually consistent, so new apps registered
/// in the same instant may pass together; the quota bounds a runaway client, not an exact
/// number.
pub(crate) async fn admit_new_app(apps: &dyn Apps, tenant: &Tenant) -> Result<(), HeartbeatError> {
    if apps.max_apps() == u32::MAX {
        // Unlimited (tools that write fixtures): no count.
        return Ok(());
    }
    let max = u64::from(apps.max_apps());
    if apps.count_apps(tenant.as_str(), max).await? >= max {
        return Err(HeartbeatError::Quota(QuotaExceeded::standing(format!(
            "tenant {} has its {max} heartbeat apps: beat an existing app id, retire apps \
             no longer run (removed {RETIRED_RETENTION_DAYS} days later), or ask the admin for a \
             higher QuotaAppsPerTenant",
            tenant.as_str()
        ))));
    }
    Ok(())
}
