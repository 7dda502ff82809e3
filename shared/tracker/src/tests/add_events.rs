//! `add_events`: events of an open session of the tenant's, stored all or nothing with the
//! session's check and the day's quota count.

use std::sync::atomic::{AtomicUsize, Ordering};

use lookout_core::{auth::Tenant, time::Timestamp, BoxFuture};
use serde_json::json;

use super::{add, clicks, started, tenant};
use crate::add_events::add_events;
use crate::error::TrackerError;
use crate::quota::TrackerQuota;
use crate::records::SessionRecord;
use crate::store::memory::{MemorySessions, MemoryTracker};
use crate::store::sessions::Sessions;

async fn add_to(
    store: &MemoryTracker,
    tenant: &Tenant,
    input: crate::input::AddEvents,
) -> Result<usize, TrackerError> {
    add_events(
        &store.sessions,
        &store.events,
        &store.counters,
        tenant,
        input,
    )
    .await
}

fn quota(events_per_day: u64, bytes_per_day: u64) -> TrackerQuota {
    TrackerQuota {
        events_per_day,
        bytes_per_day,
    }
}

#[tokio::test]
async fn stores_the_events_in_the_session_and_the_machine_index() {
    let store = MemoryTracker::new(None);
    let acme = tenant("acme");
    let id = started(&store, &acme, "m1", "2026-01-01").await;
    let events = json!([
        {"eventAt": "2026-01-01T00:00:02Z", "eventType": "scroll", "payload": {"y": 10}},
        {"eventAt": "2026-01-01T00:00:01Z", "eventType": "click"}
    ]);

    let stored = add_to(&store, &acme, add(&id, events)).await.unwrap();

    assert_eq!(stored, 2);
    let recs = store.events.records();
    assert_eq!(recs.len(), 2);
    // Key order is time order within the session's partition.
    assert_eq!(recs[0].event_type, "click");
    assert_eq!(recs[0].payload, "{}");
    assert_eq!(recs[1].event_type, "scroll");
    assert_eq!(recs[1].payload, r#"{"y":10}"#);
    for rec in &recs {
        assert_eq!(rec.pk, format!("SESSION#{id}"));
        assert!(rec.sk.starts_with("EVENT#2026-01-01T00:00:0"), "{}", rec.sk);
        assert_eq!(rec.gsi1pk, "MACHINE#acme#m1");
        assert!(rec.gsi1sk.contains(&format!("#{id}#")), "{}", rec.gsi1sk);
        assert_eq!(rec.session_id, id);
    }
}

#[tokio::test]
async fn the_day_counts_the_events_and_their_bytes() {
    let store = MemoryTracker::new(None);
    let acme = tenant("acme");
    let id = started(&store, &acme, "m1", "2026-01-01").await;

    add_to(&store, &acme, add(&id, clicks(3))).await.unwrap();

    let (events, bytes) = store.counters.counted(&acme, Timestamp::now());
    assert_eq!(events, 3);
    assert!(bytes > 3 * 100, "{bytes}");
    assert_eq!(
        store.counters.counted(&tenant("globex"), Timestamp::now()),
        (0, 0)
    );
}

#[tokio::test]
async fn a_retry_overwrites_its_events_and_is_counted_again() {
    let store = MemoryTracker::new(None);
    let acme = tenant("acme");
    let id = started(&store, &acme, "m1", "2026-01-01").await;

    add_to(&store, &acme, add(&id, clicks(2))).await.unwrap();
    add_to(&store, &acme, add(&id, clicks(2))).await.unwrap();

    assert_eq!(
        store.events.count(),
        2,
        "the retry overwrote its own events"
    );
    assert_eq!(store.counters.counted(&acme, Timestamp::now()).0, 4);
}

#[tokio::test]
async fn an_add_pushes_the_sessions_expiry_forward() {
    let store = MemoryTracker::new(Some(7));
    let acme = tenant("acme");
    let id = started(&store, &acme, "m1", "2026-01-01").await;
    let mut rec = store.sessions.get(&id).unwrap();
    // As if written a day ago.
    rec.expires_at = rec.expires_at.map(|e| e - 86_400);
    let stale = rec.expires_at.unwrap();
    store.sessions.replace(rec);

    add_to(&store, &acme, add(&id, clicks(1))).await.unwrap();

    let session_expiry = store.sessions.get(&id).unwrap().expires_at.unwrap();
    assert!(
        session_expiry >= stale + 86_400,
        "{session_expiry} vs {stale}"
    );
    assert_eq!(store.events.records()[0].expires_at, Some(session_expiry));
}

#[tokio::test]
async fn an_empty_or_oversized_list_is_invalid_and_stores_nothing() {
    let store = MemoryTracker::new(None);
    let acme = tenant("acme");
    let id = started(&store, &acme, "m1", "2026-01-01").await;

    let empty = add_to(&store, &acme, add(&id, json!([])))
        .await
        .unwrap_err();
    let many = add_to(&store, &acme, add(&id, clicks(1001)))
        .await
        .unwrap_err();

    assert!(
        matches!(&empty, TrackerError::Invalid(m) if m.contains("at least one")),
        "{empty:?}"
    );
    assert!(
        matches!(&many, TrackerError::Invalid(m) if m.contains("limit is 1000")),
        "{many:?}"
    );
    assert_eq!(store.events.count(), 0);
    assert_eq!(store.counters.counted(&acme, Timestamp::now()), (0, 0));
}

#[tokio::test]
async fn an_unknown_or_another_tenants_session_is_not_found() {
    let store = MemoryTracker::new(None);
    let id = started(&store, &tenant("acme"), "m1", "2026-01-01").await;

    let unknown = add_to(&store, &tenant("acme"), add("nope", clicks(1)))
        .await
        .unwrap_err();
    let foreign = add_to(&store, &tenant("globex"), add(&id, clicks(1)))
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
    assert_eq!(store.events.count(), 0);
    assert_eq!(
        store.counters.counted(&tenant("globex"), Timestamp::now()),
        (0, 0)
    );
}

#[tokio::test]
async fn an_ended_session_takes_no_events() {
    let store = MemoryTracker::new(None);
    let acme = tenant("acme");
    let id = started(&store, &acme, "m1", "2026-01-01").await;
    assert!(store
        .sessions
        .end(&acme, &id, Timestamp::now())
        .await
        .unwrap());

    let err = add_to(&store, &acme, add(&id, clicks(1)))
        .await
        .unwrap_err();

    assert!(matches!(err, TrackerError::SessionEnded), "{err:?}");
    assert_eq!(store.events.count(), 0);
}

#[tokio::test]
async fn a_full_day_refuses_the_whole_request_and_stores_nothing_of_it() {
    let store = MemoryTracker::new(None).with_quota(quota(3, 1 << 30));
    let acme = tenant("acme");
    let id = started(&store, &acme, "m1", "2026-01-01").await;
    add_to(&store, &acme, add(&id, clicks(2))).await.unwrap();

    let err = add_to(
        &store,
        &acme,
        add(&id, clicks(4).as_array().unwrap()[2..].into()),
    )
    .await
    .unwrap_err();

    match err {
        TrackerError::Quota(q) => {
            assert!(q.message.contains("tenant acme"), "{}", q.message);
            assert!(q.retry_after >= 1);
        }
        other => panic!("expected Quota, got {other:?}"),
    }
    assert_eq!(store.events.count(), 2);
    assert_eq!(store.counters.counted(&acme, Timestamp::now()).0, 2);
    // Another tenant's day is its own.
    let globex = tenant("globex");
    let theirs = started(&store, &globex, "m1", "2026-01-01").await;
    assert_eq!(
        add_to(&store, &globex, add(&theirs, clicks(3)))
            .await
            .unwrap(),
        3
    );
}

#[tokio::test]
async fn the_last_room_of_the_day_is_used_exactly() {
    let store = MemoryTracker::new(None).with_quota(quota(3, 1 << 30));
    let acme = tenant("acme");
    let id = started(&store, &acme, "m1", "2026-01-01").await;
    add_to(&store, &acme, add(&id, clicks(2))).await.unwrap();

    let last = add_to(
        &store,
        &acme,
        add(&id, json!([{"eventAt": "2026-01-02", "eventType": "x"}])),
    )
    .await
    .unwrap();
    let over = add_to(
        &store,
        &acme,
        add(&id, json!([{"eventAt": "2026-01-03", "eventType": "x"}])),
    )
    .await
    .unwrap_err();

    assert_eq!(last, 1);
    assert!(matches!(over, TrackerError::Quota(_)), "{over:?}");
    assert_eq!(store.events.count(), 3);
}

#[tokio::test]
async fn the_byte_quota_counts_too() {
    let store = MemoryTracker::new(None).with_quota(quota(1000, 2_000));
    let acme = tenant("acme");
    let id = started(&store, &acme, "m1", "2026-01-01").await;
    let big =
        json!([{"eventAt": "2026-01-01", "eventType": "x", "payload": {"b": "y".repeat(1200)}}]);
    add_to(&store, &acme, add(&id, big.clone())).await.unwrap();

    let err = add_to(&store, &acme, add(&id, clicks(2)))
        .await
        .unwrap_err();

    assert!(matches!(err, TrackerError::Quota(_)), "{err:?}");
    assert_eq!(store.events.count(), 1);
}

#[tokio::test]
async fn a_request_bigger_than_a_whole_day_is_refused_before_anything_is_counted() {
    let store = MemoryTracker::new(None).with_quota(quota(2, 1 << 30));
    let acme = tenant("acme");
    let id = started(&store, &acme, "m1", "2026-01-01").await;

    let err = add_to(&store, &acme, add(&id, clicks(3)))
        .await
        .unwrap_err();

    assert!(matches!(err, TrackerError::Quota(_)), "{err:?}");
    assert_eq!(store.events.count(), 0);
    assert_eq!(store.counters.counted(&acme, Timestamp::now()), (0, 0));
}

#[tokio::test]
async fn a_request_of_several_transactions_stores_every_chunk() {
    let store = MemoryTracker::new(None);
    let acme = tenant("acme");
    let id = started(&store, &acme, "m1", "2026-01-01").await;

    let stored = add_to(&store, &acme, add(&id, clicks(250))).await.unwrap();

    assert_eq!(stored, 250);
    assert_eq!(store.events.count(), 250);
    assert_eq!(store.counters.counted(&acme, Timestamp::now()).0, 250);
}

#[tokio::test]
async fn a_request_of_several_transactions_without_room_writes_no_chunk() {
    let store = MemoryTracker::new(None).with_quota(quota(200, 1 << 30));
    let acme = tenant("acme");
    let id = started(&store, &acme, "m1", "2026-01-01").await;
    add_to(
        &store,
        &acme,
        add(&id, json!([{"eventAt": "2025-12-31", "eventType": "x"}])),
    )
    .await
    .unwrap();

    // Counted chunk by chunk, the first two (98 each) would pass and the third not.
    let err = add_to(&store, &acme, add(&id, clicks(200)))
        .await
        .unwrap_err();

    assert!(matches!(err, TrackerError::Quota(_)), "{err:?}");
    assert_eq!(store.events.count(), 1, "no chunk was stored");
    assert_eq!(store.counters.counted(&acme, Timestamp::now()).0, 1);
}

/// Sessions whose first `load` answers from before the session ended (a racing
/// `end_session`); every other call is the real store's.
#[derive(Debug)]
struct StaleRead<'a> {
    inner: &'a MemorySessions,
    before: SessionRecord,
    loads: AtomicUsize,
}

