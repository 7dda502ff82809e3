//! Maintenance windows: one-off and recurring (across a DST change), holding and releasing.

use lookout_core::auth::Tenant;
use lookout_core::events::{TenantAlert, TenantAlertKind, TenantAlertLevel};
use lookout_core::time::Timestamp;

use super::{alert, channel, Fakes};
use crate::deliver::{deliver, DeliverOutcome};
use crate::manage::put_routes;
use crate::routes::Routes;
use crate::store::{AlertStore, MemoryAlerts};
use crate::window::{window_for, Window};

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_str(s).unwrap()
}

fn nightly() -> Window {
    // Every night 02:30–03:30 Berlin time.
    Window {
        name: "nightly".into(),
        cron: Some("30 2 * * *".into()),
        tz: Some("Europe/Berlin".into()),
        duration_minutes: Some(60),
        ..Window::default()
    }
}

#[test]
fn a_recurring_window_follows_its_zone_across_daylight_saving_time() {
    let w = nightly();
    w.validate().unwrap();
    let until = |t: &str| w.active_until(ts(t)).map(|e| e.to_rfc3339());
    // Winter (CET, UTC+1): 02:30–03:30 local is 01:30–02:30 UTC.
    assert_eq!(
        until("2030-03-30T01:45:00Z").as_deref(),
        Some("2030-03-30T02:30:00.000Z")
    );
    assert_eq!(until("2030-03-30T02:31:00Z"), None);
    // Berlin springs forward on 2030-03-31 (02:00 → 03:00): 02:30 does not exist; the window
    // starts at the first instant after the gap, 03:00 CEST = 01:00 UTC, for its 60 minutes.
    assert_eq!(until("2030-03-31T00:45:00Z"), None);
    assert_eq!(
        until("2030-03-31T01:10:00Z").as_deref(),
        Some("2030-03-31T02:00:00.000Z")
    );
    // Summer (CEST, UTC+2): 02:30 local is 00:30 UTC.
    assert_eq!(
        until("2030-04-01T00:40:00Z").as_deref(),
        Some("2030-04-01T01:30:00.000Z")
    );
    assert_eq!(until("2030-04-01T01:40:00Z"), None);
    // Falling back on 2030-10-27, 02:30 happens twice: the window runs once, from the first.
    assert_eq!(
        until("2030-10-27T00:45:00Z").as_deref(),
        Some("2030-10-27T01:30:00.000Z")
    );
    assert_eq!(until("2030-10-27T01:45:00Z"), None);
    // A one-off window, and the shapes refused.
    let once = Window {
        name: "migration".into(),
        app: Some("db".into()),
        start: Some(ts("2030-05-01T10:00:00Z")),
        end: Some(ts("2030-05-01T12:00:00Z")),
        ..Window::default()
    };
    once.validate().unwrap();
    assert!(once.active_until(ts("2030-05-01T11:00:00Z")).is_some());
    assert!(once.active_until(ts("2030-05-01T12:00:00Z")).is_none());
    for bad in [
        Window {
            duration_minutes: None,
            ..nightly()
        },
        Window {
            duration_minutes: Some(20_000),
            ..nightly()
        },
        Window {
            cron: Some("nope".into()),
            ..nightly()
        },
        Window {
            name: "a:b".into(),
            ..nightly()
        },
        Window {
            end: Some(ts("2030-05-01T09:00:00Z")),
            ..once.clone()
        },
        Window {
            cron: Some("30 2 * * *".into()),
            ..once.clone()
        },
    ] {
        assert!(bad.validate().is_err(), "{bad:?}");
    }
    // Only the alerts it covers: an app's window does not hold another app's alert.
    let other = alert(
        "x",
        TenantAlertKind::Heartbeat,
        TenantAlertLevel::Critical,
        "web",
    );
    assert!(window_for(
        std::slice::from_ref(&once),
        &other,
        ts("2030-05-01T11:00:00Z")
    )
    .is_none());
}

fn down(app: &str, at: &str) -> TenantAlert {
    let mut a = alert(
        &format!("{app}-down"),
        TenantAlertKind::Heartbeat,
        TenantAlertLevel::Critical,
        app,
    );
    a.title = format!("{app} is DOWN");
    a.ack_incident = Some(format!("inc-{app}"));
    a.at = ts(at);
    a
}

fn up(app: &str, at: &str) -> TenantAlert {
    let mut a = alert(
        &format!("{app}-up"),
        TenantAlertKind::Heartbeat,
        TenantAlertLevel::Info,
        app,
    );
    a.at = ts(at);
    a
}

#[tokio::test]
async fn a_window_holds_alerts_and_its_end_releases_what_is_still_wrong() {
    let store = MemoryAlerts::default();
    let tenant = Tenant::parse("acme").unwrap();
    let slack = channel(&store, "slack", "http://127.0.0.1:9/slack/services/T/B/x").await;
    let routes = Routes {
        default: vec![slack],
        windows: vec![nightly()],
        ..Routes::default()
    };
    put_routes(&store, &tenant, &routes, ts("2030-04-01T00:00:00Z"))
        .await
        .unwrap();
    let f = Fakes::at(ts("2030-04-01T00:40:00Z"));
    let ports = f.ports(&store, None);
    // Inside the window (00:30–01:30 UTC that night): two outages, one recovers before its end.
    for app in ["backup", "etl"] {
        let a = down(app, "2030-04-01T00:40:00Z");
        assert_eq!(deliver(&ports, &a).await.unwrap(), DeliverOutcome::Done);
    }
    assert_eq!(
        deliver(&ports, &up("etl", "2030-04-01T00:50:00Z"))
            .await
            .unwrap(),
        DeliverOutcome::Done
    );
    assert!(f.sender.sent().is_empty(), "nothing during the window");
    assert_eq!(store.held("acme").await.unwrap().len(), 1);
    // Its end is scheduled once, at 01:30 UTC.
    let ends: Vec<_> = f
        .follow_ups
        .scheduled()
        .into_iter()
        .filter(|(n, ..)| n.starts_with("window-"))
        .collect();
    assert_eq!(ends.len(), 1);
    let (_, end, at) = ends[0].clone();
    assert_eq!(at, ts("2030-04-01T01:30:00Z"));
    // At the end: what is still wrong (backup) is put back on the queue, and alerts once.
    f.clock.set(at);
    assert_eq!(deliver(&ports, &end).await.unwrap(), DeliverOutcome::Done);
    assert!(store.held("acme").await.unwrap().is_empty());
    let released: Vec<_> = f
        .follow_ups
        .scheduled()
        .into_iter()
        .filter(|(n, ..)| n.starts_with("held-"))
        .map(|(_, a, _)| a)
        .collect();
    assert_eq!(
        released
            .iter()
            .map(|a| a.alert_id.as_str())
            .collect::<Vec<_>>(),
        ["backup-down"]
    );
    assert_eq!(
        deliver(&ports, &released[0]).await.unwrap(),
        DeliverOutcome::Done
    );
    let sent: Vec<_> = f.sender.sent().into_iter().map(|(_, _, id)| id).collect();
    assert_eq!(sent, ["backup-down"]);
    // After the window, alerts go out at once.
    f.clock.set(ts("2030-04-01T02:00:00Z"));
    let later = down("web", "2030-04-01T02:00:00Z");
    assert_eq!(deliver(&ports, &later).await.unwrap(), DeliverOutcome::Done);
    assert_eq!(f.sender.sent().len(), 2);
}
