//! [`revoke`]: what is stored, idempotence, another tenant's key, a key gone meanwhile.

use lookout_core::{auth::Tenant, time::Timestamp, BoxFuture};

use super::*;
use crate::{revoke, verify, ApiKeyRecord, KeyError, KeyRecords};

/// Thirty days, in seconds: how long a revoked key is listed before its TTL removes it.
const KEPT_SECS: i64 = 30 * 86_400;

#[tokio::test]
async fn revoking_marks_the_key_and_keeps_it_thirty_days() {
    // Arrange
    let keys = MemoryKeyRecords::new();
    let expires = ts("2026-09-01T00:00:00Z");
    let key = issued_at(&keys, "acme", &[Scope::Tracker], Some(expires), ts(T0)).await;
    let other = issued(&keys).await;
    let now = later(ts(T0), 10_000);

    // Act
    let view = revoke(&keys, &tenant("acme"), &key.key_id, now)
        .await
        .unwrap();

    // Assert
    assert_eq!(view.key_id, key.key_id);
    assert!(view.revoked && !view.active);
    assert_eq!(view.revoked_at, Some(now));
    assert_eq!(view.expires_at, None);
    assert_eq!(view.scopes, vec![Scope::Tracker]);
    let stored = keys.record(&key.key_id).unwrap();
    assert!(stored.revoked);
    assert_eq!(stored.revoked_at, Some(now));
    assert_eq!(stored.expires_at, Some(now.unix_seconds() + KEPT_SECS));
    let refused = verify(&keys, &key.api_key, Scope::Tracker, now).await;
    assert!(matches!(refused, Err(KeyError::Revoked)), "{refused:?}");
    let untouched = keys.record(&other.key_id).unwrap();
    assert!(!untouched.revoked && untouched.revoked_at.is_none());
}

#[tokio::test]
async fn revoking_again_changes_nothing() {
    let keys = MemoryKeyRecords::new();
    let key = issued(&keys).await;
    let first_at = later(ts(T0), 10_000);
    let first = revoke(&keys, &tenant("acme"), &key.key_id, first_at)
        .await
        .unwrap();
    let stored = keys.record(&key.key_id).unwrap();

    let again = revoke(
        &keys,
        &tenant("acme"),
        &key.key_id,
        later(first_at, 86_400_000),
    )
    .await
    .unwrap();

    assert_eq!(again, first);
    assert_eq!(again.revoked_at, Some(first_at));
    assert_eq!(keys.record(&key.key_id).unwrap(), stored);
}

#[tokio::test]
async fn another_tenants_key_is_not_found_and_stays_valid() {
    let keys = MemoryKeyRecords::new();
    let key = issued(&keys).await;

    let err = revoke(&keys, &tenant("globex"), &key.key_id, ts(T0))
        .await
        .unwrap_err();

    match err {
        KeyError::NotFound(msg) => {
            assert_eq!(
                msg,
                format!("tenant globex has no API key {:?}", key.key_id)
            );
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(!keys.record(&key.key_id).unwrap().revoked);
    let who = verify(&keys, &key.api_key, Scope::Tracker, ts(T0)).await;
    assert_eq!(who.unwrap().tenant, tenant("acme"));
}

#[tokio::test]
async fn an_unknown_key_id_or_one_removed_by_its_ttl_is_not_found() {
    let keys = MemoryKeyRecords::new();
    let key = issued(&keys).await;
    assert!(keys.remove(&key.key_id));

    for key_id in [key.key_id.as_str(), "nope"] {
        let err = revoke(&keys, &tenant("acme"), key_id, ts(T0))
            .await
            .unwrap_err();
        assert!(matches!(err, KeyError::NotFound(_)), "{key_id}: {err:?}");
    }
    assert!(keys.is_empty());
}

/// The key records, with each key found by `find` removed by its TTL right after.
#[derive(Debug, Default)]
struct GoneAfterFind(MemoryKeyRecords);

impl KeyRecords for GoneAfterFind {
    fn get<'a>(&'a self, pk: &'a str) -> BoxFuture<'a, Result<Option<ApiKeyRecord>, KeyError>> {
        self.0.get(pk)
    }

    fn put_new<'a>(&'a self, record: &'a ApiKeyRecord) -> BoxFuture<'a, Result<bool, KeyError>> {
        self.0.put_new(record)
    }

    fn touch<'a>(&'a self, pk: &'a str, now: Timestamp) -> BoxFuture<'a, Result<(), KeyError>> {
        self.0.touch(pk, now)
    }

    fn list_by_tenant<'a>(
        &'a self,
        tenant: &'a Tenant,
    ) -> BoxFuture<'a, Result<Vec<ApiKeyRecord>, KeyError>> {
        self.0.list_by_tenant(tenant)
    }

    fn find<'a>(
        &'a self,
        tenant: &'a Tenant,
        key_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<ApiKeyRecord>, KeyError>> {
        Box::pin(async move {
            let found = self.0.find(tenant, key_id).await?;
            self.0.remove(key_id);
            Ok(found)
        })
    }

    fn mark_revoked<'a>(
        &'a self,
        pk: &'a str,
        now: Timestamp,
        remove_at: i64,
    ) -> BoxFuture<'a, Result<Option<ApiKeyRecord>, KeyError>> {
        self.0.mark_revoked(pk, now, remove_at)
    }
}

#[tokio::test]
async fn a_key_removed_between_finding_and_revoking_is_not_found_and_not_recreated() {
    let keys = GoneAfterFind::default();
    let key = issued(&keys.0).await;

    let err = revoke(&keys, &tenant("acme"), &key.key_id, ts(T0))
        .await
        .unwrap_err();

    match err {
        KeyError::NotFound(msg) => {
            assert_eq!(msg, format!("API key {:?} is gone (expired)", key.key_id));
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(keys.0.is_empty());
}
