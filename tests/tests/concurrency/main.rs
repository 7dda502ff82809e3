//! 50 parallel clients over HTTP through `cargo lambda watch`, on every product area at once:
//! nothing they were told was accepted is lost, nothing is stored twice.
//!
//! Each client, concurrently with the 49 others:
//! - adds 4 events to ONE shared session, and starts a session of its own;
//! - sends 2 log batches for ONE shared log user, with the same pid and post_time as every
//!   other client (distinct lines), and sends its first batch again (a retry);
//! - reports the SAME incident (one app, title, level) and one incident of its own;
//! - beats its own heartbeat app 3 times;
//! - creates its own contact for ONE shared messenger user and sends it a message.
//!
//! Then the stored state is read back (tables in moto and the routes) and compared with what
//! the 2xx answers promised.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use lookout_tests::support::{live, scan_all, Live};
use serde_json::{json, Value};

const CLIENTS: usize = 50;
const EVENTS_PER_CLIENT: usize = 4;
const LINES_PER_BATCH: usize = 20;

struct Shared {
    l: Live,
    key: String,
    tenant: String,
    session: String,
    log_user: String,
    log_token: String,
    app: String,
    code: String,
    run: String,
}

async fn ok(what: &str, (status, body): (u16, Value), expect: &[u16]) -> Value {
    assert!(expect.contains(&status), "{what}: {status} {body}");
    body
}

fn batch(s: &Shared, client: usize, n: usize) -> Value {
    let logs: Vec<Value> = (0..LINES_PER_BATCH)
        .map(|j| {
            json!({"level": "info", "msg": format!("{} c{client} b{n} l{j}", s.run),
                   "event_at": format!("2026-03-01T10:{:02}:{:02}Z", j, client % 60),
                   "p_description": "worker"})
        })
        .collect();
    json!({"data": {"user": s.log_user, "pid": 7, "p_name": "svc",
                    "post_time": "2026-03-01T10:30:00Z", "logs": logs}})
}

async fn client(s: Arc<Shared>, i: usize) -> Value {
    let l = &s.l;
    let mut out = json!({});

    // Tracker: events into the shared session, and a session of its own.
    let events: Vec<Value> = (0..EVENTS_PER_CLIENT)
        .map(|e| json!({"eventAt": format!("2026-03-01 10:{:02}:{:02}", e, i % 60), "eventType": "tick", "payload": {"client": i, "e": e}}))
        .collect();
    ok(
        "add_event",
        l.post(
            "/add_event",
            &s.key,
            &json!({"sessionId": s.session, "events": events}),
        )
        .await,
        &[200],
    )
    .await;
    let own = ok(
        "start_session",
        l.post(
            "/start_session",
            &s.key,
            &json!({"userId": format!("u{i}"), "machineId": format!("{}-m{i}", s.run), "startAt": "2026-03-01T10:00:00Z", "orgId": 1}),
        )
        .await,
        &[200],
    )
    .await;
    out["session"] = own["sessionId"].clone();

    // Logs: two batches for the shared user, then the first one again (a retry).
    for n in [0, 1, 0] {
        let body = ok(
            "send_logs",
            l.post_raw(
                "/send_logs",
                &[("x-user-token", &s.log_token)],
                &batch(&s, i, n).to_string(),
            )
            .await,
            &[200],
        )
        .await;
        assert_eq!(
            body,
            json!({"code": 200, "message": "Logs added successfully"})
        );
    }

    // Incidents: the same one from everyone, and one of its own.
    let report = |title: String| json!({"incident": {"title": title, "message": "m", "level": "error"}, "app_name": s.app, "code": s.code});
    let same = ok(
        "report same",
        l.post_raw(
            "/incidents",
            &[],
            &report(format!("{} shared", s.run)).to_string(),
        )
        .await,
        &[200, 201],
    )
    .await;
    out["shared_incident"] = same["id"].clone();
    let mine = ok(
        "report own",
        l.post_raw(
            "/incidents",
            &[],
            &report(format!("{} own {i}", s.run)).to_string(),
        )
        .await,
        &[201],
    )
    .await;
    out["own_incident"] = mine["id"].clone();

    // Heartbeats: its own app, three beats.
    for _ in 0..3 {
        ok(
            "heartbeat",
            l.post(
                "/api/apps/",
                &s.key,
                &json!({"app_id": 5000 + i, "message": "OK:200"}),
            )
            .await,
            &[200],
        )
        .await;
    }

    // Messenger: its own contact of the shared user, and a send to it.
    ok(
        "contacts create",
        l.post(
            "/api/contacts",
            &s.key,
            &json!({"user_name": "shared", "contacts": [
                {"name": format!("c{i}"), "messangers": {"telegram": format!("-100{i:07}"), "whatsApp": "", "viber": ""}}
            ]}),
        )
        .await,
        &[200],
    )
    .await;
    let mut req = Live::http()
        .put(format!("{}/api/contacts", l.base))
        .header("x-api-key", &s.key)
        .header("content-type", "application/json")
        .body(
            json!({"user_name": "shared", "contact": [format!("c{i}")], "message": format!("hi {i}"), "time": [chrono::Datelike::year(&chrono::Utc::now()) + 1, 1, 1, 0, 0, 0]})
                .to_string(),
        );
    req = req.header("user-agent", "concurrency");
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let sent: Value = resp.json().await.unwrap();
    assert_eq!(status, 200, "send: {sent}");
    out["send"] = sent["sendId"].clone();
    out
}

