//! [`check_in`](crate::check_in): a monitored job's settings upserted from its check-in, and its
//! runs on the signals' state machine.

use super::{tenant, World};
use crate::check_in::{check_in, CheckInCommand, Expected, MonitorSettings};
use crate::error::HeartbeatError;
use crate::input::{AppId, AppState, SignalKind};
use crate::output::SignalReply;
use crate::runs::{RunOutcome, Tolerance};

impl World {
    async fn check_in(
        &self,
        kind: SignalKind,
        run: &str,
        settings: Option<MonitorSettings>,
    ) -> Result<SignalReply, HeartbeatError> {
        let cmd = CheckInCommand {
            tenant: tenant("acme"),
            job: AppId::parse_str("nightly-backup").unwrap(),
            kind,
            run_id: Some(run.to_owned()),
            settings,
        };
        check_in(&self.store.api_ports(self.notify(), &self.clock), cmd).await
    }
}

fn crontab() -> MonitorSettings {
    MonitorSettings {
        expected: Expected::Cron {
            expr: "0 3 * * *".into(),
            tz: Some("Europe/Vienna".into()),
        },
        grace_seconds: Some(300),
        max_runtime_seconds: Some(1_800),
        failures_in_a_row: Some(2),
    }
}

#[tokio::test]
async fn a_first_check_in_registers_the_job_with_its_crontab_and_starts_a_run() {
    let world = World::new();

    let started = world
        .check_in(SignalKind::Start, "c0ffee", Some(crontab()))
        .await
        .unwrap();

    assert_eq!(started.run_id.as_deref(), Some("c0ffee"));
    let rec = world.stored("acme", "nightly-backup");
    let cron = rec.cron.clone().unwrap();
    assert_eq!(
        (cron.expr.as_str(), cron.tz.as_str()),
        ("0 3 * * *", "Europe/Vienna")
    );
    assert_eq!(
        (rec.grace_seconds, rec.max_runtime_seconds),
        (300, Some(1_800))
    );
    assert_eq!(
        rec.fail_tolerance,
        Some(Tolerance {
            failures: 2,
            runs: 2
        })
    );
    assert_eq!(rec.open_runs.len(), 1);
    world.at_ms(65_000);
    let done = world
        .check_in(SignalKind::Success, "c0ffee", Some(crontab()))
        .await
        .unwrap();
    let run = done.run.unwrap();
    assert_eq!(
        (run.outcome, run.duration_ms, run.run_id.as_deref()),
        (RunOutcome::Success, Some(65_000), Some("c0ffee"))
    );
}

#[tokio::test]
async fn failures_in_a_row_take_the_job_down_at_the_threshold_only() {
    let world = World::new();
    world
        .check_in(SignalKind::Fail, "r1", Some(crontab()))
        .await
        .unwrap();
    assert_eq!(world.stored("acme", "nightly-backup").state, AppState::Up);

    let second = world.check_in(SignalKind::Fail, "r2", None).await.unwrap();

    assert_eq!(second.state, AppState::Down, "2 failures in a row");
    assert_eq!(world.events.transitions().len(), 1, "announced once");
}

#[tokio::test]
async fn an_interval_replaces_a_crontab_and_settings_are_fitted_to_the_bounds() {
    let world = World::new();
    world
        .check_in(SignalKind::Start, "r1", Some(crontab()))
        .await
        .unwrap();

    let every = MonitorSettings {
        expected: Expected::Every { seconds: 5 },
        grace_seconds: Some(10 * 86_400),
        max_runtime_seconds: None,
        failures_in_a_row: Some(1_000),
    };
    world
        .check_in(SignalKind::Success, "r1", Some(every))
        .await
        .unwrap();

    let rec = world.stored("acme", "nightly-backup");
    assert!(rec.cron.is_none(), "back to a period");
    assert_eq!(
        (rec.period_seconds, rec.grace_seconds),
        (10, 86_400),
        "10 s at least, a day of grace at most"
    );
    assert_eq!(rec.fail_tolerance.map(|t| t.failures), Some(20));
}

#[tokio::test]
async fn a_snooze_or_a_bad_run_id_is_no_check_in() {
    let world = World::new();
    let snooze = world.check_in(SignalKind::Snooze, "r1", None).await;
    let bad = world.check_in(SignalKind::Start, "no spaces", None).await;
    for refused in [snooze, bad] {
        assert!(
            matches!(refused, Err(HeartbeatError::Invalid(_))),
            "{refused:?}"
        );
    }
    assert!(world
        .store
        .apps
        .record(&crate::record::app_pk("acme", "nightly-backup"))
        .is_none());
}

/// A check-in of a job the tenant does not have yet registers it within the tenant's app quota
/// (as a signal's or a beat's would): beyond it, refused and nothing stored. Its settings and
/// its signal are one write: the job is stored with both or not at all.
#[tokio::test]
async fn a_check_in_of_a_new_job_counts_against_the_app_quota() {
    let world = World::over(crate::MemoryHeartbeatStore::new().with_max_apps(1));
    let other = CheckInCommand {
        tenant: tenant("acme"),
        job: AppId::parse_str("hourly-report").unwrap(),
        kind: SignalKind::Start,
        run_id: Some("beef".into()),
        settings: Some(crontab()),
    };
    check_in(&world.store.api_ports(world.notify(), &world.clock), other)
        .await
        .unwrap();

    let refused = world
        .check_in(SignalKind::Start, "c0ffee", Some(crontab()))
        .await;

    assert!(
        matches!(refused, Err(HeartbeatError::Quota(_))),
        "{refused:?}"
    );
    assert_eq!(world.store.apps.len(), 1);
}
