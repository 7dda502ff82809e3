//! [`ping`](crate::ping): Healthchecks' pings on the one state machine: an unknown check refused
//! or registered (`create`, with Healthchecks' defaults and within the app quota), bodies kept
//! as outputs, `log` changing nothing, exit statuses, the per-check throttle, the check UUID.

use serde_json::json;

use super::{tenant, World};
use crate::error::HeartbeatError;
use crate::input::{AppId, AppState};
use crate::limits::PINGS_PER_MINUTE;
use crate::ping::{ping, ping_output, PingCommand, PingKind, PingOutcome};
use crate::runs::RunOutcome;
use crate::store::apps::Apps;
use crate::store::memory::MemoryHeartbeatStore;
use crate::store::pings::Pings;

fn cmd(app: &str, kind: PingKind, body: &str, create: bool) -> PingCommand {
    PingCommand {
        tenant: tenant("acme"),
        app_id: AppId::parse_str(app).unwrap(),
        ping_id: None,
        kind,
        run_id: None,
        create,
        body: body.as_bytes().to_vec(),
        truncated: false,
    }
}

async fn send(world: &World, c: PingCommand) -> Result<PingOutcome, HeartbeatError> {
    let ports = world.store.api_ports(world.notify(), &world.clock);
    ping(&ports, &world.store.pings, c).await
}

#[tokio::test]
async fn a_uuid_ping_records_only_on_the_app_that_has_that_uuid() {
    let world = World::new();
    let got = send(&world, cmd("db", PingKind::Success, "", true)).await;
    assert_eq!(got.unwrap(), PingOutcome::Created);
    let stored = world.store.apps.record("APP#acme#db").unwrap();
    let uuid = stored.ping_id.clone().unwrap();
    // Another UUID (the app was registered again since that UUID was looked up): not this check.
    let by_uuid = |id: String| PingCommand {
        ping_id: Some(id),
        ..cmd("db", PingKind::Success, "", false)
    };
    let other = uuid::Uuid::new_v4().hyphenated().to_string();
    let got = send(&world, by_uuid(other)).await;
    assert_eq!(got.unwrap(), PingOutcome::NotFound);
    assert_eq!(world.store.apps.record("APP#acme#db").unwrap(), stored);
    let got = send(&world, by_uuid(uuid)).await;
    assert_eq!(got.unwrap(), PingOutcome::Recorded);
    assert_eq!(
        world.store.apps.record("APP#acme#db").unwrap().version,
        stored.version + 1
    );
}

#[tokio::test]
async fn an_unknown_check_is_not_found_unless_created_with_healthchecks_defaults() {
    let world = World::new();
    let got = send(&world, cmd("db", PingKind::Success, "", false)).await;
    assert_eq!(got.unwrap(), PingOutcome::NotFound);
    assert!(world.store.apps.record("APP#acme#db").is_none());
    let got = send(&world, cmd("db", PingKind::Success, "", true)).await;
    assert_eq!(got.unwrap(), PingOutcome::Created);
    let rec = world.stored("acme", "db");
    assert_eq!(
        (rec.period_seconds, rec.grace_seconds, rec.beats),
        (86_400, 3_600, 1)
    );
    let got = send(&world, cmd("db", PingKind::Success, "", true)).await;
    assert_eq!(got.unwrap(), PingOutcome::Recorded);
    // The check UUID finds it.
    let id = rec.ping_id.clone().unwrap();
    let found = world.store.pings.find(&id).await.unwrap().unwrap();
    assert_eq!(
        (found.tenant.as_str(), found.app_id.as_str()),
        ("acme", "db")
    );
}

#[tokio::test]
async fn a_created_check_counts_in_the_tenants_app_quota() {
    let world = World::over(MemoryHeartbeatStore::new().with_max_apps(1));
    assert_eq!(
        send(&world, cmd("one", PingKind::Start, "", true))
            .await
            .unwrap(),
        PingOutcome::Created
    );
    let refused = send(&world, cmd("two", PingKind::Success, "", true)).await;
    assert!(
        matches!(refused, Err(HeartbeatError::Quota(_))),
        "{refused:?}"
    );
    assert!(world.store.apps.record("APP#acme#two").is_none());
}

