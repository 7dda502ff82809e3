//! [`beat`](crate::beat): registers unknown apps within the quota, moves the deadline, announces
//! recoveries, and re-decides on conflicts.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use lookout_core::events::TransitionKind;
use serde_json::json;

use super::{t0_plus, ts, World, T0};
use crate::error::HeartbeatError;
use crate::input::AppState;
use crate::record::MailKind;
use crate::store::memory::MemoryHeartbeatStore;
use crate::time::millis;

#[tokio::test]
async fn a_first_beat_registers_the_app_with_the_defaults() {
    let world = World::new();
    let reply = world.beat_app("acme", json!(7), "OK:200").await.unwrap();
    assert_eq!(reply.status, "ok");
    assert_eq!(reply.app_id, json!(7));
    assert_eq!((reply.state, reply.received_at), (AppState::Up, ts(T0)));
    assert_eq!(reply.due_by, Some(t0_plus(120_000)));
    let rec = world.rec();
    assert_eq!((rec.version, rec.beats), (1, 1));
    assert_eq!((rec.period_seconds, rec.grace_seconds), (60, 60));
    assert_eq!(rec.last_message.as_deref(), Some("OK:200"));
    assert_eq!(rec.due_at, Some(millis(ts(T0)) + 120_000));
    assert_eq!(rec.watch_at, Some(millis(ts(T0)) + 60_000));
    assert!(world.subjects().is_empty());
    assert!(world.events.transitions().is_empty());
}

#[tokio::test]
async fn a_beat_of_an_up_app_moves_its_deadline_and_announces_nothing() {
    let world = World::new();
    world.beat("first").await;
    world.at_ms(45_000);
    let reply = world.beat_app("acme", json!("7"), "second").await.unwrap();
    assert_eq!(reply.due_by, Some(t0_plus(165_000)));
    let rec = world.rec();
    assert_eq!((rec.version, rec.beats), (2, 2));
    assert_eq!(rec.deadline, millis(t0_plus(165_000)));
    assert_eq!(rec.last_beat_at, Some(t0_plus(45_000)));
    assert_eq!(rec.last_message.as_deref(), Some("second"));
    // Other tenants' apps of the same id are other apps.
    world.beat_app("globex", json!(7), "x").await.unwrap();
    assert_eq!(world.stored("globex", "7").beats, 1);
    assert_eq!(world.rec().beats, 2);
    assert!(world.subjects().is_empty());
}

#[tokio::test]
async fn a_beat_that_ends_an_outage_announces_the_recovery_once() {
    let world = World::new();
    world.beat("OK").await;
    world.at_ms(121_000);
    assert_eq!(world.scan().await.went_down, 1);
    world.at_ms(300_000);
    let reply = world.beat("back").await;
    assert_eq!(
        (reply.state, reply.due_by),
        (AppState::Up, Some(t0_plus(420_000)))
    );
    let rec = world.rec();
    assert_eq!(rec.state, AppState::Up);
    assert!(rec.outbox.is_none(), "sent and cleared");
    assert_eq!(rec.announced, Some(MailKind::Up));
    assert_eq!(world.subjects()[1], "[Lookout] UP: app 7 (acme) is back");
    let up = &world.events.transitions()[1];
    assert_eq!((up.kind, up.at), (TransitionKind::Up, t0_plus(300_000)));
    assert_eq!(up.app_id, "7");
    // Counted in the tenant's alert budget with the DOWN one.
    assert_eq!(
        world.store.budgets.counted("tenant acme", t0_plus(300_000)),
        (2, 0)
    );
    world.beat("again").await;
    assert_eq!(world.subjects().len(), 2);
}

#[tokio::test]
async fn a_recovery_whose_mail_fails_is_recorded_and_left_for_the_scanner() {
    let world = World::new();
    world.beat("OK").await;
    world.at_ms(121_000);
    world.scan().await;
    world.mail.set_failing(true);
    world.at_ms(200_000);
    let reply = world.beat("back").await;
    assert_eq!(reply.state, AppState::Up);
    let rec = world.rec();
    let outbox = rec.outbox.clone().unwrap();
    assert_eq!((outbox.kind, outbox.attempts), (MailKind::Up, 1));
    assert_eq!(rec.lease_until, Some(millis(t0_plus(200_000)) + 120_000));
    assert_eq!(rec.due_at, rec.lease_until, "due again when the lease ends");
}

#[tokio::test]
async fn new_apps_beyond_the_tenant_quota_are_refused() {
    let world = World::over(MemoryHeartbeatStore::new().with_max_apps(2));
    world.beat_app("acme", json!(1), "a").await.unwrap();
    world.beat_app("acme", json!(2), "b").await.unwrap();
    let refused = world.beat_app("acme", json!(3), "c").await;
    assert!(
        matches!(refused, Err(HeartbeatError::Quota(_))),
        "{refused:?}"
    );
    assert_eq!(world.store.apps.len(), 2);
    // Existing apps still beat, and other tenants have their own quota.
    world.beat_app("acme", json!(2), "b").await.unwrap();
    world.beat_app("globex", json!(3), "c").await.unwrap();
    assert_eq!(world.store.apps.len(), 3);
}

#[tokio::test]
async fn a_beat_of_a_paused_app_is_recorded_without_watching_it() {
    let world = World::new();
    world.admin(json!({"app_id": 7})).await.unwrap();
    world
        .admin(json!({"app_id": 7, "action": "pause"}))
        .await
        .unwrap();
    let reply = world.beat("still running").await;
    assert_eq!((reply.state, reply.due_by), (AppState::Paused, None));
    let rec = world.rec();
    assert_eq!((rec.beats, rec.due_at), (1, None));
    assert_eq!(rec.last_message.as_deref(), Some("still running"));
}

#[tokio::test]
async fn a_beat_racing_another_writer_is_re_decided_from_what_it_wrote() {
    let world = World::new();
    world.beat("OK").await;
    world.at_ms(121_000);
    world.scan().await;
    // Another writer changes the item once between the read and the write.
    let once = Arc::new(AtomicBool::new(true));
    world.store.apps.interfere(Some(Arc::new(move |rec| {
        if once.swap(false, Ordering::SeqCst) {
            rec.version += 1;
            rec.last_message = Some("theirs".into());
        }
    })));
    world.at_ms(130_000);
    let reply = world.beat("back").await;
    assert_eq!(reply.state, AppState::Up);
    let rec = world.rec();
    assert_eq!(rec.last_message.as_deref(), Some("back"));
    assert_eq!(rec.beats, 2);
    assert_eq!(world.subjects().len(), 2, "one recovery mail");

    // A writer that always wins: the beat gives up.
    world
        .store
        .apps
        .interfere(Some(Arc::new(|rec| rec.version += 1)));
    world.at_ms(300_000);
    let mut paused = world.rec();
    paused.state = AppState::Paused;
    world.store.apps.insert(paused);
    let lost = world.beat_app("acme", json!(7), "x").await;
    assert!(matches!(lost, Err(HeartbeatError::Contention)), "{lost:?}");
}

#[tokio::test]
async fn a_store_outage_is_a_store_error() {
    let world = World::new();
    world.store.apps.set_failing(true);
    let failed = world.beat_app("acme", json!(7), "x").await;
    assert!(
        matches!(failed, Err(HeartbeatError::Store(_))),
        "{failed:?}"
    );
    world.store.apps.set_failing(false);
    assert!(world.store.apps.is_empty());
}
