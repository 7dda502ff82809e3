use super::*;
use serde_json::json;

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
    assert_eq!(a, group_pk("app", "t", IncidentLevel::Error));
    assert_ne!(a, group_pk("app", "t", IncidentLevel::Crit));
    assert_ne!(a, group_pk("app", "t2", IncidentLevel::Error));
    assert_ne!(a, group_pk("app2", "t", IncidentLevel::Error));
}
