//! `GET /admin/overview` in-process against moto, with its own role: apps down and late from
//! the `watch` index (healthy, paused and retired ones are not read), open incidents by level
//! from the `open` index (a resolved one leaves it), failed deliveries from `failed-all`.

use lookout_incidents::{IncidentStore, IncidentUpdate, NewIncident, Status};
use lookout_messenger::broadcast::BroadcastStore;
use lookout_tests::support::{http_request, read, ADMIN_TOKEN};
use serde_json::{json, Value};

use crate::harness::{at, spawn, ts, Hb};

async fn overview(hb: &Hb, secs: i64) -> (u16, Value) {
    overview_at(hb, ts(&at(secs))).await
}

async fn overview_at(hb: &Hb, now: lookout_core::time::Timestamp) -> (u16, Value) {
    let app = &hb.app;
    let ddb = app.ddb_for("admin-get-overview").await;
    let deps = admin_get_overview::Deps {
        admin: app.admin.admin.clone(),
        heartbeats: lookout_heartbeats::HeartbeatStore::new(
            ddb.clone(),
            app.stack.table("HeartbeatTable").unwrap(),
        ),
        incidents: IncidentStore::new(ddb.clone(), app.stack.table("IncidentsTable").unwrap()),
        messenger: BroadcastStore::new(ddb, app.stack.table("MessengerTable").unwrap(), 30),
        clock: lookout_core::time::ManualClock::new(now).shared(),
    };
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    read(
        admin_get_overview::handle(
            &deps,
            http_request(
                "GET",
                "/admin/overview",
                &[],
                &[("authorization", &bearer)],
                "",
            ),
        )
        .await,
    )
}

