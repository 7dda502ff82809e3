//! Heartbeats and incidents as one lifecycle: a transition goes to the stack's app-events queue
//! (moto SQS, sent with each function's role), the `apply-app-transitions` consumer (in-process, its
//! own role) opens an incident for the outage and resolves it on recovery.

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use lambda_runtime::{Context, LambdaEvent};
use lookout_incidents::{heartbeat_app_name, IncidentQuery, IncidentStore};
use serde_json::{json, Value};

use crate::harness::{at, spawn, Hb};

/// Takes what is on the app-events queue.
async fn take_events(hb: &Hb) -> Vec<SqsMessage> {
    hb.drain("AppEventsQueue").await
}

async fn consume(hb: &Hb, records: Vec<SqsMessage>) -> Vec<String> {
    let mut event = SqsEvent::default();
    event.records = records;
    let deps = apply_app_transitions::Deps {
        store: incidents(hb).await,
        alerts: None,
        console_url: None,
    };
    let reply = apply_app_transitions::handle(&deps, LambdaEvent::new(event, Context::default()))
        .await
        .unwrap();
    reply
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect()
}

async fn incidents(hb: &Hb) -> IncidentStore {
    IncidentStore::new(
        hb.app.ddb_for("apply-app-transitions").await,
        hb.app.stack.table("IncidentsTable").unwrap(),
    )
}

/// The app's incidents, as the admin lists them (the provisioning user's client: the
/// consumer's role may not list).
async fn app_incidents_of(hb: &Hb, app_id: &str) -> Vec<Value> {
    let admin_view = IncidentStore::new(
        hb.app.ddb.clone(),
        hb.app.stack.table("IncidentsTable").unwrap(),
    );
    let page = admin_view
        .list(IncidentQuery {
            app: Some(heartbeat_app_name("acme", app_id)),
            ..IncidentQuery::default()
        })
        .await
        .unwrap();
    page.incidents
        .into_iter()
        .map(|i| serde_json::to_value(i).unwrap())
        .collect()
}

#[tokio::test]
async fn an_outage_opens_an_incident_and_the_recovery_resolves_it() {
    let hb = spawn().await;
    hb.beat_at(0, &json!({"app_id": 23, "message": "OK:200"}))
        .await;
    assert!(take_events(&hb).await.is_empty(), "a beat is no transition");

    hb.scan_at(121).await;
    let down = take_events(&hb).await;
    assert_eq!(down.len(), 1);
    let event: Value = serde_json::from_str(down[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(
        (&event["tenant"], &event["app_id"], &event["kind"]),
        (&json!("acme"), &json!("23"), &json!("down"))
    );
    assert_eq!(consume(&hb, down.clone()).await, Vec::<String>::new());

    let open = app_incidents_of(&hb, "23").await;
    assert_eq!(open.len(), 1, "{open:?}");
    let incident = &open[0];
    assert_eq!(
        (&incident["title"], &incident["level"], &incident["status"]),
        (&json!("App 23 is down"), &json!("crit"), &json!("open"))
    );
    assert!(incident["message"]
        .as_str()
        .unwrap()
        .starts_with(&format!("silent: overdue since {}", at(120))));
    assert_eq!(incident["heartbeat"]["last_message"], json!("OK:200"));
    assert_eq!(incident["heartbeat"]["state"], json!("down"));
    let id = incident["id"].as_str().unwrap().to_owned();

    // The same event again (a redelivery): nothing changes.
    assert!(consume(&hb, down.clone()).await.is_empty());
    assert_eq!(app_incidents_of(&hb, "23").await[0]["count"], json!(1));

    // Back: the recovery resolves the incident, and its history says so.
    hb.beat_at(300, &json!({"app_id": 23, "message": "OK:back"}))
        .await;
    let up = take_events(&hb).await;
    assert_eq!(up.len(), 1);
    assert!(consume(&hb, up).await.is_empty());
    let detail = incidents(&hb).await.get(&id).await.unwrap();
    let detail = serde_json::to_value(detail).unwrap();
    assert_eq!(detail["status"], json!("resolved"));
    assert_eq!(
        (
            &detail["history"][0]["field"],
            &detail["history"][0]["to"],
            &detail["history"][0]["by"]
        ),
        (&json!("status"), &json!("resolved"), &json!("heartbeat"))
    );

    // A late copy of the down event does not reopen it; the next outage (after the alert
    // cooldown: flapping within it is summed up at its end) is a new incident.
    assert!(consume(&hb, down).await.is_empty());
    assert_eq!(app_incidents_of(&hb, "23").await.len(), 1);
    hb.scan_at(1000).await;
    consume(&hb, take_events(&hb).await).await;
    let all = app_incidents_of(&hb, "23").await;
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(
        all.iter().filter(|i| i["status"] == json!("open")).count(),
        1
    );
}

#[tokio::test]
async fn a_failed_run_opens_an_incident_with_the_runs_and_bad_events_are_reported() {
    let hb = spawn().await;
    hb.signal_at(0, "start", &json!({"app_id": "etl", "run_id": "r1"}))
        .await;
    hb.signal_at(
        42,
        "fail",
        &json!({"app_id": "etl", "run_id": "r1", "exit_code": 1}),
    )
    .await;
    let mut events = take_events(&hb).await;
    assert_eq!(events.len(), 1);
    let mut poison = SqsMessage::default();
    poison.message_id = Some("poison-1".into());
    poison.body = Some("{\"not\": \"a transition\"}".into());
    events.push(poison);

    assert_eq!(
        consume(&hb, events).await,
        ["poison-1"],
        "only the bad record fails"
    );
    let open = app_incidents_of(&hb, "etl").await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["message"], json!("run failed with exit code 1"));
    let run = &open[0]["heartbeat"]["runs"][0];
    assert_eq!(
        (&run["run_id"], &run["duration_ms"], &run["outcome"]),
        (&json!("r1"), &json!(42_000), &json!("fail"))
    );
}
