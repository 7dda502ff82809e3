//! Verifying a key for a route's scope: found by its hash, refused when revoked, expired or
//! outside its scopes; its last use recorded at most once an hour.

use lookout_core::{
    auth::{sha256_hex, Tenant},
    error::error_chain,
    time::Timestamp,
    StoreError,
};

use crate::error::KeyError;
use crate::limits::{LAST_USED_EVERY_MS, MAX_KEY_LEN};
use crate::scope::Scope;
use crate::store::key_records::KeyRecords;
use crate::views::Principal;

/// The holder of `key`, if it may be used for `scope` at `now`: [`KeyError::Unknown`],
/// `Revoked` or `Expired` (401 at the edge), `OutOfScope` (403). Records when the key was
/// last used (at most once an hour, best effort: a failure is logged, the request goes on).
pub async fn verify(
    keys: &dyn KeyRecords,
    key: &str,
    scope: Scope,
    now: Timestamp,
) -> Result<Principal, KeyError> {
    if key.len() > MAX_KEY_LEN {
        return Err(KeyError::Unknown);
    }
    let Some(record) = keys.get(&sha256_hex(key.as_bytes())).await? else {
        return Err(KeyError::Unknown);
    };
    if record.revoked {
        return Err(KeyError::Revoked);
    }
    if record.expired(now) {
        return Err(KeyError::Expired);
    }
    let scopes = record.scopes();
    if !scopes.contains(&scope) {
        let names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        return Err(KeyError::OutOfScope {
            granted: names.join(", "),
            wanted: scope.as_str(),
        });
    }
    let tenant = Tenant::parse(&record.tenant).map_err(StoreError::invariant)?;
    if record
        .last_used_at
        .is_none_or(|t| now.unix_millis() - t.unix_millis() >= LAST_USED_EVERY_MS)
    {
        if let Err(err) = keys.touch(&record.pk, now).await {
            tracing::warn!(error = %error_chain(&err), "API key last use not recorded");
        }
    }
    Ok(Principal {
        tenant,
        key_id: record.key_id,
    })
}
