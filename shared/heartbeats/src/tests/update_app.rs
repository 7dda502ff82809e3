//! [`update_app`](crate::update_app): registers apps with their settings, changes them, pauses,
//! resumes and retires; refuses actions on unknown apps, bad settings and impossible changes;
//! re-decides on conflicts.

use std::sync::Arc;

use serde_json::json;

use super::{t0_plus, ts, World, T0};
use crate::error::HeartbeatError;
use crate::input::AppState;
use crate::limits::RETIRED_RETENTION_DAYS;
use crate::time::millis;

#[tokio::test]
async fn registers_an_app_with_its_settings_then_changes_them() {
    let world = World::new();
    let (view, created) = world
        .admin(json!({"app_id": "backup", "period_seconds": 300, "grace_seconds": 30}))
        .await
        .unwrap();
    assert!(created);
    assert_eq!((view.app_id, view.state), (json!("backup"), AppState::Up));
    assert_eq!((view.period_seconds, view.grace_seconds), (300, 30));
    assert_eq!(view.due_by, Some(t0_plus(330_000)));
    let rec = world.stored("acme", "backup");
    assert_eq!(
        (rec.version, rec.beats, rec.due_at),
        (1, 0, Some(millis(ts(T0)) + 330_000))
    );

    world.at_ms(10_000);
    let (view, created) = world
        .admin(json!({"app_id": "backup", "period_seconds": 600}))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!((view.period_seconds, view.grace_seconds), (600, 30));
    let rec = world.stored("acme", "backup");
    assert_eq!(rec.version, 2);
    assert_eq!(
        rec.deadline,
        millis(ts(T0)) + 630_000,
        "from the start of the watch"
    );
}

#[tokio::test]
async fn pause_resume_and_retire_move_the_app_in_and_out_of_the_scanners_sight() {
    let world = World::new();
    world.beat("OK").await;
    let (view, _) = world
        .admin(json!({"app_id": 7, "action": "pause"}))
        .await
        .unwrap();
    assert_eq!((view.state, view.due_by), (AppState::Paused, None));
    assert_eq!(world.rec().due_at, None);
    world.at_ms(3_600_000);
    assert_eq!(world.scan().await.due, 0, "a paused app is never due");

    let (view, _) = world
        .admin(json!({"app_id": 7, "action": "resume"}))
        .await
        .unwrap();
    assert_eq!(view.state, AppState::Up);
    assert_eq!(
        view.due_by,
        Some(t0_plus(3_600_000 + 120_000)),
        "a fresh deadline"
    );

    let (view, _) = world
        .admin(json!({"app_id": 7, "action": "retire"}))
        .await
        .unwrap();
    assert_eq!(view.state, AppState::Retired);
    assert_eq!(
        world.rec().expires_at,
        Some(t0_plus(3_600_000).unix_seconds() + RETIRED_RETENTION_DAYS * 86_400)
    );
    let refused = world.admin(json!({"app_id": 7, "action": "pause"})).await;
    assert!(
        matches!(refused, Err(HeartbeatError::StateConflict(_))),
        "{refused:?}"
    );
    assert_eq!(world.rec().state, AppState::Retired, "nothing written");
    assert!(
        world.subjects().is_empty(),
        "admin changes are not announced"
    );
}

#[tokio::test]
async fn pausing_a_down_app_ends_its_outage_in_the_book() {
    let world = World::new();
    world.beat("OK").await;
    world.at_ms(121_000);
    world.scan().await;
    world.at_ms(181_000);
    world
        .admin(json!({"app_id": 7, "action": "pause"}))
        .await
        .unwrap();
    let rec = world.rec();
    assert_eq!((rec.state, rec.down_since), (AppState::Paused, None));
    assert_eq!(rec.downtime.values().sum::<u32>(), 61);
}

#[tokio::test]
async fn unknown_apps_and_bad_settings_are_refused() {
    let world = World::new();
    let missing = world.admin(json!({"app_id": 9, "action": "resume"})).await;
    match missing {
        Err(HeartbeatError::NotRegistered { tenant, app_id }) => {
            assert_eq!((tenant.as_str(), app_id.as_str()), ("acme", "9"));
        }
        other => panic!("{other:?}"),
    }
    for bad in [
        json!({"app_id": 9, "period_seconds": 5}),
        json!({"app_id": 9, "grace_seconds": 90_000}),
        json!({"app_id": 9, "schedule": "not a cron"}),
    ] {
        let refused = world.admin(bad.clone()).await;
        assert!(
            matches!(refused, Err(HeartbeatError::Invalid(_))),
            "{bad}: {refused:?}"
        );
    }
    assert!(world.store.apps.is_empty());
}

#[tokio::test]
async fn a_change_racing_a_beat_keeps_the_beat() {
    let world = World::new();
    world.beat("OK").await;
    let once = Arc::new(std::sync::atomic::AtomicBool::new(true));
    world.store.apps.interfere(Some(Arc::new(move |rec| {
        if once.swap(false, std::sync::atomic::Ordering::SeqCst) {
            rec.version += 1;
            rec.beats += 1;
        }
    })));
    let (view, created) = world
        .admin(json!({"app_id": 7, "grace_seconds": 10}))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!((view.grace_seconds, view.heartbeats), (10, 2));
    assert_eq!(world.rec().version, 3);

    world
        .store
        .apps
        .interfere(Some(Arc::new(|rec| rec.version += 1)));
    let lost = world.admin(json!({"app_id": 7, "grace_seconds": 20})).await;
    assert!(matches!(lost, Err(HeartbeatError::Contention)), "{lost:?}");
}