#[tokio::test]
async fn the_overview_lists_what_is_broken_across_tenants_from_sparse_indexes() {
    let hb = spawn().await;
    for i in 0..10 {
        hb.beat_at(100, &json!({"app_id": format!("healthy-{i}")}))
            .await;
    }
    hb.admin_at(
        0,
        &json!({"tenant": "acme", "app_id": "slow", "period_seconds": 60, "grace_seconds": 600}),
    )
    .await;
    hb.beat_at(0, &json!({"app_id": "slow", "message": "tick"}))
        .await;
    hb.signal_at(10, "fail", &json!({"app_id": "backup", "exit_code": 2}))
        .await;
    hb.beat_at(0, &json!({"app_id": "resting"})).await;
    hb.admin_at(
        5,
        &json!({"tenant": "acme", "app_id": "resting", "action": "pause"}),
    )
    .await;

    let incidents = IncidentStore::new(
        hb.app.ddb.clone(),
        hb.app.stack.table("IncidentsTable").unwrap(),
    );
    let mut ids = Vec::new();
    for (title, level) in [
        ("DB down", "crit"),
        ("Slow page", "warning"),
        ("Old", "error"),
    ] {
        let input: NewIncident = serde_json::from_value(json!({
            "incident": {"title": title, "level": level}, "app_name": "Billing", "code": "x"
        }))
        .unwrap();
        let (reported, _) = incidents
            .report(&input, ts(&at(20)), || async { Default::default() })
            .await
            .unwrap();
        ids.push(reported.id);
    }
    incidents
        .update(
            IncidentUpdate {
                id: ids[2].clone(),
                status: Some(Status::Resolved),
                assignee: None,
                notes: None,
                by: Some("test".into()),
                version: None,
            },
            ts(&at(30)),
        )
        .await
        .unwrap();

    let (status, o) = overview(&hb, 120).await;

    assert_eq!(status, 200, "{o}");
    let ids_of = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|a| a["app_id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(ids_of(&o["apps"]["down"]), ["backup"], "{o}");
    assert_eq!(
        o["apps"]["down"][0]["reason"],
        json!("run failed with exit code 2")
    );
    assert_eq!(ids_of(&o["apps"]["late"]), ["slow"], "{o}");
    assert_eq!(o["apps"]["late"][0]["since"], json!(at(60)));
    assert_eq!(o["apps"]["late"][0]["last_message"], json!("tick"));
    assert_eq!(
        (&o["incidents"]["total"], &o["incidents"]["by_level"]),
        (&json!(2), &json!({"crit": 1, "warning": 1}))
    );
    let titles: Vec<&str> = o["incidents"]["recent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 2);
    assert!(titles.contains(&"DB down") && titles.contains(&"Slow page"));
    assert_eq!(o["failed_deliveries"]["count"], json!(0));

    // Once the late app beats again it leaves the overview; the resolved one stays out.
    hb.beat_at(130, &json!({"app_id": "slow"})).await;
    let (_, o) = overview(&hb, 140).await;
    assert_eq!(o["apps"]["late"], json!([]), "{o}");

    // Admin only.
    let app = &hb.app;
    let ddb = app.ddb_for("admin-get-overview").await;
    let deps = admin_get_overview::Deps {
        admin: app.admin.admin.clone(),
        heartbeats: lookout_heartbeats::HeartbeatStore::new(ddb.clone(), hb.table()),
        incidents: IncidentStore::new(ddb.clone(), app.stack.table("IncidentsTable").unwrap()),
        messenger: BroadcastStore::new(ddb, app.stack.table("MessengerTable").unwrap(), 30),
        clock: lookout_core::time::system_clock(),
    };
    let (status, _) = read(
        admin_get_overview::handle(&deps, http_request("GET", "/admin/overview", &[], &[], ""))
            .await,
    );
    assert_eq!(status, 401);
}

/// The volume chart: incidents opened per UTC day over 30 days, each opening counted once (a
/// grouped repeat is not an opening; a report after resolution is), by level.
#[tokio::test]
async fn incidents_opened_per_day_are_counted_once_each_for_the_volume_chart() {
    let hb = spawn().await;
    let incidents = IncidentStore::new(
        hb.app.ddb.clone(),
        hb.app.stack.table("IncidentsTable").unwrap(),
    );
    let report = |title: &'static str, level: &'static str, when: &'static str| {
        let incidents = incidents.clone();
        async move {
            let input: NewIncident = serde_json::from_value(json!({
                "incident": {"title": title, "level": level}, "app_name": "Billing", "code": "x"
            }))
            .unwrap();
            incidents
                .report(&input, ts(when), || async { Default::default() })
                .await
                .unwrap()
                .0
        }
    };
    // Out of the window, 40 days back.
    report("Ancient", "info", "2030-01-29T10:00:00Z").await;
    // Two days back: one crit reported three times (one incident), one warning.
    let first = report("DB down", "crit", "2030-03-08T09:00:00Z").await;
    for when in ["2030-03-08T09:05:00Z", "2030-03-08T23:59:59Z"] {
        let again = report("DB down", "crit", when).await;
        assert_eq!(
            (again.id.as_str(), again.grouped),
            (first.id.as_str(), true)
        );
    }
    report("Slow page", "warning", "2030-03-08T12:00:00Z").await;
    // Today: the crit, resolved yesterday, comes back as a new incident; and an error.
    incidents
        .update(
            IncidentUpdate {
                id: first.id.clone(),
                status: Some(Status::Resolved),
                assignee: None,
                notes: None,
                by: Some("test".into()),
                version: None,
            },
            ts("2030-03-09T08:00:00Z"),
        )
        .await
        .unwrap();
    let back = report("DB down", "crit", "2030-03-10T00:00:00Z").await;
    assert!(!back.grouped && back.id != first.id);
    report("Disk", "error", "2030-03-10T11:00:00Z").await;

    let (status, o) = overview_at(&hb, ts("2030-03-10T12:00:00Z")).await;
    assert_eq!(status, 200, "{o}");
    let days = o["incident_volume"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    assert_eq!(days[0]["day"], json!("2030-02-09"));
    assert_eq!(
        days[29],
        json!({"day": "2030-03-10", "opened": 2, "by_level": {"crit": 1, "error": 1}})
    );
    assert_eq!(
        days[27],
        json!({"day": "2030-03-08", "opened": 2, "by_level": {"crit": 1, "warning": 1}})
    );
    assert_eq!(days[28]["opened"], json!(0));
    let total: u64 = days.iter().map(|d| d["opened"].as_u64().unwrap()).sum();
    assert_eq!(total, 4, "the 40-day-old one is outside the window");
}
