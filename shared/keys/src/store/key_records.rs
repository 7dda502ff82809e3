//! [`KeyRecords`]: the key records as the use cases reach them. [`ApiKeys`](crate::ApiKeys) is
//! the DynamoDB adapter, [`MemoryKeyRecords`](crate::MemoryKeyRecords) the in-memory one.

use lookout_core::{auth::Tenant, time::Timestamp, BoxFuture};

use crate::error::KeyError;
use crate::record::ApiKeyRecord;

/// The key records (`API_KEYS_TABLE`: key `pk`, the SHA-256 of the key; the `by-tenant` index
/// on `tenant`, `keyId`), as the use cases reach them.
pub trait KeyRecords: Send + Sync + std::fmt::Debug {
    /// The record of the key whose hash is `pk`; `None` if there is none (never issued, or
    /// removed by its TTL).
    fn get<'a>(&'a self, pk: &'a str) -> BoxFuture<'a, Result<Option<ApiKeyRecord>, KeyError>>;

    /// Stores a new record; `false` (and nothing written) if one with its `pk` exists.
    fn put_new<'a>(&'a self, record: &'a ApiKeyRecord) -> BoxFuture<'a, Result<bool, KeyError>>;

    /// Sets the key's `lastUsedAt` to `now`; nothing (and `Ok`) if the record is gone.
    fn touch<'a>(&'a self, pk: &'a str, now: Timestamp) -> BoxFuture<'a, Result<(), KeyError>>;

    /// Every record of `tenant`, in the index's order (by `keyId`).
    fn list_by_tenant<'a>(
        &'a self,
        tenant: &'a Tenant,
    ) -> BoxFuture<'a, Result<Vec<ApiKeyRecord>, KeyError>>;

    /// `tenant`'s record of the key `key_id`; `None` if the tenant has no such key.
    fn find<'a>(
        &'a self,
        tenant: &'a Tenant,
        key_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<ApiKeyRecord>, KeyError>>;

    /// Marks the record `pk` revoked at `now`, to be removed (TTL) at `remove_at` (epoch
    /// seconds); returns the record after the write, `None` if it is gone.
    fn mark_revoked<'a>(
        &'a self,
        pk: &'a str,
        now: Timestamp,
        remove_at: i64,
    ) -> BoxFuture<'a, Result<Option<ApiKeyRecord>, KeyError>>;
}
