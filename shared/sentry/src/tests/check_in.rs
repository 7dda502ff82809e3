//! Check-in drafts: statuses, crontab and interval configs.

use serde_json::{json, Value};

use crate::check_in::{check_in_draft, CheckInStatus, MonitorDraft, ScheduleDraft};
use crate::protocol::MonitorCheckIn;

fn check_in(v: Value) -> MonitorCheckIn {
    serde_json::from_value(v).unwrap()
}

fn with_schedule(schedule: Value) -> Result<crate::check_in::CheckInDraft, String> {
    check_in_draft(&check_in(json!({
        "check_in_id": "83a7c03e-d0a0-4e1b-97e2-e3b18d38f244", "monitor_slug": "job", "status": "ok",
        "monitor_config": {"schedule": schedule}
    })))
}

#[test]
fn a_crontab_check_in_with_its_monitor_config() {
    let draft = check_in_draft(&check_in(json!({
        "check_in_id": "83a7c03e-d0a0-4e1b-97e2-e3b18d38f244",
        "monitor_slug": " nightly-backup ", "status": "error", "duration": 12.5,
        "environment": "production",
        "monitor_config": {"schedule": {"type": "crontab", "value": "0 3 * * *"},
                           "timezone": "Europe/Berlin", "checkin_margin": 5, "max_runtime": 30,
                           "failure_issue_threshold": 2, "recovery_threshold": 1}
    })))
    .unwrap();
    assert_eq!(draft.monitor_slug, "nightly-backup");
    assert_eq!(draft.check_in_id, "83a7c03ed0a04e1b97e2e3b18d38f244");
    assert_eq!(draft.status, CheckInStatus::Error);
    assert_eq!(draft.status.as_str(), "error");
    assert_eq!(draft.duration_secs, Some(12.5));
    assert_eq!(draft.environment.as_deref(), Some("production"));
    assert_eq!(
        draft.config,
        Some(MonitorDraft {
            schedule: ScheduleDraft::Crontab("0 3 * * *".to_owned()),
            timezone: Some("Europe/Berlin".to_owned()),
            checkin_margin_minutes: Some(5),
            max_runtime_minutes: Some(30),
            failure_issue_threshold: Some(2),
            recovery_threshold: Some(1),
        })
    );
}

#[test]
fn interval_schedules_become_seconds() {
    for (value, unit, seconds) in [
        (5, "minute", 300),
        (2, "hour", 7_200),
        (1, "day", 86_400),
        (2, "week", 1_209_600),
        (1, "month", 2_592_000),
        (1, "year", 31_536_000),
    ] {
        let draft =
            with_schedule(json!({"type": "interval", "value": value, "unit": unit})).unwrap();
        let config = draft.config.unwrap();
        assert_eq!(
            config.schedule,
            ScheduleDraft::Interval { seconds },
            "{value} {unit}"
        );
        assert_eq!(config.timezone, None);
    }
    assert!(with_schedule(json!({"type": "interval", "value": 0, "unit": "hour"})).is_err());
    assert!(
        with_schedule(json!({"type": "interval", "value": u64::MAX, "unit": "minute"})).is_err()
    );
}

#[test]
fn statuses_a_job_may_send() {
    let draft = |status: &str| {
        check_in_draft(&check_in(json!({
            "check_in_id": "83a7c03ed0a04e1b97e2e3b18d38f244", "monitor_slug": "job", "status": status,
            "duration": -1.0, "environment": " "
        })))
    };
    assert_eq!(
        draft("in_progress").unwrap().status,
        CheckInStatus::InProgress
    );
    let ok = draft("ok").unwrap();
    assert_eq!(
        (ok.status, ok.duration_secs, ok.environment, ok.config),
        (CheckInStatus::Ok, None, None, None)
    );
    assert!(draft("missed").is_err());
    assert!(draft("sideways").is_err());
    let empty = check_in(
        json!({"check_in_id": "83a7c03ed0a04e1b97e2e3b18d38f244", "monitor_slug": " ", "status": "ok"}),
    );
    assert!(check_in_draft(&empty).is_err());
}