impl Sessions for StaleRead<'_> {
    fn expires_at(&self) -> Option<i64> {
        self.inner.expires_at()
    }

    fn insert<'a>(&'a self, record: &'a SessionRecord) -> BoxFuture<'a, Result<(), TrackerError>> {
        self.inner.insert(record)
    }

    fn load<'a>(
        &'a self,
        tenant: &'a Tenant,
        id: &'a str,
    ) -> BoxFuture<'a, Result<SessionRecord, TrackerError>> {
        if self.loads.fetch_add(1, Ordering::SeqCst) == 0 {
            let before = self.before.clone();
            return Box::pin(async move { Ok(before) });
        }
        self.inner.load(tenant, id)
    }

    fn find<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, TrackerError>> {
        self.inner.find(id)
    }

    fn end<'a>(
        &'a self,
        tenant: &'a Tenant,
        id: &'a str,
        end_at: Timestamp,
    ) -> BoxFuture<'a, Result<bool, TrackerError>> {
        self.inner.end(tenant, id, end_at)
    }
}

#[tokio::test]
async fn a_session_ended_between_the_read_and_the_write_takes_no_events() {
    let store = MemoryTracker::new(None);
    let acme = tenant("acme");
    let id = started(&store, &acme, "m1", "2026-01-01").await;
    let before = store.sessions.get(&id).unwrap();
    assert!(store
        .sessions
        .end(&acme, &id, Timestamp::now())
        .await
        .unwrap());
    let racing = StaleRead {
        inner: &store.sessions,
        before,
        loads: AtomicUsize::new(0),
    };

    let err = add_events(
        &racing,
        &store.events,
        &store.counters,
        &acme,
        add(&id, clicks(1)),
    )
    .await
    .unwrap_err();

    assert!(matches!(err, TrackerError::SessionEnded), "{err:?}");
    assert_eq!(
        racing.loads.load(Ordering::SeqCst),
        2,
        "read again to say why"
    );
    assert_eq!(store.events.count(), 0);
    assert_eq!(store.counters.counted(&acme, Timestamp::now()), (0, 0));
}