#[tokio::test]
async fn an_exit_status_ends_the_run_and_its_body_is_kept_as_output() {
    let world = World::new();
    send(&world, cmd("job", PingKind::Start, "", true))
        .await
        .unwrap();
    world.at_ms(5_000);
    let mut end = cmd("job", PingKind::Exit(3), "disk full", false);
    end.run_id = None;
    send(&world, end).await.unwrap();
    let rec = world.stored("acme", "job");
    let run = rec.runs.last().unwrap();
    assert_eq!(
        (run.outcome, run.exit_code, run.duration_ms),
        (RunOutcome::Fail, Some(3), Some(5_000))
    );
    assert_eq!(rec.state, AppState::Down);
    let out = rec.outputs.last().unwrap();
    assert_eq!(
        (out.kind.as_str(), out.exit_code, out.bytes),
        ("exit", Some(3), 9)
    );
    assert_eq!(out.run_id, run.run_id);
    let kept = ping_output(
        &world.store.pings,
        &tenant("acme"),
        &AppId::parse_str("job").unwrap(),
        &out.id,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(kept.body, "disk full");
    // Another app's output is not this one's.
    let other = ping_output(
        &world.store.pings,
        &tenant("acme"),
        &AppId::parse_str("x").unwrap(),
        &out.id,
    )
    .await
    .unwrap();
    assert!(other.is_none());
}

#[tokio::test]
async fn a_log_ping_keeps_its_body_and_changes_nothing() {
    let world = World::new();
    send(&world, cmd("job", PingKind::Success, "", true))
        .await
        .unwrap();
    let before = world.stored("acme", "job");
    send(&world, cmd("job", PingKind::Log, "rotated", false))
        .await
        .unwrap();
    let after = world.stored("acme", "job");
    assert_eq!(
        (after.state, after.beats, &after.runs, after.deadline),
        (before.state, before.beats, &before.runs, before.deadline)
    );
    assert_eq!(after.outputs.last().unwrap().kind, "log");
    assert_eq!(world.store.pings.stored_outputs().len(), 1);
}

#[tokio::test]
async fn pings_past_the_minutes_limit_are_not_recorded() {
    let world = World::new();
    send(&world, cmd("loop", PingKind::Success, "", true))
        .await
        .unwrap();
    for _ in 1..PINGS_PER_MINUTE {
        let got = send(&world, cmd("loop", PingKind::Success, "", false)).await;
        assert_eq!(got.unwrap(), PingOutcome::Recorded);
    }
    let got = send(&world, cmd("loop", PingKind::Success, "out", false)).await;
    assert_eq!(got.unwrap(), PingOutcome::Throttled);
    let rec = world.stored("acme", "loop");
    assert_eq!(rec.beats, u64::from(PINGS_PER_MINUTE));
    assert!(
        world.store.pings.stored_outputs().is_empty(),
        "no output kept"
    );
    // The next minute takes pings again.
    world.at_ms(60_000);
    let got = send(&world, cmd("loop", PingKind::Success, "", false)).await;
    assert_eq!(got.unwrap(), PingOutcome::Recorded);
}

#[tokio::test]
async fn an_app_from_before_ping_urls_gets_its_uuid_at_its_next_admin_change() {
    let world = World::new();
    world
        .admin(json!({"app_id": "old", "period_seconds": 60}))
        .await
        .unwrap();
    let mut rec = world.stored("acme", "old");
    rec.ping_id = None;
    world
        .store
        .apps
        .put_if(&rec, Some(rec.version))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(world.stored("acme", "old").ping_id.is_none());
    let (view, _) = world
        .admin(json!({"app_id": "old", "grace_seconds": 30}))
        .await
        .unwrap();
    let id = view.ping_id.clone().unwrap();
    assert_eq!(
        view.at("https://h/").ping_url,
        Some(format!("https://h/ping/{id}"))
    );
}
