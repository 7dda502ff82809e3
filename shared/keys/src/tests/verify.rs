//! [`verify`]: the holder, refusals (unknown, revoked, expired to the second, out of scope),
//! the last use written at most once an hour and best effort.

use lookout_core::StoreError;

use super::*;
use crate::{revoke, verify, KeyError, Principal};

#[tokio::test]
async fn a_valid_key_gives_its_holder_and_records_its_first_use() {
    // Arrange
    let keys = MemoryKeyRecords::new();
    let key = issued(&keys).await;
    let now = later(ts(T0), 5_000);

    // Act
    let who = verify(&keys, &key.api_key, Scope::Tracker, now)
        .await
        .unwrap();

    // Assert
    assert_eq!(
        who,
        Principal {
            tenant: tenant("acme"),
            key_id: key.key_id.clone(),
        }
    );
    assert_eq!(keys.record(&key.key_id).unwrap().last_used_at, Some(now));
}

#[tokio::test]
async fn an_unknown_or_overlong_key_is_unknown_and_nothing_is_written() {
    let keys = MemoryKeyRecords::new();
    let key = issued(&keys).await;
    let overlong = format!("{}{}", key.api_key, "0".repeat(256));

    for wrong in [
        "lk_0000".to_owned(),
        key.api_key.to_uppercase(),
        overlong,
        String::new(),
    ] {
        let err = verify(&keys, &wrong, Scope::Tracker, ts(T0))
            .await
            .unwrap_err();
        assert!(matches!(err, KeyError::Unknown), "{wrong}: {err:?}");
    }
    assert_eq!(keys.record(&key.key_id).unwrap().last_used_at, None);
}

#[tokio::test]
async fn a_key_removed_by_its_ttl_is_unknown() {
    let keys = MemoryKeyRecords::new();
    let key = issued(&keys).await;
    assert!(keys.remove(&key.key_id));

    let err = verify(&keys, &key.api_key, Scope::Tracker, ts(T0))
        .await
        .unwrap_err();

    assert!(matches!(err, KeyError::Unknown), "{err:?}");
    assert!(keys.is_empty());
}

#[tokio::test]
async fn a_key_works_until_the_second_of_its_expiry_and_not_from_it() {
    // Arrange
    let keys = MemoryKeyRecords::new();
    let expires = ts("2026-06-01T13:00:00Z");
    let key = issued_at(&keys, "acme", &[], Some(expires), ts(T0)).await;

    // Act
    let just_before = verify(&keys, &key.api_key, Scope::Heartbeats, later(expires, -1)).await;
    let at = verify(&keys, &key.api_key, Scope::Heartbeats, expires).await;
    let after = verify(
        &keys,
        &key.api_key,
        Scope::Heartbeats,
        later(expires, 1_000),
    )
    .await;

    // Assert
    assert_eq!(just_before.unwrap().key_id, key.key_id);
    assert!(matches!(at, Err(KeyError::Expired)), "{at:?}");
    assert!(matches!(after, Err(KeyError::Expired)), "{after:?}");
    let stored = keys.record(&key.key_id).unwrap();
    assert_eq!(stored.last_used_at, Some(later(expires, -1)));
}

#[tokio::test]
async fn a_key_is_refused_outside_its_scopes_and_named_with_them() {
    let keys = MemoryKeyRecords::new();
    let one = issued_at(&keys, "acme", &[Scope::Heartbeats], None, ts(T0)).await;
    let two = issued_at(
        &keys,
        "acme",
        &[Scope::Messenger, Scope::Heartbeats],
        None,
        ts(T0),
    )
    .await;

    let ok = verify(&keys, &one.api_key, Scope::Heartbeats, ts(T0)).await;
    let out = verify(&keys, &one.api_key, Scope::Tracker, ts(T0)).await;
    let out_two = verify(&keys, &two.api_key, Scope::Tracker, ts(T0)).await;
    let ok_two = verify(&keys, &two.api_key, Scope::Messenger, ts(T0)).await;

    assert_eq!(ok.unwrap().key_id, one.key_id);
    match out {
        Err(KeyError::OutOfScope { granted, wanted }) => {
            assert_eq!((granted.as_str(), wanted), ("heartbeats", "tracker"));
        }
        other => panic!("expected OutOfScope, got {other:?}"),
    }
    match out_two {
        Err(KeyError::OutOfScope { granted, wanted }) => {
            assert_eq!(
                (granted.as_str(), wanted),
                ("heartbeats, messenger", "tracker")
            );
        }
        other => panic!("expected OutOfScope, got {other:?}"),
    }
    assert_eq!(ok_two.unwrap().key_id, two.key_id);
}

