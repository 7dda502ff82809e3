//! Issuing a key: a random secret shown once, of which only the SHA-256 is stored, with the
//! tenant's label, the key's scopes (none: every scope) and an optional expiry.

use rand::RngCore;

use lookout_core::{
    auth::{sha256_hex, Tenant},
    time::Timestamp,
    StoreError,
};

use crate::error::KeyError;
use crate::limits::MAX_EXPIRY_DAYS;
use crate::record::ApiKeyRecord;
use crate::store::key_records::KeyRecords;
use crate::views::{IssuedKey, KeyTerms};

/// Issues a new random key (`lk_` + 64 hex digits) for `tenant` under `terms`: the scopes
/// sorted and without duplicates, an expiry after `now` and at most [`MAX_EXPIRY_DAYS`] days
/// ahead ([`KeyError::BadExpiry`] otherwise; kept to the second).
pub async fn issue(
    keys: &dyn KeyRecords,
    tenant: &Tenant,
    label: &str,
    terms: &KeyTerms,
    now: Timestamp,
) -> Result<IssuedKey, KeyError> {
    if let Some(e) = terms.expires_at {
        let days = (e.unix_seconds() - now.unix_seconds()) / 86_400;
        if e <= now || days > MAX_EXPIRY_DAYS {
            return Err(KeyError::BadExpiry);
        }
    }
    let mut scopes = terms.scopes.clone();
    scopes.sort();
    scopes.dedup();
    let mut secret = [0_u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let api_key = format!("lk_{}", hex::encode(secret));
    let key_id = uuid::Uuid::new_v4().simple().to_string();
    let record = ApiKeyRecord {
        pk: sha256_hex(api_key.as_bytes()),
        key_id: key_id.clone(),
        tenant: tenant.as_str().to_owned(),
        label: label.to_owned(),
        created_at: now,
        revoked: false,
        scopes,
        expires_at: terms.expires_at.map(|e| e.unix_seconds()),
        last_used_at: None,
        revoked_at: None,
    };
    if !keys.put_new(&record).await? {
        return Err(StoreError::invariant("a fresh API key id collided").into());
    }
    Ok(IssuedKey {
        api_key,
        scopes: record.scopes(),
        key_id,
        tenant: record.tenant,
        label: record.label,
        created_at: record.created_at,
        expires_at: terms.expires_at,
    })
}
