//! `get_session`: a session of the tenant's with its events in time order, a page at a time.

use serde_json::json;

use super::{add, clicks, started, tenant, ts};
use crate::add_events::add_events;
use crate::error::TrackerError;
use crate::get_session::get_session;
use crate::input::GetSession;
use crate::output::SessionOut;
use crate::store::memory::MemoryTracker;
use crate::store::sessions::Sessions;

fn get(session: &str, limit: Option<usize>, next_token: Option<&str>) -> GetSession {
    serde_json::from_value(json!({"sessionId": session, "limit": limit, "nextToken": next_token}))
        .unwrap()
}

async fn read(
    store: &MemoryTracker,
    who: &str,
    input: GetSession,
) -> Result<SessionOut, TrackerError> {
    get_session(&store.sessions, &store.events, &tenant(who), input).await
}

/// A session of acme's machine `m1` with `n` click events (`payload.n` = 0..n, a second apart).
async fn session_with(store: &MemoryTracker, n: usize) -> String {
    let acme = tenant("acme");
    let id = started(store, &acme, "m1", "2026-01-01T00:00:00Z").await;
    if n > 0 {
        add_events(
            &store.sessions,
            &store.events,
            &store.counters,
            &acme,
            add(&id, clicks(n)),
        )
        .await
        .unwrap();
    }
    id
}

#[tokio::test]
async fn returns_the_session_and_its_events_in_time_order() {
    let store = MemoryTracker::new(None);
    let acme = tenant("acme");
    let id = started(&store, &acme, "m1", "2026-01-01T00:00:00Z").await;
    let events = json!([
        {"eventAt": "2026-01-01T00:00:09Z", "eventType": "late", "payload": [1, 2]},
        {"eventAt": "2026-01-01T00:00:01Z", "eventType": "early"}
    ]);
    add_events(
        &store.sessions,
        &store.events,
        &store.counters,
        &acme,
        add(&id, events),
    )
    .await
    .unwrap();
    store
        .sessions
        .end(&acme, &id, ts("2026-01-01T01:00:00Z"))
        .await
        .unwrap();

    let out = read(&store, "acme", get(&id, None, None)).await.unwrap();

    assert_eq!(out.session_id, id);
    assert_eq!(out.user_id, "u1");
    assert_eq!(out.machine_id, "m1");
    assert_eq!(out.org_id, json!(7));
    assert_eq!(out.start_at, ts("2026-01-01T00:00:00Z"));
    assert_eq!(out.end_at, Some(ts("2026-01-01T01:00:00Z")));
    let types: Vec<_> = out.events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["early", "late"]);
    assert_eq!(out.events[0].payload, json!({}));
    assert_eq!(out.events[1].payload, json!([1, 2]));
    assert_eq!(out.events[1].event_at, ts("2026-01-01T00:00:09Z"));
    assert_eq!(
        out.events[0].session_id, None,
        "a session's own events do not repeat its id"
    );
    assert_eq!(out.next_token, None);
}

#[tokio::test]
async fn a_session_without_events_has_an_empty_list() {
    let store = MemoryTracker::new(None);
    let id = session_with(&store, 0).await;

    let out = read(&store, "acme", get(&id, None, None)).await.unwrap();

    assert!(out.events.is_empty());
    assert_eq!(out.next_token, None);
    assert_eq!(out.end_at, None);
}

