//! The crate's pure parts together: a report as the seed sends it, logs fitted to the limits,
//! grouping, and the bounds of an incident item.

use serde_json::{json, Value};

use lookout_core::time::Timestamp;

use crate::grouping::{group_pk, next, open_incident, Grouping};
use crate::input::{
    IncidentBody, IncidentLevel, NewIncident, SentLogs, Status, MAX_LOG_BYTES, MAX_LOG_LINES,
    MAX_MESSAGE, MAX_TITLE,
};
use crate::snapshot::{
    Enrichment, MAX_INCIDENT_ITEM_BYTES, MAX_SNAPSHOT_FIELD_BYTES, MAX_SNAPSHOT_HEARTBEAT_BYTES,
    MAX_SNAPSHOT_LOG_BYTES,
};

#[test]
fn seed_payload_parses_and_validates() {
    let mut v: NewIncident = serde_json::from_value(json!({
        "incident": {"title": " Error in user registration ", "message": "User registration failed", "level": "error", "logs": "log 1\nlog 2\nlog 3"},
        "app_name": "MyApp", "code": "123456"
    }))
    .unwrap();
    v.validate().unwrap();
    assert_eq!(v.incident.title, "Error in user registration");
    assert_eq!(v.incident.logs.0, ["log 1", "log 2", "log 3"]);
    let list: IncidentBody =
        serde_json::from_value(json!({"title": "t", "level": "critical", "logs": ["a", "b"]}))
            .unwrap();
    assert_eq!((list.level, list.logs.0.len()), (IncidentLevel::Crit, 2));
    for bad in [
        json!({"title": "t", "level": "fatal"}),
        json!({"title": "t", "level": "error", "logs": 5}),
        json!({"level": "error"}),
    ] {
        assert!(
            serde_json::from_value::<IncidentBody>(bad.clone()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn oversized_logs_keep_the_newest_lines_and_say_how_many_were_dropped() {
    let many: Vec<String> = (0..800).map(|i| format!("line {i}")).collect();
    let fit = SentLogs::fit(many);
    assert_eq!(fit.0.len(), MAX_LOG_LINES);
    assert_eq!(fit.0.first().map(String::as_str), Some("line 300"));
    assert_eq!(fit.0.last().map(String::as_str), Some("line 799"));
    assert_eq!(fit.dropped(), 300);

    let wide: Vec<String> = (0..10)
        .map(|i| format!("{i}{}", "x".repeat(10_000)))
        .collect();
    let fit = SentLogs::fit(wide);
    assert!(fit.0.iter().map(String::len).sum::<usize>() <= MAX_LOG_BYTES);
    assert_eq!(fit.0.last().map(|l| l.starts_with('9')), Some(true));
    assert_eq!(
        fit.dropped(),
        10 - fit.0.len() + 1,
        "one line was cut to fit"
    );

    let one = SentLogs::fit(vec!["é".repeat(40_000)]);
    assert!(one.0[0].len() <= MAX_LOG_BYTES);
    assert_eq!(one.dropped(), 1);

    let small = SentLogs::fit(vec!["a".into(), "b".into()]);
    assert_eq!((small.0.len(), small.dropped()), (2, 0));
}

#[test]
fn groups_differ_by_app_title_and_level() {
    let a = group_pk("app", "t", IncidentLevel::Error);
    // The title and level hashed (SHA-256 of `t\0error`, its first 24 hex digits).
    assert_eq!(a, "GROUP#app#6eeef4ae5635575ada1dfb1b");
    assert_ne!(a, group_pk("app", "t", IncidentLevel::Crit));
    assert_ne!(a, group_pk("app", "t2", IncidentLevel::Error));
    assert_ne!(a, group_pk("app2", "t", IncidentLevel::Error));
}

// ------------------------------------------------ grouping, without DynamoDB

fn report(app: &str, title: &str, level: &str) -> NewIncident {
    let mut v: NewIncident = serde_json::from_value(json!({
        "incident": {"title": title, "message": "m", "level": level, "logs": ["a"]},
        "app_name": app, "code": "123456"
    }))
    .unwrap();
    v.validate().unwrap();
    v
}

fn key(r: &NewIncident) -> String {
    group_pk(r.app_name.as_str(), &r.incident.title, r.incident.level)
}

#[test]
fn one_group_per_app_title_and_level() {
    let base = key(&report("billing", "DB down", "error"));
    assert_eq!(
        base,
        key(&report("billing", " DB down ", "error")),
        "titles are trimmed"
    );
    assert!(base.starts_with("GROUP#billing#"));
    for other in [
        report("billing", "DB down", "critical"),
        report("billing", "DB Down", "error"),
        report("shop", "DB down", "error"),
    ] {
        assert_ne!(key(&other), base, "{other:?}");
    }
}

#[test]
fn a_report_joins_the_unresolved_incident_and_opens_a_new_one_after_resolution() {
    use lookout_core::time::ManualClock;
    let clock = ManualClock::new(Timestamp::parse_str("2030-01-01T00:00:00Z").unwrap());
    let r = report("billing", "DB down", "error");

    // The group's life: nothing → open → (reports join) → resolved → a new one.
    assert_eq!(next(None), Grouping::Open { previous: None });
    let first = open_incident(&r, clock.now(), Enrichment::default());
    assert_eq!((first.count, first.status), (1, Status::Open));
    assert_eq!(first.first_seen.to_rfc3339(), "2030-01-01T00:00:00.000Z");
    assert_eq!(first.last_seen, first.first_seen);
    for status in [Status::Open, Status::Acknowledged] {
        assert_eq!(
            next(Some((&first.id, status))),
            Grouping::Join(first.id.clone())
        );
    }
    assert_eq!(
        next(Some((&first.id, Status::Resolved))),
        Grouping::Open {
            previous: Some(first.id.clone())
        }
    );
    clock.advance(std::time::Duration::from_secs(3600));
    let second = open_incident(&r, clock.now(), Enrichment::default());
    assert_ne!(second.id, first.id);
    assert_eq!(second.first_seen.to_rfc3339(), "2030-01-01T01:00:00.000Z");
    assert_eq!(
        (second.logs.as_slice(), second.logs_dropped),
        (["a".to_owned()].as_slice(), 0)
    );
}

#[test]
fn an_incident_with_every_field_at_its_limit_fits_one_item() {
    // The reporter's fields at their limits: 64 KB of logs, a 10 000-byte message, a
    // 200-character title; the snapshot: 20 log lines of 64 KB and a heartbeat state with 20
    // runs and a long message (each of those alone used to pass 400 KB).
    let mut r: NewIncident = serde_json::from_value(json!({
        "incident": {
            "title": "t".repeat(MAX_TITLE),
            "message": "m".repeat(MAX_MESSAGE),
            "level": "crit",
            "logs": (0..100).map(|i| format!("{i:03}{}", "l".repeat(2000))).collect::<Vec<_>>(),
        },
        "app_name": "billing", "code": "x"
    }))
    .unwrap();
    r.validate().unwrap();
    let huge = "é".repeat(32 * 1024); // 64 KB of two-byte characters
    let lines: Vec<Value> = (0..20)
        .map(|i| json!({"level": "info", "msg": format!("{i:02}{huge}"), "event_at": "2030-01-01T00:00:00.000Z", "p_description": "d".repeat(1024)}))
        .collect();
    let runs: Vec<Value> = (0..200)
        .map(|i| json!({"run_id": format!("run-{i:03}"), "outcome": "fail", "reason": "r".repeat(1000)}))
        .collect();
    let heartbeat = json!({"app_id": "a", "last_message": "x".repeat(1024), "runs": runs});
    let e = Enrichment {
        recent_logs: lines,
        heartbeat: Some(heartbeat),
    };
    assert!(serde_json::to_vec(&e.recent_logs).unwrap().len() > 1_000_000);

    let incident = open_incident(&r, Timestamp::parse_str("2030-01-01T00:00:00Z").unwrap(), e);

    let size = serde_json::to_vec(&incident).unwrap().len();
    assert!(size <= MAX_INCIDENT_ITEM_BYTES, "{size} bytes");
    assert!(serde_json::to_vec(&incident.recent_logs).unwrap().len() <= MAX_SNAPSHOT_LOG_BYTES);
    // The newest lines are the ones kept, each cut with a mark.
    let last = incident.recent_logs.last().unwrap()["msg"]
        .as_str()
        .unwrap();
    assert!(
        last.starts_with("19") && last.ends_with("…[cut]"),
        "{}",
        &last[..10]
    );
    assert!(last.len() <= MAX_SNAPSHOT_FIELD_BYTES);
    let hb = incident.heartbeat.as_ref().unwrap();
    assert!(serde_json::to_vec(hb).unwrap().len() <= MAX_SNAPSHOT_HEARTBEAT_BYTES);
    assert_eq!(
        hb["runs"][0]["run_id"],
        json!("run-000"),
        "the newest runs are kept"
    );
}
