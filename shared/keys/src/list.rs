//! Listing a tenant's keys for the admin: everything but the secret and its hash.

use lookout_core::{auth::Tenant, time::Timestamp};

use crate::error::KeyError;
use crate::store::key_records::KeyRecords;
use crate::views::KeyView;

/// Every key of `tenant` as the listing shows it at `now` (revoked and expired ones too, until
/// their TTL removes them), newest first.
pub async fn list(
    keys: &dyn KeyRecords,
    tenant: &Tenant,
    now: Timestamp,
) -> Result<Vec<KeyView>, KeyError> {
    let mut out: Vec<KeyView> = keys
        .list_by_tenant(tenant)
        .await?
        .iter()
        .map(|r| r.view(now))
        .collect();
    out.sort_by_key(|k| std::cmp::Reverse(k.created_at));
    Ok(out)
}
