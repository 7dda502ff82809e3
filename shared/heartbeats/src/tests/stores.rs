//! The in-memory stores keep the DynamoDB adapters' semantics that the use cases rely on:
//! conditional puts answer with the current item, the fast beat's condition, the sparse
//! indexes, the budgets' counts and the ingestion health's condition.

use std::collections::BTreeMap;

use serde_json::json;

use super::{t0_plus, tenant, ts, written, T0};
use crate::input::{AppId, AppState, HeartbeatIn};
use crate::output::ScanReport;
use crate::record::AppRecord;
use crate::store::apps::{Apps, FastBeat};
use crate::store::budgets::Budgets;
use crate::store::due::DueItems;
use crate::store::ingestion::{HealthRecord, IngestionRecords, WatchedRecord, HEALTH_PK};
use crate::store::memory::MemoryHeartbeatStore;
use crate::store::watch::Watchlist;
use crate::store::Put;
use crate::time::millis;
use crate::HeartbeatError;

fn app(name: &str, id: &str) -> AppRecord {
    AppRecord::new(&tenant(name), &AppId(id.into()), ts(T0), 60, 60)
}

#[tokio::test]
async fn puts_are_conditioned_on_absence_or_the_version_read() {
    let store = MemoryHeartbeatStore::new();
    let rec = app("acme", "1");
    assert!(written(&store.apps.put_if(&rec, None).await.unwrap()));
    // Created twice: the second loses and sees the first.
    let again = store.apps.put_if(&rec, None).await.unwrap();
    assert!(matches!(again, Put::Conflict(Some(ref now)) if now.version == 1));
    // A stale version loses, the current one wins.
    let mut next = rec.clone();
    next.version = 2;
    next.beats = 9;
    assert!(matches!(
        store.apps.put_if(&next, Some(7)).await.unwrap(),
        Put::Conflict(Some(_))
    ));
    assert!(written(&store.apps.put_if(&next, Some(1)).await.unwrap()));
    assert_eq!(store.apps.get(&rec.pk).await.unwrap().unwrap().beats, 9);
    // A versioned put of a missing item: a conflict with nothing.
    let ghost = app("acme", "ghost");
    assert!(matches!(
        store.apps.put_if(&ghost, Some(1)).await.unwrap(),
        Put::Conflict(None)
    ));
    assert_eq!(store.apps.len(), 1);
}

#[tokio::test]
async fn the_fast_beat_applies_only_to_a_plain_up_app() {
    let store = MemoryHeartbeatStore::new();
    let beat: HeartbeatIn =
        serde_json::from_value(json!({"app_id": "1", "message": "hi"})).unwrap();
    let rec = app("acme", "1");
    assert!(matches!(
        store.apps.fast_beat(&rec.pk, &beat, ts(T0)).await.unwrap(),
        FastBeat::NotApplicable(None)
    ));
    store.apps.insert(rec.clone());
    let now = t0_plus(30_000);
    let FastBeat::Done { deadline } = store.apps.fast_beat(&rec.pk, &beat, now).await.unwrap()
    else {
        panic!("an up app takes the fast path");
    };
    let done = store.apps.record(&rec.pk).unwrap();
    assert_eq!(deadline, done.deadline);
    assert_eq!((done.version, done.beats), (2, 1));
    assert_eq!(done.deadline, millis(now) + 120_000);
    assert_eq!(done.due_at, Some(millis(now) + 120_000));
    assert_eq!(done.watch_at, Some(millis(now) + 60_000));
    assert_eq!(done.last_message.as_deref(), Some("hi"));
    let mut down = done;
    down.state = AppState::Down;
    store.apps.insert(down.clone());
    assert!(matches!(
        store.apps.fast_beat(&rec.pk, &beat, now).await.unwrap(),
        FastBeat::NotApplicable(Some(ref r)) if **r == down
    ));
}

