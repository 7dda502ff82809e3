//! [`signal`](crate::signal): runs started and finished, failures beyond the tolerance taking
//! the app down (announced), successes bringing it back, snoozes, and the input's rules.

use lookout_core::events::TransitionKind;
use serde_json::json;

use super::{t0_plus, World};
use crate::error::HeartbeatError;
use crate::input::{AppState, SignalKind};
use crate::runs::RunOutcome;
use crate::store::memory::MemoryHeartbeatStore;
use crate::time::millis;

#[tokio::test]
async fn a_start_and_its_success_make_one_run_with_its_duration() {
    let world = World::new();
    let started = world
        .signal(SignalKind::Start, json!({"app_id": 7, "run_id": "r1"}))
        .await
        .unwrap();
    assert_eq!(
        (
            started.signal.as_str(),
            started.run_id.as_deref(),
            started.state
        ),
        ("start", Some("r1"), AppState::Up)
    );
    assert!(started.run.is_none());
    assert_eq!(world.rec().open_runs.len(), 1);
    world.at_ms(42_000);
    let done = world
        .signal(SignalKind::Success, json!({"app_id": 7, "message": "ok"}))
        .await
        .unwrap();
    let run = done.run.unwrap();
    assert_eq!(run.run_id.as_deref(), Some("r1"));
    assert_eq!(
        (run.outcome, run.duration_ms),
        (RunOutcome::Success, Some(42_000))
    );
    assert_eq!(
        done.due_by,
        Some(t0_plus(42_000 + 120_000)),
        "a success is a beat"
    );
    let rec = world.rec();
    assert!(rec.open_runs.is_empty());
    assert_eq!(rec.runs.len(), 1);
    assert_eq!((rec.beats, rec.last_message.as_deref()), (1, Some("ok")));
    assert!(world.subjects().is_empty());
}

#[tokio::test]
async fn a_failure_beyond_the_tolerance_takes_the_app_down_and_a_success_brings_it_back() {
    let world = World::new();
    let failed = world
        .signal(SignalKind::Exit, json!({"app_id": 7, "exit_code": 2}))
        .await
        .unwrap();
    assert_eq!(failed.state, AppState::Down);
    assert_eq!(failed.due_by, None);
    assert_eq!(failed.run.unwrap().outcome, RunOutcome::Fail);
    let rec = world.rec();
    assert_eq!(
        rec.down_reason.as_deref(),
        Some("run failed with exit code 2")
    );
    assert!(rec.outbox.is_none(), "announced and cleared");
    let down = &world.events.transitions()[0];
    assert_eq!(down.kind, TransitionKind::Down);
    assert_eq!(down.reason.as_deref(), Some("run failed with exit code 2"));
    assert_eq!(world.subjects().len(), 1);

    world.at_ms(60_000);
    let back = world
        .signal(SignalKind::Exit, json!({"app_id": 7, "exit_code": 0}))
        .await
        .unwrap();
    assert_eq!(back.state, AppState::Up);
    assert_eq!(world.subjects()[1], "[Lookout] UP: app 7 (acme) is back");
    assert_eq!(world.events.transitions()[1].kind, TransitionKind::Up);
    assert_eq!(world.rec().downtime.values().sum::<u32>(), 60);
}

#[tokio::test]
async fn failures_within_the_tolerance_keep_the_app_up() {
    let world = World::new();
    world
        .admin(json!({"app_id": 7, "fail_tolerance": {"failures": 2, "runs": 3}}))
        .await
        .unwrap();
    let first = world
        .signal(SignalKind::Fail, json!({"app_id": 7}))
        .await
        .unwrap();
    assert_eq!(first.state, AppState::Up);
    world.at_ms(10_000);
    let second = world
        .signal(SignalKind::Fail, json!({"app_id": 7}))
        .await
        .unwrap();
    assert_eq!(second.state, AppState::Down, "two of the last three failed");
    assert_eq!(world.subjects().len(), 1);
}

#[tokio::test]
async fn a_snoozed_app_does_not_go_down_on_a_failure() {
    let world = World::new();
    let until = t0_plus(3_600_000);
    let snoozed = world
        .signal(SignalKind::Snooze, json!({"app_id": 7, "until": until}))
        .await
        .unwrap();
    assert_eq!(snoozed.snoozed_until, Some(until));
    let failed = world
        .signal(SignalKind::Fail, json!({"app_id": 7}))
        .await
        .unwrap();
    assert_eq!(failed.state, AppState::Up);
    assert_eq!(world.rec().runs.len(), 1, "recorded all the same");
    assert!(world.subjects().is_empty());
    // Not due before the snooze ends, whatever the deadline.
    assert_eq!(world.rec().due_at, Some(millis(until)));
}

#[tokio::test]
async fn bad_signals_are_refused_before_anything_is_stored() {
    let world = World::new();
    let exit = world.signal(SignalKind::Exit, json!({"app_id": 7})).await;
    assert!(matches!(exit, Err(HeartbeatError::Invalid(_))), "{exit:?}");
    let far = t0_plus(31 * 86_400_000);
    let snooze = world
        .signal(SignalKind::Snooze, json!({"app_id": 7, "until": far}))
        .await;
    assert!(
        matches!(snooze, Err(HeartbeatError::Invalid(_))),
        "{snooze:?}"
    );
    assert!(world.store.apps.is_empty());
}

#[tokio::test]
async fn a_signal_of_a_new_app_counts_against_the_quota() {
    let world = World::over(MemoryHeartbeatStore::new().with_max_apps(1));
    world
        .signal(SignalKind::Start, json!({"app_id": 1}))
        .await
        .unwrap();
    let refused = world.signal(SignalKind::Start, json!({"app_id": 2})).await;
    assert!(
        matches!(refused, Err(HeartbeatError::Quota(_))),
        "{refused:?}"
    );
    assert_eq!(world.store.apps.len(), 1);
}
