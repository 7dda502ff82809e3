//! `update_incident`: each change one history entry under the incident's next version, the
//! version check, concurrent writes, and the status's way in and out of the overview.

use std::time::Duration;

use serde_json::{json, Value};

use super::support::World;
use crate::edits::update_incident;
use crate::error::IncidentError;
use crate::input::{IncidentUpdate, Status};
use crate::store::incidents::Incidents;
use crate::store::overview::Overview;

fn update(body: Value) -> IncidentUpdate {
    serde_json::from_value(body).unwrap()
}

/// A world with one open incident of app `billing`; its id.
async fn one_incident() -> (World, String) {
    let world = World::default();
    let code = world.register("billing").await;
    let id = world
        .report("billing", &code, "DB down", "error")
        .await
        .unwrap()
        .id;
    (world, id)
}

#[tokio::test]
async fn each_change_is_written_and_recorded_under_the_next_version() {
    let (world, id) = one_incident().await;
    world.clock.advance(Duration::from_secs(30));
    let now = world.clock.now();

    let answer = update_incident(
        &world.store.incidents,
        update(json!({
            "id": id, "status": "acknowledged", "assignee": "dana", "notes": "on it",
            "by": "ops", "version": 0
        })),
        now,
    )
    .await
    .unwrap();

    let stored = world.store.incidents.get(&id).await.unwrap();
    for detail in [&answer, &stored] {
        let i = &detail.incident;
        assert_eq!(
            (i.status, i.assignee.as_str(), i.notes.as_str(), i.version),
            (Status::Acknowledged, "dana", "on it", 1)
        );
        let history: Vec<(&str, &Value, &Value, &str)> = detail
            .history
            .iter()
            .map(|c| (c.field.as_str(), &c.from, &c.to, c.by.as_str()))
            .collect();
        assert_eq!(
            history,
            [
                ("status", &json!("open"), &json!("acknowledged"), "ops"),
                ("assignee", &json!(""), &json!("dana"), "ops"),
                ("notes", &json!(""), &json!("on it"), "ops"),
            ]
        );
        assert!(detail.history.iter().all(|c| c.at == now));
    }
}

#[tokio::test]
async fn changes_in_one_millisecond_are_all_kept_in_order() {
    let (world, id) = one_incident().await;
    let now = world.clock.now();

    for notes in ["first", "second"] {
        let u = update(json!({"id": id, "notes": notes}));
        update_incident(&world.store.incidents, u, now)
            .await
            .unwrap();
    }

    let detail = world.store.incidents.get(&id).await.unwrap();
    let to: Vec<&Value> = detail.history.iter().map(|c| &c.to).collect();
    assert_eq!(to, [&json!("first"), &json!("second")]);
    assert_eq!(detail.incident.version, 2);
    assert_eq!(detail.history[0].by, "admin", "no author given");
}

#[tokio::test]
async fn a_change_against_an_old_version_is_refused_and_nothing_is_written() {
    let (world, id) = one_incident().await;
    let now = world.clock.now();
    let first = update(json!({"id": id, "assignee": "dana", "version": 0}));
    update_incident(&world.store.incidents, first, now)
        .await
        .unwrap();

    let stale = update(json!({"id": id, "status": "resolved", "version": 0}));
    let refused = update_incident(&world.store.incidents, stale, now).await;

    assert!(
        matches!(refused, Err(IncidentError::Changed(_))),
        "{refused:?}"
    );
    let detail = world.store.incidents.get(&id).await.unwrap();
    assert_eq!(
        (detail.incident.status, detail.incident.version),
        (Status::Open, 1)
    );
    assert_eq!(detail.history.len(), 1);
}

#[tokio::test]
async fn an_incident_that_changed_after_it_was_read_is_not_overwritten() {
    let (world, id) = one_incident().await;
    let incidents = &world.store.incidents;
    let read = incidents.get(&id).await.unwrap().incident;
    // A repeat counted in between (count and last_seen move).
    world.clock.advance(Duration::from_secs(5));
    incidents.bump(&id, world.clock.now()).await.unwrap();
    let u = update(json!({"id": id, "status": "resolved"}));
    let changes = [crate::records::Change {
        at: world.clock.now(),
        field: "status".into(),
        from: json!("open"),
        to: json!("resolved"),
        by: "admin".into(),
    }];

    let lost = incidents.change(&read, &changes, u.status, 1).await;

    assert!(matches!(lost, Err(IncidentError::Changed(_))), "{lost:?}");
    let detail = incidents.get(&id).await.unwrap();
    assert_eq!(
        (detail.incident.status, detail.incident.count),
        (Status::Open, 2)
    );
    assert!(detail.history.is_empty());
}

#[tokio::test]
async fn values_as_they_are_change_nothing() {
    let (world, id) = one_incident().await;

    let same = update(json!({"id": id, "status": "open", "assignee": "", "notes": ""}));
    let detail = update_incident(&world.store.incidents, same, world.clock.now())
        .await
        .unwrap();

    assert_eq!(detail.incident.version, 0);
    let stored = world.store.incidents.get(&id).await.unwrap();
    assert!(stored.history.is_empty());
    assert_eq!(stored.incident.version, 0);
}

#[tokio::test]
async fn an_unknown_incident_or_an_empty_change_is_refused() {
    let world = World::default();
    let now = world.clock.now();

    let unknown = update_incident(
        &world.store.incidents,
        update(json!({"id": "nope", "status": "resolved"})),
        now,
    )
    .await;
    let empty = update_incident(&world.store.incidents, update(json!({"id": "x"})), now).await;
    let long = update(json!({"id": "x", "notes": "n".repeat(4001)}));
    let long = update_incident(&world.store.incidents, long, now).await;

    assert!(
        matches!(unknown, Err(IncidentError::IncidentNotFound)),
        "{unknown:?}"
    );
    for refused in [empty, long] {
        assert!(
            matches!(refused, Err(IncidentError::Invalid(_))),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn resolving_takes_an_incident_off_the_overview_and_reopening_brings_it_back() {
    let (world, id) = one_incident().await;
    let now = world.clock.now();
    let overview = &world.store.overview;
    assert_eq!(overview.open_incidents(5).await.unwrap().total, 1);

    let resolve = update(json!({"id": id, "status": "resolved"}));
    update_incident(&world.store.incidents, resolve, now)
        .await
        .unwrap();
    let while_resolved = overview.open_incidents(5).await.unwrap();
    let reopen = update(json!({"id": id, "status": "open"}));
    update_incident(&world.store.incidents, reopen, now)
        .await
        .unwrap();
    let reopened = overview.open_incidents(5).await.unwrap();

    assert_eq!((while_resolved.total, while_resolved.recent.len()), (0, 0));
    assert_eq!(reopened.total, 1);
    assert_eq!(reopened.recent[0].id, id);
    assert_eq!(reopened.recent[0].status, Status::Open);
    let history = world.store.incidents.get(&id).await.unwrap().history;
    let statuses: Vec<&Value> = history.iter().map(|c| &c.to).collect();
    assert_eq!(statuses, [&json!("resolved"), &json!("open")]);
}
