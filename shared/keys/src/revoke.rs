//! Revoking a key: refused at once on every route, listed as revoked for
//! 30 days (`REVOKED_KEPT_SECS`), then removed by the table's TTL.

use lookout_core::{auth::Tenant, time::Timestamp};

use crate::error::KeyError;
use crate::limits::REVOKED_KEPT_SECS;
use crate::store::key_records::KeyRecords;
use crate::views::KeyView;

/// Revokes `tenant`'s key `key_id` at `now` and returns it as the listing shows it; revoking
/// it again changes nothing. [`KeyError::NotFound`] if the tenant has no such key (another
/// tenant's key included) or it was removed meanwhile.
pub async fn revoke(
    keys: &dyn KeyRecords,
    tenant: &Tenant,
    key_id: &str,
    now: Timestamp,
) -> Result<KeyView, KeyError> {
    let Some(record) = keys.find(tenant, key_id).await? else {
        return Err(KeyError::NotFound(format!(
            "tenant {} has no API key {key_id:?}",
            tenant.as_str()
        )));
    };
    if record.revoked {
        return Ok(record.view(now));
    }
    let remove_at = now.unix_seconds() + REVOKED_KEPT_SECS;
    match keys.mark_revoked(&record.pk, now, remove_at).await? {
        Some(revoked) => Ok(revoked.view(now)),
        None => Err(KeyError::NotFound(format!(
            "API key {key_id:?} is gone (expired)"
        ))),
    }
}
