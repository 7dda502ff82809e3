//! [`list`]: a tenant's keys, newest first, as the admin sees them (never the secret).

use lookout_core::StoreError;

use super::*;
use crate::{list, revoke, verify, KeyError, KeyView};

#[tokio::test]
async fn a_tenant_sees_its_keys_newest_first_with_their_state() {
    // Arrange: three keys of acme an hour apart (the second revoked, the third expiring), one
    // of another tenant.
    let keys = MemoryKeyRecords::new();
    let t0 = ts(T0);
    let (t1, t2) = (later(t0, 3_600_000), later(t0, 7_200_000));
    let expires = ts("2026-06-01T15:00:00Z");
    let a = issued_at(&keys, "acme", &[], None, t0).await;
    let b = issued_at(&keys, "acme", &[Scope::Tracker], None, t1).await;
    let c = issued_at(&keys, "acme", &[Scope::Heartbeats], Some(expires), t2).await;
    issued_at(&keys, "globex", &[], None, t0).await;
    let revoked_at = later(t2, 60_000);
    revoke(&keys, &tenant("acme"), &b.key_id, revoked_at)
        .await
        .unwrap();
    let used = later(t2, 120_000);
    verify(&keys, &a.api_key, Scope::Tracker, used)
        .await
        .unwrap();

    // Act
    let listed = list(&keys, &tenant("acme"), expires).await.unwrap();

    // Assert
    let view = |key_id: &str, created_at, scopes: Vec<Scope>| KeyView {
        key_id: key_id.to_owned(),
        label: "cron".into(),
        created_at,
        scopes,
        expires_at: None,
        last_used_at: None,
        revoked: false,
        revoked_at: None,
        active: true,
    };
    assert_eq!(
        listed,
        vec![
            KeyView {
                expires_at: Some(expires),
                active: false,
                ..view(&c.key_id, t2, vec![Scope::Heartbeats])
            },
            KeyView {
                revoked: true,
                revoked_at: Some(revoked_at),
                active: false,
                ..view(&b.key_id, t1, vec![Scope::Tracker])
            },
            KeyView {
                last_used_at: Some(used),
                ..view(&a.key_id, t0, Scope::ALL.to_vec())
            },
        ]
    );
    let json = serde_json::to_string(&listed).unwrap();
    for secret in [&a.api_key, &b.api_key, &c.api_key] {
        assert!(
            !json.contains(secret.as_str()),
            "a secret is listed: {json}"
        );
    }
    for r in keys.records() {
        assert!(!json.contains(&r.pk), "a hash is listed: {json}");
    }
}

#[tokio::test]
async fn a_key_is_active_until_the_second_of_its_expiry() {
    let keys = MemoryKeyRecords::new();
    let expires = ts("2026-06-01T13:00:00Z");
    issued_at(&keys, "acme", &[], Some(expires), ts(T0)).await;

    let before = list(&keys, &tenant("acme"), later(expires, -1))
        .await
        .unwrap();
    let at = list(&keys, &tenant("acme"), expires).await.unwrap();

    assert!(before[0].active);
    assert!(!at[0].active);
    assert_eq!(at[0].expires_at, Some(expires));
}

#[tokio::test]
async fn a_tenant_without_keys_gets_an_empty_list() {
    let keys = MemoryKeyRecords::new();
    issued(&keys).await;

    let listed = list(&keys, &tenant("globex"), ts(T0)).await.unwrap();

    assert!(listed.is_empty(), "{listed:?}");
}

#[tokio::test]
async fn listing_while_the_store_fails_is_a_store_error() {
    let keys = MemoryKeyRecords::new();
    issued(&keys).await;
    keys.set_failing(true);

    let err = list(&keys, &tenant("acme"), ts(T0)).await.unwrap_err();

    assert!(
        matches!(err, KeyError::Store(StoreError::Unavailable(_))),
        "{err:?}"
    );
}