#[tokio::test]
async fn a_key_without_scopes_works_for_every_scope() {
    let keys = MemoryKeyRecords::new();
    let key = issued(&keys).await;

    for scope in Scope::ALL {
        let who = verify(&keys, &key.api_key, scope, ts(T0)).await.unwrap();
        assert_eq!(who.key_id, key.key_id, "{scope:?}");
    }
}

#[tokio::test]
async fn a_revoked_key_is_revoked_even_past_its_expiry() {
    // Arrange
    let keys = MemoryKeyRecords::new();
    let expires = ts("2026-06-02T00:00:00Z");
    let key = issued_at(&keys, "acme", &[], Some(expires), ts(T0)).await;
    revoke(&keys, &tenant("acme"), &key.key_id, later(ts(T0), 1_000))
        .await
        .unwrap();

    // Act
    let soon = verify(&keys, &key.api_key, Scope::Tracker, later(ts(T0), 2_000)).await;
    let past_expiry = verify(&keys, &key.api_key, Scope::Tracker, later(expires, 1_000)).await;

    // Assert
    assert!(matches!(soon, Err(KeyError::Revoked)), "{soon:?}");
    assert!(
        matches!(past_expiry, Err(KeyError::Revoked)),
        "{past_expiry:?}"
    );
    assert_eq!(keys.record(&key.key_id).unwrap().last_used_at, None);
}

#[tokio::test]
async fn the_last_use_is_written_at_most_once_an_hour() {
    let keys = MemoryKeyRecords::new();
    let key = issued(&keys).await;
    let first = later(ts(T0), 60_000);
    let last_used = |keys: &MemoryKeyRecords| keys.record(&key.key_id).unwrap().last_used_at;

    verify(&keys, &key.api_key, Scope::Tracker, first)
        .await
        .unwrap();
    assert_eq!(last_used(&keys), Some(first));

    let within = later(first, 3_600_000 - 1);
    verify(&keys, &key.api_key, Scope::Tracker, within)
        .await
        .unwrap();
    assert_eq!(last_used(&keys), Some(first));

    let hour = later(first, 3_600_000);
    verify(&keys, &key.api_key, Scope::Tracker, hour)
        .await
        .unwrap();
    assert_eq!(last_used(&keys), Some(hour));
}

#[tokio::test]
async fn a_failed_last_use_write_does_not_refuse_the_key() {
    let keys = MemoryKeyRecords::new();
    let key = issued(&keys).await;
    keys.set_touch_failing(true);

    let who = verify(&keys, &key.api_key, Scope::Messenger, ts(T0)).await;

    assert_eq!(who.unwrap().key_id, key.key_id);
    assert_eq!(keys.record(&key.key_id).unwrap().last_used_at, None);
}

#[tokio::test]
async fn a_failing_store_is_a_store_error_not_a_refusal() {
    let keys = MemoryKeyRecords::new();
    let key = issued(&keys).await;
    keys.set_failing(true);

    let err = verify(&keys, &key.api_key, Scope::Tracker, ts(T0))
        .await
        .unwrap_err();

    assert!(
        matches!(err, KeyError::Store(StoreError::Unavailable(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_record_with_a_broken_tenant_is_an_invariant_error() {
    let keys = MemoryKeyRecords::new();
    let key = issued(&keys).await;
    let mut record = keys.record(&key.key_id).unwrap();
    record.tenant = "not a tenant!".into();
    keys.insert(record);

    let err = verify(&keys, &key.api_key, Scope::Tracker, ts(T0))
        .await
        .unwrap_err();

    assert!(
        matches!(err, KeyError::Store(StoreError::Invariant(_))),
        "{err:?}"
    );
}
