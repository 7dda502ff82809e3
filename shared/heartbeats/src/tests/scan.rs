//! [`scan`](crate::scan): silent apps go down and are announced (one by one, or as a digest),
//! runs past their runtime too; alert budgets fold what is over and send the digest after the
//! hour; a mass silence is held as degraded ingestion, and its end rearms the silent apps;
//! failures are counted, never stop the run.

use lookout_core::events::TransitionKind;
use serde_json::json;

use super::{t0_plus, World};
use crate::input::{AppState, SignalKind};
use crate::store::memory::MemoryHeartbeatStore;
use crate::time::millis;

/// Beats of `n` apps of `tenant` (ids `<tenant>-<i>`) at the clock's now.
async fn beat_apps(world: &World, tenant: &str, n: usize) {
    for i in 0..n {
        world
            .beat_app(tenant, json!(format!("{tenant}-{i}")), "OK")
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_run_with_nothing_due_reads_every_shard_and_changes_nothing() {
    let world = World::new();
    beat_apps(&world, "acme", 2).await;
    world.at_ms(60_000);
    let report = world.scan().await;
    assert_eq!((report.queries, report.due, report.items_read), (8, 0, 0));
    assert_eq!(
        (report.went_down, report.mails_sent, report.errors),
        (0, 0, 0)
    );
    assert_eq!(report.now, t0_plus(60_000).to_rfc3339());
    assert_eq!(world.stored("acme", "acme-0").version, 1);
}

#[tokio::test]
async fn a_silent_app_goes_down_once_and_is_announced_everywhere() {
    let world = World::new();
    world.beat("OK").await;
    world.at_ms(120_001);
    let report = world.scan().await;
    assert_eq!((report.due, report.went_down, report.mails_sent), (1, 1, 1));
    let rec = world.rec();
    assert_eq!(rec.state, AppState::Down);
    assert_eq!(rec.down_since, Some(t0_plus(120_000)));
    assert_eq!((rec.outbox, rec.due_at), (None, None));
    assert_eq!(world.subjects(), ["[Lookout] DOWN: app 7 (acme) is silent"]);
    let events = world.events.transitions();
    assert_eq!((events.len(), events[0].kind), (1, TransitionKind::Down));
    assert_eq!(events[0].seq, rec.version - 1, "the transition's version");
    let alerts = world.events.alerts();
    assert_eq!(alerts.len(), 1);
    assert!(
        alerts[0].text.starts_with("[Lookout] DOWN: app 7"),
        "{}",
        alerts[0].text
    );
    assert_eq!(
        world.store.budgets.counted("tenant acme", world.now()),
        (1, 0)
    );
    // The next run finds nothing.
    world.at_ms(600_000);
    assert_eq!(world.scan().await.due, 0);
    assert_eq!(world.subjects().len(), 1);
}

#[tokio::test]
async fn many_transitions_in_one_run_are_one_digest() {
    let world = World::new();
    beat_apps(&world, "acme", 3).await;
    world.at_ms(121_000);
    let report = world.scan().await;
    assert_eq!(
        (report.went_down, report.mails_sent, report.digests),
        (3, 1, 1)
    );
    assert_eq!(world.subjects(), ["[Lookout] 3 apps DOWN"]);
    let body = &world.mail.sent()[0].text;
    assert!(body.contains("DOWN  acme-1 (acme): silent"), "{body}");
    assert_eq!(world.events.transitions().len(), 3, "one event per app");
    assert_eq!(world.events.alerts().len(), 1, "one digest alert");
    for i in 0..3 {
        let rec = world.stored("acme", &format!("acme-{i}"));
        assert_eq!((rec.state, rec.outbox), (AppState::Down, None));
    }
}

#[tokio::test]
async fn alerts_over_the_budget_are_folded_into_the_hours_digest() {
    let world = World::over(MemoryHeartbeatStore::new().with_alert_budget(1));
    world.beat_app("acme", json!("a"), "OK").await.unwrap();
    world.at_ms(60_000);
    world.beat_app("acme", json!("b"), "OK").await.unwrap();
    world.at_ms(121_000);
    assert_eq!(world.scan().await.mails_sent, 1);
    world.at_ms(181_000);
    let report = world.scan().await;
    // Announced (its outbox is done with) by folding it, not by a mail of its own.
    assert_eq!(
        (report.went_down, report.mails_sent, report.mail_errors),
        (1, 1, 0)
    );
    assert_eq!(world.subjects().len(), 1, "folded, not sent");
    assert_eq!(world.events.alerts().len(), 1, "nor sent to the messengers");
    assert_eq!(
        world.stored("acme", "b").outbox,
        None,
        "announced by the digest"
    );
    assert_eq!(
        world.events.transitions().len(),
        2,
        "the incidents still hear of it"
    );
    assert_eq!(
        world.store.budgets.counted("tenant acme", world.now()),
        (2, 1)
    );

    // The hour is over: its digest goes out once.
    world.at_ms(3_600_000);
    let report = world.scan().await;
    assert_eq!((report.mails_sent, report.digests), (1, 1));
    let digest = &world.mail.sent()[1];
    assert!(
        digest
            .subject
            .starts_with("[Lookout] tenant acme: 1 more alerts"),
        "{}",
        digest.subject
    );
    assert!(digest
        .text
        .contains("[Lookout] DOWN: app b (acme) is silent"));
    world.at_ms(3_700_000);
    assert_eq!(world.scan().await.mails_sent, 0);
}

#[tokio::test]
async fn a_run_past_its_maximum_runtime_takes_the_app_down() {
    let world = World::new();
    world
        .admin(json!({"app_id": 7, "max_runtime_seconds": 30}))
        .await
        .unwrap();
    world
        .signal(SignalKind::Start, json!({"app_id": 7, "run_id": "nightly"}))
        .await
        .unwrap();
    assert_eq!(world.rec().due_at, Some(millis(t0_plus(30_000))));
    world.at_ms(30_001);
    let report = world.scan().await;
    assert_eq!(report.went_down, 1);
    let rec = world.rec();
    assert_eq!(rec.state, AppState::Down);
    assert!(
        rec.down_reason
            .as_deref()
            .unwrap()
            .starts_with("run nightly started at"),
        "{:?}",
        rec.down_reason
    );
    assert!(rec.open_runs.is_empty());
}

#[tokio::test]
async fn a_mass_silence_is_held_as_degraded_ingestion_and_its_end_rearms_the_silent() {
    let world = World::new();
    beat_apps(&world, "acme", 6).await;
    beat_apps(&world, "globex", 6).await;
    world.at_ms(121_000);
    let report = world.scan().await;
    assert!(report.degraded);
    assert_eq!((report.held, report.went_down), (12, 0));
    assert_eq!(
        world.subjects(),
        ["[Lookout] Heartbeats are not reaching Lookout"]
    );
    assert!(world.store.ingestion.degraded());
    assert!(world.store.ingestion.stored_health().unwrap().notified);
    assert_eq!(world.stored("globex", "globex-5").state, AppState::Up);
    assert_eq!(
        world.store.ingestion.stored_watched().unwrap().total,
        12,
        "the watched apps were counted"
    );
    // Still silent: still held, no second notice.
    world.at_ms(181_000);
    let report = world.scan().await;
    assert_eq!((report.held, report.mails_sent), (12, 0));

    // Four come back: the eight still silent are not a mass silence any more.
    for i in 0..4 {
        world
            .beat_app("acme", json!(format!("acme-{i}")), "back")
            .await
            .unwrap();
    }
    world.at_ms(241_000);
    let report = world.scan().await;
    assert!(!report.degraded);
    assert_eq!((report.rearmed, report.went_down), (8, 0));
    assert!(!world.store.ingestion.degraded());
    assert_eq!(
        world.subjects()[1],
        "[Lookout] Heartbeats reach Lookout again"
    );
    let rearmed = world.stored("globex", "globex-0");
    assert_eq!(rearmed.state, AppState::Up);
    assert_eq!(rearmed.deadline, millis(t0_plus(241_000 + 120_000)));
    // Silent through their extra period while the others beat: down, as usual (eight at
    // once: a digest).
    world.at_ms(300_000);
    for i in 0..4 {
        world
            .beat_app("acme", json!(format!("acme-{i}")), "fine")
            .await
            .unwrap();
    }
    world.at_ms(241_000 + 120_001);
    let report = world.scan().await;
    assert_eq!((report.went_down, report.digests), (8, 1));
}

#[tokio::test]
async fn a_failing_store_is_counted_and_the_next_run_catches_up() {
    let world = World::new();
    world.beat("OK").await;
    world.at_ms(121_000);
    world.store.apps.set_failing(true);
    let report = world.scan().await;
    assert_eq!((report.due, report.errors, report.went_down), (1, 1, 0));
    assert_eq!(world.rec().state, AppState::Up);
    world.store.apps.set_failing(false);
    world.at_ms(181_000);
    let report = world.scan().await;
    assert_eq!(
        (report.went_down, report.mails_sent, report.errors),
        (1, 1, 0)
    );
}

#[tokio::test]
async fn an_unsent_transition_is_counted_and_kept_when_the_queue_fails() {
    let world = World::new();
    world.beat("OK").await;
    world.events.set_failing(true);
    world.at_ms(121_000);
    let report = world.scan().await;
    assert_eq!(
        (report.went_down, report.mail_errors, report.mails_sent),
        (1, 1, 0)
    );
    assert!(world.subjects().is_empty(), "no mail before its event");
    assert!(world.rec().outbox.is_some());
    world.events.set_failing(false);
    world.at_ms(121_000 + 120_000);
    let report = world.scan().await;
    assert_eq!((report.retried, report.mails_sent), (1, 1));
    assert_eq!(world.events.transitions().len(), 1);
    assert!(world.rec().outbox.is_none());
}
