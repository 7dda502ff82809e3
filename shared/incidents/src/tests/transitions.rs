//! `apply_transition`: a heartbeat app's outage as an incident (down opens or joins, up
//! resolves), and events that arrive twice or out of order.

use serde_json::json;

use lookout_core::{
    events::{AppTransition, TransitionKind},
    time::Timestamp,
};

use super::support::at;
use crate::error::IncidentError;
use crate::grouping::group_pk;
use crate::input::{IncidentLevel, Status};
use crate::store::groups::Groups;
use crate::store::incidents::Incidents;
use crate::store::memory::table::MemoryIncidentStore;
use crate::store::overview::Overview;
use crate::transitions::{apply_transition, TransitionOutcome};

fn event(kind: TransitionKind, seq: u64, when: Timestamp) -> AppTransition {
    AppTransition {
        tenant: "acme".into(),
        app_id: "db:main".into(),
        kind,
        seq,
        at: when,
        reason: (kind == TransitionKind::Down).then(|| "silent: overdue".to_owned()),
        app: Some(json!({"app_id": "db:main", "state": "down", "runs": []})),
    }
}

fn down(seq: u64, when: &str) -> AppTransition {
    event(TransitionKind::Down, seq, at(when))
}

fn up(seq: u64, when: &str) -> AppTransition {
    event(TransitionKind::Up, seq, at(when))
}

async fn apply(
    store: &MemoryIncidentStore,
    ev: &AppTransition,
) -> Result<TransitionOutcome, IncidentError> {
    apply_transition(store, ev, None, None).await
}

/// The outage group's last applied `seq`.
async fn applied_seq(store: &MemoryIncidentStore) -> Option<u64> {
    let gpk = group_pk("acme db-main", "App db:main is down", IncidentLevel::Crit);
    store
        .groups
        .get(&gpk)
        .await
        .unwrap()
        .and_then(|g| g.applied_seq)
}

fn opened(outcome: TransitionOutcome) -> String {
    match outcome {
        TransitionOutcome::Opened(id) => id,
        other => panic!("expected Opened, got {other:?}"),
    }
}

#[tokio::test]
async fn going_down_opens_an_incident_with_the_app_as_its_snapshot() {
    let store = MemoryIncidentStore::default();

    let id = opened(
        apply(&store, &down(1, "2030-01-01T10:00:00Z"))
            .await
            .unwrap(),
    );

    let detail = store.incidents.get(&id).await.unwrap();
    let i = &detail.incident;
    assert_eq!(
        (i.app_name.as_str(), i.title.as_str(), i.message.as_str()),
        ("acme db-main", "App db:main is down", "silent: overdue")
    );
    assert_eq!(
        (i.level, i.status, i.count),
        (IncidentLevel::Crit, Status::Open, 1)
    );
    assert_eq!(i.first_seen, at("2030-01-01T10:00:00Z"));
    assert_eq!(i.heartbeat.as_ref().unwrap()["state"], "down");
    assert!(i.recent_logs.is_empty());
    assert!(!i.notified, "outages are not mailed from here");
    assert_eq!(applied_seq(&store).await, Some(1));
    let volume = store
        .overview
        .volume(at("2030-01-01T12:00:00Z"))
        .await
        .unwrap();
    assert_eq!(volume.last().unwrap().by_level.get("crit"), Some(&1));
}

#[tokio::test]
async fn a_second_outage_joins_the_unresolved_incident() {
    let store = MemoryIncidentStore::default();
    let id = opened(
        apply(&store, &down(1, "2030-01-01T10:00:00Z"))
            .await
            .unwrap(),
    );

    let again = apply(&store, &down(3, "2030-01-01T10:05:00Z"))
        .await
        .unwrap();

    assert_eq!(again, TransitionOutcome::Joined(id.clone()));
    let i = store.incidents.get(&id).await.unwrap().incident;
    assert_eq!((i.count, i.last_seen), (2, at("2030-01-01T10:05:00Z")));
    assert_eq!(applied_seq(&store).await, Some(3));
}

