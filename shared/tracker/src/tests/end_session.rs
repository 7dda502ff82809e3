//! `end_session`: open → ended, once, never before the session's start, only the tenant's.

use serde_json::json;

use super::{started, tenant, ts};
use crate::end_session::end_session;
use crate::error::TrackerError;
use crate::input::EndSession;
use crate::store::memory::MemoryTracker;

fn end(session: &str, end_at: &str) -> EndSession {
    serde_json::from_value(json!({"sessionId": session, "endAt": end_at})).unwrap()
}

#[tokio::test]
async fn ends_an_open_session_at_the_time_sent() {
    let store = MemoryTracker::new(None);
    let acme = tenant("acme");
    let id = started(&store, &acme, "m1", "2026-01-01T10:00:00Z").await;

    end_session(&store.sessions, &acme, end(&id, "2026-01-01T11:00:00Z"))
        .await
        .unwrap();

    let rec = store.sessions.get(&id).unwrap();
    assert_eq!(rec.end_at, Some(ts("2026-01-01T11:00:00Z")));
}

#[tokio::test]
async fn a_session_may_end_the_moment_it_started() {
    let store = MemoryTracker::new(None);
    let acme = tenant("acme");
    let id = started(&store, &acme, "m1", "2026-01-01T10:00:00Z").await;

    end_session(&store.sessions, &acme, end(&id, "2026-01-01T10:00:00Z"))
        .await
        .unwrap();

    assert_eq!(
        store.sessions.get(&id).unwrap().end_at,
        Some(ts("2026-01-01T10:00:00Z"))
    );
}

#[tokio::test]
async fn an_ended_session_cannot_end_again() {
    let store = MemoryTracker::new(None);
    let acme = tenant("acme");
    let id = started(&store, &acme, "m1", "2026-01-01T10:00:00Z").await;
    end_session(&store.sessions, &acme, end(&id, "2026-01-01T11:00:00Z"))
        .await
        .unwrap();

    let err = end_session(&store.sessions, &acme, end(&id, "2026-01-01T12:00:00Z"))
        .await
        .unwrap_err();

    assert!(matches!(err, TrackerError::AlreadyEnded), "{err:?}");
    assert_eq!(
        store.sessions.get(&id).unwrap().end_at,
        Some(ts("2026-01-01T11:00:00Z")),
        "the first end stands"
    );
}

#[tokio::test]
async fn an_end_before_the_start_is_invalid_and_leaves_it_open() {
    let store = MemoryTracker::new(None);
    let acme = tenant("acme");
    let id = started(&store, &acme, "m1", "2026-01-01T10:00:00Z").await;

    let err = end_session(&store.sessions, &acme, end(&id, "2026-01-01T09:59:59Z"))
        .await
        .unwrap_err();

    match err {
        TrackerError::Invalid(msg) => assert!(msg.contains("must not precede"), "{msg}"),
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(store.sessions.get(&id).unwrap().end_at, None);
}

#[tokio::test]
async fn an_unknown_session_is_not_found() {
    let store = MemoryTracker::new(None);

    let err = end_session(&store.sessions, &tenant("acme"), end("nope", "2026-01-01"))
        .await
        .unwrap_err();

    assert!(matches!(err, TrackerError::SessionNotFound), "{err:?}");
}

#[tokio::test]
async fn another_tenants_session_is_not_found_and_stays_open() {
    let store = MemoryTracker::new(None);
    let id = started(&store, &tenant("acme"), "m1", "2026-01-01T10:00:00Z").await;

    let err = end_session(&store.sessions, &tenant("globex"), end(&id, "2026-01-02"))
        .await
        .unwrap_err();

    assert!(matches!(err, TrackerError::SessionNotFound), "{err:?}");
    assert_eq!(store.sessions.get(&id).unwrap().end_at, None);
}
