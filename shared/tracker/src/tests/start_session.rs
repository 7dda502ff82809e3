//! `start_session`: a new open session of the tenant's, stored with what was sent.

use lookout_core::{time::Timestamp, StoreError};
use serde_json::json;

use super::{start, started, tenant, ts};
use crate::error::TrackerError;
use crate::input::StartSession;
use crate::start_session::start_session;
use crate::store::memory::MemoryTracker;
use crate::store::sessions::Sessions;

#[tokio::test]
async fn stores_an_open_session_of_the_tenant_under_a_fresh_id() {
    let store = MemoryTracker::new(None);
    let acme = tenant("acme");

    let id = start_session(&store.sessions, &acme, start("m1", "2026-01-01T10:00:00Z"))
        .await
        .unwrap();

    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    let rec = store.sessions.get(&id).unwrap();
    assert_eq!(rec.pk, format!("SESSION#{id}"));
    assert_eq!(rec.sk, "META");
    assert_eq!(rec.session_id, id);
    assert_eq!(rec.tenant, "acme");
    assert_eq!(rec.user_id, "u1");
    assert_eq!(rec.machine_id, "m1");
    assert_eq!(rec.org_id, "7");
    assert_eq!(rec.start_at, ts("2026-01-01T10:00:00Z"));
    assert_eq!(rec.end_at, None);
    assert_eq!(rec.expires_at, None, "kept for good without a retention");
    assert_eq!(store.sessions.count(), 1);
}

#[tokio::test]
async fn each_start_is_a_new_session() {
    let store = MemoryTracker::new(None);
    let acme = tenant("acme");

    let a = started(&store, &acme, "m1", "2026-01-01").await;
    let b = started(&store, &acme, "m1", "2026-01-01").await;

    assert_ne!(a, b);
    assert_eq!(store.sessions.count(), 2);
}

#[tokio::test]
async fn a_retention_stamps_the_session_to_expire() {
    let store = MemoryTracker::new(Some(30));
    let before = Timestamp::now().unix_seconds();

    let id = started(&store, &tenant("acme"), "m1", "2026-01-01").await;

    let expires = store.sessions.get(&id).unwrap().expires_at.unwrap();
    let after = Timestamp::now().unix_seconds();
    assert!(
        (before + 30 * 86_400..=after + 30 * 86_400).contains(&expires),
        "{expires}"
    );
}

#[tokio::test]
async fn the_org_id_is_kept_as_sent_or_null() {
    let store = MemoryTracker::new(None);
    let acme = tenant("acme");
    let named: StartSession = serde_json::from_value(
        json!({"userId": "u", "machineId": "m", "startAt": "2026-01-01", "orgId": "org-9"}),
    )
    .unwrap();
    let none: StartSession =
        serde_json::from_value(json!({"userId": "u", "machineId": "m", "startAt": "2026-01-01"}))
            .unwrap();

    let named = start_session(&store.sessions, &acme, named).await.unwrap();
    let none = start_session(&store.sessions, &acme, none).await.unwrap();

    assert_eq!(store.sessions.get(&named).unwrap().org_id, "\"org-9\"");
    assert_eq!(store.sessions.get(&none).unwrap().org_id, "null");
}

#[tokio::test]
async fn a_colliding_id_is_a_broken_invariant_not_an_overwrite() {
    let store = MemoryTracker::new(None);
    let id = started(&store, &tenant("acme"), "m1", "2026-01-01").await;
    let mut twin = store.sessions.get(&id).unwrap();
    twin.tenant = "other".into();

    let err = store.sessions.insert(&twin).await.unwrap_err();

    assert!(
        matches!(err, TrackerError::Store(StoreError::Invariant(_))),
        "{err:?}"
    );
    assert_eq!(store.sessions.get(&id).unwrap().tenant, "acme");
}