#[tokio::test]
async fn pages_chain_through_every_event_once() {
    let store = MemoryTracker::new(None);
    let id = session_with(&store, 5).await;

    let first = read(&store, "acme", get(&id, Some(2), None)).await.unwrap();
    let token = first.next_token.clone().unwrap();
    let second = read(&store, "acme", get(&id, Some(2), Some(&token)))
        .await
        .unwrap();
    let token = second.next_token.clone().unwrap();
    let third = read(&store, "acme", get(&id, Some(2), Some(&token)))
        .await
        .unwrap();

    let ns = |out: &SessionOut| {
        out.events
            .iter()
            .map(|e| e.payload["n"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ns(&first), [json!(0), json!(1)]);
    assert_eq!(ns(&second), [json!(2), json!(3)]);
    assert_eq!(ns(&third), [json!(4)]);
    assert_eq!(third.next_token, None);
    // Every page names the session, whether or not it reached the session's own item.
    for page in [&first, &second, &third] {
        assert_eq!(page.session_id, id);
        assert_eq!(page.machine_id, "m1");
    }
}

#[tokio::test]
async fn a_page_that_holds_the_last_event_has_no_token() {
    let store = MemoryTracker::new(None);
    let id = session_with(&store, 2).await;

    let out = read(&store, "acme", get(&id, Some(2), None)).await.unwrap();

    assert_eq!(out.events.len(), 2);
    assert_eq!(out.next_token, None);
}

#[tokio::test]
async fn a_page_stops_at_its_byte_budget() {
    let store = MemoryTracker::new(None);
    let acme = tenant("acme");
    let id = started(&store, &acme, "m1", "2026-01-01T00:00:00Z").await;
    // 150 events of ~30 KB: more than one page's 4 MB.
    let big = "x".repeat(30 * 1024);
    let at = ts("2026-01-01T00:00:00Z");
    let events: Vec<_> = (0..150_i64)
        .map(|i| json!({"eventAt": at.plus_millis(i).unwrap(), "eventType": "big", "payload": {"b": big}}))
        .collect();
    add_events(
        &store.sessions,
        &store.events,
        &store.counters,
        &acme,
        add(&id, events.into()),
    )
    .await
    .unwrap();

    let first = read(&store, "acme", get(&id, None, None)).await.unwrap();
    let token = first.next_token.clone().unwrap();
    let rest = read(&store, "acme", get(&id, None, Some(&token)))
        .await
        .unwrap();

    assert!(
        (100..150).contains(&first.events.len()),
        "{}",
        first.events.len()
    );
    assert_eq!(first.events.len() + rest.events.len(), 150);
    assert_eq!(rest.next_token, None);
}

#[tokio::test]
async fn an_unknown_or_another_tenants_session_is_not_found() {
    let store = MemoryTracker::new(None);
    let id = session_with(&store, 1).await;

    let unknown = read(&store, "acme", get("nope", None, None))
        .await
        .unwrap_err();
    let foreign = read(&store, "globex", get(&id, None, None))
        .await
        .unwrap_err();
    let foreign_page = read(&store, "globex", get(&id, Some(1), None))
        .await
        .unwrap_err();

    assert!(
        matches!(unknown, TrackerError::SessionNotFound),
        "{unknown:?}"
    );
    assert!(
        matches!(foreign, TrackerError::SessionNotFound),
        "{foreign:?}"
    );
    assert!(
        matches!(foreign_page, TrackerError::SessionNotFound),
        "{foreign_page:?}"
    );
}

#[tokio::test]
async fn a_limit_out_of_range_is_invalid() {
    let store = MemoryTracker::new(None);
    let id = session_with(&store, 1).await;

    for limit in [0, 1001] {
        let err = read(&store, "acme", get(&id, Some(limit), None))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, TrackerError::Invalid(m) if m.contains("limit")),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn a_token_of_another_session_or_garbage_is_invalid() {
    let store = MemoryTracker::new(None);
    let a = session_with(&store, 3).await;
    let b = session_with(&store, 3).await;
    let token_of_a = read(&store, "acme", get(&a, Some(1), None))
        .await
        .unwrap()
        .next_token
        .unwrap();

    let crossed = read(&store, "acme", get(&b, Some(1), Some(&token_of_a)))
        .await
        .unwrap_err();
    let garbage = read(&store, "acme", get(&b, Some(1), Some("zz")))
        .await
        .unwrap_err();

    assert!(
        matches!(&crossed, TrackerError::Invalid(m) if m.contains("nextToken")),
        "{crossed:?}"
    );
    assert!(
        matches!(&garbage, TrackerError::Invalid(m) if m.contains("nextToken")),
        "{garbage:?}"
    );
    // The token still pages its own session.
    let next = read(&store, "acme", get(&a, Some(1), Some(&token_of_a)))
        .await
        .unwrap();
    assert_eq!(next.events[0].payload, json!({"n": 1}));
}
