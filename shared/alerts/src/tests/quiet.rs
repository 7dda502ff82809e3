//! Quiet hours: alerts below critical wait for one digest at their end.

use lookout_core::auth::Tenant;
use lookout_core::events::{TenantAlertKind, TenantAlertLevel};
use lookout_core::time::Timestamp;

use super::{alert, channel, Fakes};
use crate::deliver::{deliver, DeliverOutcome};
use crate::manage::put_routes;
use crate::quiet::QuietHours;
use crate::routes::Routes;
use crate::store::{AlertStore, MemoryAlerts};
use crate::window::{upcoming, Window};

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_str(s).unwrap()
}

#[tokio::test]
async fn quiet_hours_hold_what_is_not_critical_for_one_morning_digest() {
    let store = MemoryAlerts::default();
    let tenant = Tenant::parse("acme").unwrap();
    let slack = channel(&store, "slack", "http://127.0.0.1:9/slack/services/T/B/x").await;
    let routes = Routes {
        default: vec![slack],
        quiet_hours: Some(QuietHours {
            start: "22:00".into(),
            end: "07:00".into(),
            tz: Some("Europe/Berlin".into()),
        }),
        ..Routes::default()
    };
    put_routes(&store, &tenant, &routes, ts("2026-12-07T00:00:00Z"))
        .await
        .unwrap();
    // 23:30 in Berlin (UTC+1).
    let f = Fakes::at(ts("2026-12-07T22:30:00Z"));
    let ports = f.ports(&store, None);
    // A warning incident and an error incident (one resolved before morning) are held, a
    // recovery too; a critical outage goes out at once.
    let mut warning = alert(
        "inc-1-opened",
        TenantAlertKind::Incident,
        TenantAlertLevel::Warning,
        "shop",
    );
    warning.title = "[shop] slow checkout".into();
    warning.ack_incident = Some("inc-1".into());
    warning.at = ts("2026-12-07T22:30:00Z");
    let mut error = alert(
        "inc-2-opened",
        TenantAlertKind::Incident,
        TenantAlertLevel::Error,
        "shop",
    );
    error.title = "[shop] KeyError".into();
    error.ack_incident = Some("inc-2".into());
    error.at = ts("2026-12-07T23:10:00Z");
    let mut outage = alert(
        "hb-down-1",
        TenantAlertKind::Heartbeat,
        TenantAlertLevel::Critical,
        "db",
    );
    outage.ack_incident = Some("inc-3".into());
    let mut back = alert(
        "hb-up-1",
        TenantAlertKind::Heartbeat,
        TenantAlertLevel::Info,
        "etl",
    );
    back.title = "etl is back UP".into();
    back.at = ts("2026-12-08T01:00:00Z");
    for a in [&warning, &error, &outage, &back] {
        assert_eq!(deliver(&ports, a).await.unwrap(), DeliverOutcome::Done);
    }
    let sent: Vec<_> = f.sender.sent().into_iter().map(|(_, _, id)| id).collect();
    assert_eq!(sent, ["hb-down-1"], "only the critical one at night");
    assert_eq!(store.held("acme").await.unwrap().len(), 3);
    // One digest is scheduled, at 07:00 Berlin = 06:00 UTC, however many were held.
    let ends: Vec<_> = f
        .follow_ups
        .scheduled()
        .into_iter()
        .filter(|(n, ..)| n.starts_with("quiet-"))
        .collect();
    assert_eq!(ends.len(), 1, "{ends:?}");
    let (_, end, at) = ends[0].clone();
    assert_eq!(at, ts("2026-12-08T06:00:00Z"));
    f.incidents.close("inc-2");
    // In the morning: one message, every held alert on a line, oldest first.
    f.clock.set(at);
    assert_eq!(deliver(&ports, &end).await.unwrap(), DeliverOutcome::Done);
    let alerts = f.sender.sent_alerts();
    assert_eq!(alerts.len(), 2);
    let digest = &alerts[1];
    assert_eq!(digest.title, "Quiet hours digest: 3 alerts held overnight");
    assert_eq!(
        digest.text,
        "22:30 UTC · warning · [shop] slow checkout (still open)\n\
         23:10 UTC · error · [shop] KeyError (acknowledged or resolved since)\n\
         01:00 UTC · info · etl is back UP"
    );
    assert!(store.held("acme").await.unwrap().is_empty());
    // The release delivered again sends nothing more; by day alerts go out at once.
    assert_eq!(deliver(&ports, &end).await.unwrap(), DeliverOutcome::Done);
    f.clock.set(ts("2026-12-08T09:00:00Z"));
    let mut day = warning.clone();
    day.alert_id = "inc-9-opened".into();
    assert_eq!(deliver(&ports, &day).await.unwrap(), DeliverOutcome::Done);
    assert_eq!(f.sender.sent().len(), 3);
}

#[test]
fn the_calendar_lists_the_next_occurrences_in_order() {
    let nightly = Window {
        name: "nightly".into(),
        app: Some("backup".into()),
        cron: Some("30 2 * * *".into()),
        tz: Some("Europe/Berlin".into()),
        duration_minutes: Some(60),
        ..Window::default()
    };
    let once = Window {
        name: "migration".into(),
        start: Some(ts("2026-12-09T22:00:00Z")),
        end: Some(ts("2026-12-10T02:00:00Z")),
        ..Window::default()
    };
    let past = Window {
        name: "done".into(),
        start: Some(ts("2026-12-01T22:00:00Z")),
        end: Some(ts("2026-12-02T02:00:00Z")),
        ..Window::default()
    };
    // 01:45 UTC = 02:45 Berlin: the nightly window is on now.
    let now = ts("2026-12-08T01:45:00Z");
    let list = upcoming(&[nightly, once, past], now, 3, 50);
    let got: Vec<(&str, String, bool)> = list
        .iter()
        .map(|o| (o.window.as_str(), o.start.to_rfc3339(), o.active))
        .collect();
    assert_eq!(
        got,
        [
            ("nightly", "2026-12-08T01:30:00.000Z".to_owned(), true),
            ("nightly", "2026-12-09T01:30:00.000Z".to_owned(), false),
            ("migration", "2026-12-09T22:00:00.000Z".to_owned(), false),
            ("nightly", "2026-12-10T01:30:00.000Z".to_owned(), false),
            ("nightly", "2026-12-11T01:30:00.000Z".to_owned(), false),
        ]
    );
    assert_eq!(list[0].app.as_deref(), Some("backup"));
    assert_eq!(
        upcoming(
            &[Window {
                duration_minutes: Some(1),
                cron: Some("* * * * *".into()),
                name: "x".into(),
                ..Window::default()
            }],
            now,
            14,
            50
        )
        .len(),
        50,
        "bounded"
    );
}