#[tokio::test]
async fn recovery_resolves_the_incident_in_its_history() {
    let store = MemoryIncidentStore::default();
    let id = opened(
        apply(&store, &down(1, "2030-01-01T10:00:00Z"))
            .await
            .unwrap(),
    );

    let outcome = apply(&store, &up(2, "2030-01-01T10:30:00Z")).await.unwrap();

    assert_eq!(outcome, TransitionOutcome::Resolved(id.clone()));
    let detail = store.incidents.get(&id).await.unwrap();
    assert_eq!(
        (detail.incident.status, detail.incident.version),
        (Status::Resolved, 1)
    );
    assert_eq!(detail.history.len(), 1);
    let change = &detail.history[0];
    assert_eq!(
        (change.field.as_str(), change.by.as_str(), change.at),
        ("status", "heartbeat", at("2030-01-01T10:30:00Z"))
    );
    assert_eq!(
        (&change.from, &change.to),
        (&json!("open"), &json!("resolved"))
    );
    assert_eq!(store.overview.open_incidents(5).await.unwrap().total, 0);
    assert_eq!(applied_seq(&store).await, Some(2));
}

#[tokio::test]
async fn a_redelivered_or_older_event_changes_nothing() {
    let store = MemoryIncidentStore::default();
    let id = opened(
        apply(&store, &down(1, "2030-01-01T10:00:00Z"))
            .await
            .unwrap(),
    );
    apply(&store, &up(2, "2030-01-01T10:30:00Z")).await.unwrap();

    let redelivered = apply(&store, &up(2, "2030-01-01T10:30:00Z")).await.unwrap();
    let late_down = apply(&store, &down(1, "2030-01-01T10:00:00Z"))
        .await
        .unwrap();

    assert_eq!(redelivered, TransitionOutcome::Skipped);
    assert_eq!(
        late_down,
        TransitionOutcome::Skipped,
        "a late down never reopens"
    );
    let detail = store.incidents.get(&id).await.unwrap();
    assert_eq!(
        (detail.incident.status, detail.incident.count),
        (Status::Resolved, 1)
    );
    assert_eq!(detail.history.len(), 1);
    assert_eq!(applied_seq(&store).await, Some(2));
}

#[tokio::test]
async fn recovery_without_an_outage_is_skipped_but_marked() {
    let store = MemoryIncidentStore::default();

    let outcome = apply(&store, &up(4, "2030-01-01T10:00:00Z")).await.unwrap();

    assert_eq!(outcome, TransitionOutcome::Skipped);
    assert_eq!(applied_seq(&store).await, Some(4));
    let open = store.overview.open_incidents(5).await.unwrap();
    assert_eq!(open.total, 0);
    // An older down after it is stale too.
    let stale = apply(&store, &down(3, "2030-01-01T09:59:00Z"))
        .await
        .unwrap();
    assert_eq!(stale, TransitionOutcome::Skipped);
}

#[tokio::test]
async fn the_next_outage_after_recovery_is_a_new_incident() {
    let store = MemoryIncidentStore::default();
    let first = opened(
        apply(&store, &down(1, "2030-01-01T10:00:00Z"))
            .await
            .unwrap(),
    );
    apply(&store, &up(2, "2030-01-01T10:30:00Z")).await.unwrap();

    let second = opened(
        apply(&store, &down(3, "2030-01-02T08:00:00Z"))
            .await
            .unwrap(),
    );

    assert_ne!(second, first);
    let open = store.overview.open_incidents(5).await.unwrap();
    assert_eq!(open.total, 1);
    assert_eq!(open.recent[0].id, second);
    // A second `up` for an incident already resolved answers it resolved, without a change.
    let again = apply(&store, &up(4, "2030-01-02T09:00:00Z")).await.unwrap();
    assert_eq!(again, TransitionOutcome::Resolved(second.clone()));
    let repeat = apply(&store, &up(5, "2030-01-02T09:10:00Z")).await.unwrap();
    assert_eq!(repeat, TransitionOutcome::Resolved(second.clone()));
    assert_eq!(store.incidents.get(&second).await.unwrap().history.len(), 1);
}