#[tokio::test]
async fn the_due_index_holds_what_is_due_and_the_watch_index_late_and_down_apps() {
    let store = MemoryHeartbeatStore::new();
    let mut up = app("acme", "up");
    let mut down = app("acme", "down");
    down.state = AppState::Down;
    down.down_since = Some(ts(T0));
    down.refresh_due();
    let mut paused = app("globex", "paused");
    paused.state = AppState::Paused;
    paused.refresh_due();
    up.refresh_due();
    for rec in [&up, &down, &paused] {
        store.apps.insert(rec.clone());
    }
    let mut report = ScanReport::default();
    let due = store.due.read_due(t0_plus(119_000), 10, &mut report).await;
    assert!(due.apps.is_empty(), "nothing due before the deadline");
    assert_eq!(report.queries, 8, "one query per shard");
    let due = store.due.read_due(t0_plus(120_000), 10, &mut report).await;
    assert_eq!(
        due.apps
            .iter()
            .map(|r| r.app_id.as_str())
            .collect::<Vec<_>>(),
        ["up"],
        "down and paused apps are not in the index"
    );
    assert_eq!(report.due, 1);
    let watched = store.due.watched_by_tenant(200).await.unwrap();
    assert_eq!(watched, Some(BTreeMap::from([("acme".to_owned(), 1)])));
    assert_eq!(store.due.watched_by_tenant(3).await.unwrap(), None);

    let attention = store.watch.attention(t0_plus(61_000)).await.unwrap();
    assert_eq!(attention.down.len(), 1);
    assert_eq!(attention.down[0].app_id, json!("down"));
    assert_eq!(attention.late.len(), 1, "late once past the period");
    assert_eq!(attention.late[0].since, t0_plus(60_000));
    let early = store.watch.attention(t0_plus(59_000)).await.unwrap();
    assert!(early.late.is_empty());
}

#[tokio::test]
async fn budgets_count_per_scope_and_hour_and_folded_ones_are_due_at_its_end() {
    let store = MemoryHeartbeatStore::new().with_alert_budget(2);
    let now = t0_plus(600_000);
    for n in 1..=3 {
        let rec = store.budgets.count("tenant acme", now).await.unwrap();
        assert_eq!((rec.n, rec.budget), (n, 2));
    }
    let rec = store.budgets.count("tenant globex", now).await.unwrap();
    assert_eq!(rec.n, 1, "another scope");
    let next_hour = store
        .budgets
        .count("tenant acme", t0_plus(3_600_000))
        .await
        .unwrap();
    assert_eq!(next_hour.n, 1, "another hour");

    let acme = store.budgets.record("tenant acme", now).unwrap();
    store.budgets.fold(&acme, Some("line")).await.unwrap();
    store.budgets.fold(&acme, None).await.unwrap();
    let folded = store.budgets.record("tenant acme", now).unwrap();
    assert_eq!(
        (folded.folded, folded.lines.clone()),
        (2, vec!["line".to_owned()])
    );
    assert_eq!(folded.due_at, Some(millis(ts(T0)) + 3_600_000));
    let mut report = ScanReport::default();
    let due = store
        .due
        .read_due(t0_plus(3_600_000), 10, &mut report)
        .await;
    assert_eq!(due.budgets.len(), 1);
    assert!(due.apps.is_empty());
    store.budgets.clear_due(&folded.pk).await.unwrap();
    let due = store
        .due
        .read_due(t0_plus(3_600_000), 10, &mut report)
        .await;
    assert!(due.budgets.is_empty());

    store.budgets.set_failing(true);
    assert!(matches!(
        store.budgets.count("tenant acme", now).await,
        Err(HeartbeatError::Store(_))
    ));
}

#[tokio::test]
async fn the_ingestion_health_is_written_only_over_what_was_read() {
    let store = MemoryHeartbeatStore::new();
    let degraded = HealthRecord {
        pk: HEALTH_PK.to_owned(),
        state: "degraded".to_owned(),
        since: 1,
        silent: 10,
        watched: 12,
        recovered_at: None,
        notified: false,
    };
    assert_eq!(store.ingestion.health().await.unwrap(), None);
    assert_eq!(
        store.ingestion.put_health(&degraded, None).await.unwrap(),
        None
    );
    assert!(store.ingestion.degraded());
    // A second scan that read nothing loses, and learns the current state.
    assert_eq!(
        store.ingestion.put_health(&degraded, None).await.unwrap(),
        Some(degraded.clone())
    );
    let notified = HealthRecord {
        notified: true,
        ..degraded.clone()
    };
    assert_eq!(
        store
            .ingestion
            .put_health(&notified, Some(&degraded))
            .await
            .unwrap(),
        None
    );
    // Written over a stale read (not notified yet): refused.
    let stale = HealthRecord {
        state: "normal".to_owned(),
        ..degraded.clone()
    };
    assert_eq!(
        store
            .ingestion
            .put_health(&stale, Some(&degraded))
            .await
            .unwrap(),
        Some(notified.clone())
    );
    assert_eq!(store.ingestion.health().await.unwrap(), Some(notified));

    let count = WatchedRecord {
        pk: "SCANNER#watched".to_owned(),
        at: 5,
        total: 3,
        tenants: BTreeMap::from([("acme".to_owned(), 3)]),
    };
    store.ingestion.put_watched(&count).await.unwrap();
    assert_eq!(store.ingestion.last_watched().await.unwrap(), Some(count));
}
