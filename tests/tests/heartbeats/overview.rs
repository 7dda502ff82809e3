//! `GET /admin/overview` in-process against moto, with its own role: apps down and late from
//! the `watch` index (healthy, paused and retired ones are not read), open incidents by level
//! from the `open` index (a resolved one leaves it), failed deliveries from `failed-all`.

use lookout_incidents::{IncidentStore, IncidentUpdate, NewIncident, Status};
use lookout_messenger::broadcast::BroadcastStore;
use lookout_tests::support::{http_request, read, ADMIN_TOKEN};
use serde_json::{json, Value};

use crate::harness::{at, spawn, ts, Hb};

async fn overview(hb: &Hb, secs: i64) -> (u16, Value) {
    let app = &hb.app;
    let ddb = app.ddb_for("admin-overview").await;
    let deps = admin_overview::Deps {
        admin: app.admin.admin.clone(),
        heartbeats: lookout_heartbeats::HeartbeatStore::new(
            ddb.clone(),
            app.stack.table("HeartbeatTable").unwrap(),
        ),
        incidents: IncidentStore::new(ddb.clone(), app.stack.table("IncidentsTable").unwrap()),
        messenger: BroadcastStore::new(ddb, app.stack.table("MessengerTable").unwrap(), 30),
        clock: {
            let clock = lookout_core::time::ManualClock::new(ts(&at(secs)));
            clock.shared()
        },
    };
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    read(
        admin_overview::handle(
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
    let ddb = app.ddb_for("admin-overview").await;
    let deps = admin_overview::Deps {
        admin: app.admin.admin.clone(),
        heartbeats: lookout_heartbeats::HeartbeatStore::new(ddb.clone(), hb.table()),
        incidents: IncidentStore::new(ddb.clone(), app.stack.table("IncidentsTable").unwrap()),
        messenger: BroadcastStore::new(ddb, app.stack.table("MessengerTable").unwrap(), 30),
        clock: lookout_core::time::system_clock(),
    };
    let (status, _) = read(
        admin_overview::handle(&deps, http_request("GET", "/admin/overview", &[], &[], "")).await,
    );
    assert_eq!(status, 401);
}
