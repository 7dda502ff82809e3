//! [`issue`]: what is stored (only the hash), the terms kept, the expiry refused.

use lookout_core::{auth::sha256_hex, StoreError};

use super::*;
use crate::KeyError;

#[tokio::test]
async fn issuing_stores_only_the_hash_with_sorted_scopes_and_the_expiry() {
    // Arrange
    let keys = MemoryKeyRecords::new();
    let now = ts(T0);
    let expires = ts("2026-07-01T00:00:00Z");
    let terms = KeyTerms {
        scopes: vec![Scope::Tracker, Scope::Heartbeats, Scope::Tracker],
        expires_at: Some(expires),
    };

    // Act
    let key = issue(&keys, &tenant("acme"), "nightly cron", &terms, now)
        .await
        .unwrap();

    // Assert
    assert!(key.api_key.starts_with("lk_"));
    assert_eq!(key.api_key.len(), 3 + 64);
    assert!(key.api_key[3..].bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(key.scopes, vec![Scope::Heartbeats, Scope::Tracker]);
    assert_eq!(key.expires_at, Some(expires));
    assert_eq!(
        (key.tenant.as_str(), key.label.as_str()),
        ("acme", "nightly cron")
    );
    assert_eq!(key.created_at, now);
    let stored = keys.records();
    assert_eq!(stored.len(), 1);
    let r = &stored[0];
    assert_eq!(r.pk, sha256_hex(key.api_key.as_bytes()));
    assert_ne!(r.pk, key.api_key);
    assert_eq!(r.key_id, key.key_id);
    assert_eq!(
        (r.tenant.as_str(), r.label.as_str()),
        ("acme", "nightly cron")
    );
    assert_eq!(r.created_at, now);
    assert_eq!(r.scopes, vec![Scope::Heartbeats, Scope::Tracker]);
    assert_eq!(r.expires_at, Some(expires.unix_seconds()));
    assert!(!r.revoked && r.revoked_at.is_none() && r.last_used_at.is_none());
    let json = serde_json::to_string(r).unwrap();
    assert!(!json.contains(&key.api_key), "the secret is stored: {json}");
}

#[tokio::test]
async fn a_key_issued_without_scopes_has_every_scope_and_stores_none() {
    let keys = MemoryKeyRecords::new();

    let key = issued(&keys).await;

    assert_eq!(key.scopes, Scope::ALL.to_vec());
    assert_eq!(key.expires_at, None);
    let r = keys.record(&key.key_id).unwrap();
    assert!(r.scopes.is_empty());
    assert_eq!(r.expires_at, None);
}

#[tokio::test]
async fn every_key_is_new_secret_and_id() {
    let keys = MemoryKeyRecords::new();

    let a = issued(&keys).await;
    let b = issued(&keys).await;

    assert_ne!(a.api_key, b.api_key);
    assert_ne!(a.key_id, b.key_id);
    assert_eq!(keys.len(), 2);
}

#[tokio::test]
async fn an_expiry_now_in_the_past_or_beyond_ten_years_is_refused_and_nothing_stored() {
    let keys = MemoryKeyRecords::new();
    let now = ts(T0);
    let day_ms = 86_400_000;
    for bad in [
        now,
        later(now, -1_000),
        later(now, 3_651 * day_ms),
        later(now, 20_000 * day_ms),
    ] {
        let terms = KeyTerms {
            scopes: vec![],
            expires_at: Some(bad),
        };

        let err = issue(&keys, &tenant("acme"), "cron", &terms, now)
            .await
            .unwrap_err();

        assert!(matches!(err, KeyError::BadExpiry), "{bad:?}: {err:?}");
    }
    assert!(keys.is_empty());
}

#[tokio::test]
async fn an_expiry_one_second_ahead_or_ten_years_ahead_is_accepted() {
    let keys = MemoryKeyRecords::new();
    let now = ts(T0);
    let day_ms = 86_400_000;
    for ok in [later(now, 1_000), later(now, 3_650 * day_ms + 86_399_000)] {
        let key = issued_at(&keys, "acme", &[], Some(ok), now).await;

        assert_eq!(key.expires_at, Some(ok));
        let stored = keys.record(&key.key_id).unwrap();
        assert_eq!(stored.expires_at, Some(ok.unix_seconds()));
    }
    assert_eq!(keys.len(), 2);
}

#[tokio::test]
async fn issuing_while_the_store_fails_is_a_store_error() {
    let keys = MemoryKeyRecords::new();
    keys.set_failing(true);

    let err = issue(&keys, &tenant("acme"), "cron", &KeyTerms::default(), ts(T0))
        .await
        .unwrap_err();

    assert!(
        matches!(err, KeyError::Store(StoreError::Unavailable(_))),
        "{err:?}"
    );
    keys.set_failing(false);
    assert!(keys.is_empty());
}