async fn scan(l: &Live, logical: &str) -> Vec<std::collections::HashMap<String, AttributeValue>> {
    scan_all(&l.ddb().await, l.stack.table(logical).unwrap()).await
}

fn s_attr(item: &std::collections::HashMap<String, AttributeValue>, k: &str) -> String {
    item.get(k)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_clients_lose_nothing_and_duplicate_nothing() {
    let l = live().await;
    let run = format!("cc{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let admin = format!("Bearer {}", l.admin_token);
    let tenant = run.clone();
    let key = l.issue_key(&tenant).await;
    let session = ok(
        "shared session",
        l.post(
            "/start_session",
            &key,
            &json!({"userId": "shared", "machineId": format!("{run}-shared"), "startAt": "2026-03-01T10:00:00Z", "orgId": 1}),
        )
        .await,
        &[200],
    )
    .await["sessionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = ok(
        "log user",
        l.post_raw(
            "/admin/log_users",
            &[("authorization", &admin)],
            &json!({"user": run}).to_string(),
        )
        .await,
        &[201],
    )
    .await;
    let app = ok(
        "app",
        l.post_raw(
            "/admin/apps",
            &[("authorization", &admin)],
            &json!({"name": run}).to_string(),
        )
        .await,
        &[201],
    )
    .await;
    let shared = Arc::new(Shared {
        key,
        tenant,
        session,
        log_user: run.clone(),
        log_token: user["x_user_token"].as_str().unwrap().to_owned(),
        app: run.clone(),
        code: app["code"].as_str().unwrap().to_owned(),
        run: run.clone(),
        l,
    });

    let t0 = std::time::Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|i| tokio::spawn(client(shared.clone(), i)))
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.expect("a client failed"));
    }
    let elapsed = t0.elapsed();
    let l = &shared.l;

    // Tracker: every event in the shared session exactly once; 50 distinct own sessions.
    let (status, s) = l
        .post(
            "/get_session",
            &shared.key,
            &json!({"sessionId": shared.session}),
        )
        .await;
    assert_eq!(status, 200, "{s}");
    let events = s["events"].as_array().unwrap();
    let distinct: BTreeSet<(i64, i64)> = events
        .iter()
        .map(|e| {
            (
                e["payload"]["client"].as_i64().unwrap(),
                e["payload"]["e"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(events.len(), CLIENTS * EVENTS_PER_CLIENT, "events stored");
    assert_eq!(
        distinct.len(),
        CLIENTS * EVENTS_PER_CLIENT,
        "events distinct"
    );
    let own: BTreeSet<&str> = results
        .iter()
        .map(|r| r["session"].as_str().unwrap())
        .collect();
    assert_eq!(own.len(), CLIENTS);

    // Logs: 50 clients x 2 batches x 20 lines, each line once (the retried batch added none,
    // and batches with the same user, pid and post_time did not overwrite each other).
    let mut lines: BTreeMap<String, usize> = BTreeMap::new();
    for chunk in scan(l, "LogsTable").await {
        if s_attr(&chunk, "pk") != format!("U#{run}") {
            continue;
        }
        let packed: Vec<Value> = serde_json::from_str(&s_attr(&chunk, "lines")).unwrap();
        for line in packed {
            *lines
                .entry(line[2].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    assert_eq!(
        lines.len(),
        CLIENTS * 2 * LINES_PER_BATCH,
        "log lines stored"
    );
    assert!(
        lines.values().all(|n| *n == 1),
        "duplicated lines: {:?}",
        lines
            .iter()
            .filter(|(_, n)| **n > 1)
            .take(5)
            .collect::<Vec<_>>()
    );

    // Incidents: the shared one exists once with count 50; 50 own ones.
    let shared_ids: BTreeSet<&str> = results
        .iter()
        .map(|r| r["shared_incident"].as_str().unwrap())
        .collect();
    assert_eq!(shared_ids.len(), 1, "one incident for 50 identical reports");
    let incidents: Vec<_> = scan(l, "IncidentsTable")
        .await
        .into_iter()
        .filter(|i| s_attr(i, "app_name") == run && s_attr(i, "sk") == "META")
        .collect();
    assert_eq!(incidents.len(), CLIENTS + 1, "incidents stored");
    let shared_one = incidents
        .iter()
        .find(|i| s_attr(i, "title") == format!("{run} shared"))
        .unwrap();
    assert_eq!(
        shared_one.get("count").unwrap().as_n().unwrap(),
        &CLIENTS.to_string(),
        "every identical report counted once"
    );

    // Heartbeats: 50 apps of the tenant, 3 beats each.
    let apps: Vec<_> = scan(l, "HeartbeatTable")
        .await
        .into_iter()
        .filter(|i| s_attr(i, "tenant") == shared.tenant && i.contains_key("beats"))
        .collect();
    assert_eq!(apps.len(), CLIENTS, "heartbeat apps");
    assert!(apps
        .iter()
        .all(|a| a.get("beats").unwrap().as_n().unwrap() == "3"));

    // Messenger: 50 contacts of the shared user, 50 distinct scheduled sends.
    let (status, listed) = l
        .get(
            "/api/contacts",
            &[("user_name", "shared")],
            &[("x-api-key", &shared.key)],
        )
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(
        listed["contacts"].as_object().unwrap().len(),
        CLIENTS,
        "contacts"
    );
    let sends: BTreeSet<&str> = results
        .iter()
        .map(|r| r["send"].as_str().unwrap())
        .collect();
    assert_eq!(sends.len(), CLIENTS);
    let stored_sends = scan(l, "MessengerTable")
        .await
        .into_iter()
        .filter(|i| s_attr(i, "sk") == "SEND" && s_attr(i, "tenant") == shared.tenant)
        .count();
    assert_eq!(stored_sends, CLIENTS, "sends stored");
    eprintln!(
        "{CLIENTS} clients in {elapsed:?}: {} events, {} log lines, {} incidents (shared count {CLIENTS}), {} apps, {} sends, {} contacts",
        events.len(),
        lines.len(),
        incidents.len(),
        apps.len(),
        stored_sends,
        CLIENTS
    );
}
