//! Seed 002 end to end: heartbeats over HTTP through `cargo lambda watch` (the seed's path
//! `/api/apps/`), the scanner invoked through watch's Lambda Invoke API with a Scheduled Event,
//! mail read back from moto's SES.

use serde_json::{json, Value};

use lookout_tests::support::{live, sent_mail, Live, SentMail};

use crate::harness::scheduled_event;

fn tenant() -> String {
    format!("hb{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// Mail about `tenant`'s apps (the live stack is shared by every e2e test).
async fn mails_about(l: &Live, tenant: &str) -> Vec<SentMail> {
    sent_mail(&l.moto)
        .await
        .into_iter()
        .filter(|m| m.subject.contains(&format!("({tenant})")))
        .collect()
}

/// RFC 3339 for the wall clock plus `secs` (functions under watch use the system clock).
fn in_secs(secs: i64) -> String {
    let now = lookout_core::time::Timestamp::now();
    let ms = now.datetime().timestamp_millis() + secs * 1000;
    lookout_core::time::Timestamp::parse_json(&json!(ms))
        .unwrap()
        .to_rfc3339()
}

async fn scan(l: &Live, time: &str) -> Value {
    let (status, error, report) = l.invoke("scan-silent-apps", &scheduled_event(time)).await;
    assert_eq!((status, error), (200, None), "{report}");
    report
}

#[tokio::test]
async fn e2e_heartbeat_silence_mail_and_recovery_mail() {
    let l = live().await;
    let tenant = tenant();
    let key = l.issue_key(&tenant).await;

    let (status, reply) = l
        .post(
            "/api/apps/",
            &key,
            &json!({"app_id": 23, "message": "OK:200"}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        (reply["status"].clone(), reply["state"].clone()),
        (json!("ok"), json!("up"))
    );
    let (status, reply) = l.post("/api/apps/", &key, &json!({"app_id": "x y"})).await;
    assert_eq!(
        (status, reply["error"].clone()),
        (400, json!("validation")),
        "{reply}"
    );
    let (status, _) = l
        .post_raw("/api/apps/", &[], &json!({"app_id": 23}).to_string())
        .await;
    assert_eq!(status, 401);

    // Ten minutes later, as the schedule would fire: one DOWN mail to the admin. (Another
    // test's scan of this shared stack may be the one that finds the app: one mail either way.)
    let report = scan(&l, &in_secs(600)).await;
    assert_eq!(report["errors"], json!(0), "{report}");
    let mails = mails_about(&l, &tenant).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(
        mails[0].subject,
        format!("[Lookout] DOWN: app 23 ({tenant}) is silent")
    );
    assert_eq!(mails[0].to, vec![l.stack.params["AdminEmail"].clone()]);
    assert_eq!(mails[0].from, l.stack.params["SenderEmail"]);
    assert!(
        mails[0].body.contains("Last message:   OK:200"),
        "{}",
        mails[0].body
    );

    // The next run sends nothing new.
    scan(&l, &in_secs(660)).await;
    assert_eq!(mails_about(&l, &tenant).await.len(), 1);

    // The app is back: one UP mail, sent by the heartbeat.
    let (status, reply) = l
        .post(
            "/api/apps/",
            &key,
            &json!({"app_id": 23, "message": "OK:back"}),
        )
        .await;
    assert_eq!(
        (status, reply["state"].clone()),
        (200, json!("up")),
        "{reply}"
    );
    let mails = mails_about(&l, &tenant).await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert_eq!(
        mails[1].subject,
        format!("[Lookout] UP: app 23 ({tenant}) is back")
    );
    assert!(
        mails[1].body.contains("Message:        OK:back"),
        "{}",
        mails[1].body
    );
    l.post("/api/apps/", &key, &json!({"app_id": 23})).await;
    assert_eq!(mails_about(&l, &tenant).await.len(), 2);
}

#[tokio::test]
async fn e2e_admin_heartbeat_apps() {
    let l = live().await;
    let tenant = tenant();
    let bearer = format!("Bearer {}", l.admin_token);
    // A week's period: no scanner run of another test can mark it down meanwhile.
    let body = json!({"tenant": tenant, "app_id": "nightly-job", "period_seconds": 604_800});
    let (status, app) = l
        .post_raw(
            "/admin/heartbeat_apps",
            &[("authorization", &bearer)],
            &body.to_string(),
        )
        .await;
    assert_eq!((status, app["state"].clone()), (201, json!("up")), "{app}");
    let (status, _) = l
        .post_raw("/admin/heartbeat_apps", &[], &body.to_string())
        .await;
    assert_eq!(status, 401);
    let (status, reply) = l
        .post_raw(
            "/admin/heartbeat_apps",
            &[("authorization", &bearer)],
            &json!({"tenant": tenant, "app_id": 1, "period_seconds": 1}).to_string(),
        )
        .await;
    assert_eq!(status, 400, "{reply}");

    let (status, list) = l
        .get(
            "/admin/heartbeat_apps",
            &[("tenant", &tenant)],
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["apps"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["apps"][0]["app_id"], "nightly-job");
    assert_eq!(list["apps"][0]["period_seconds"], 604_800);
    let (status, _) = l
        .get("/admin/heartbeat_apps", &[("tenant", &tenant)], &[])
        .await;
    assert_eq!(status, 401);
    let (status, _) = l
        .get("/admin/heartbeat_apps", &[], &[("authorization", &bearer)])
        .await;
    assert_eq!(status, 400);
}

/// The seed clients' URL shapes reach their functions the way API Gateway routes them: the
/// canonical `POST /api/apps`, the seed-002 `POST /api/apps/` (no HTTP API route can end in
/// `/`: it lands on `$default`, the heartbeat function, which serves it), and the seed-000
/// `//send_logs`, which gets a 308 to `/send_logs` as the original server gave.
#[tokio::test]
async fn e2e_seed_url_shapes_reach_their_functions() {
    let l = live().await;
    let tenant = tenant();
    let key = l.issue_key(&tenant).await;
    for (path, app) in [("/api/apps", 31), ("/api/apps/", 32)] {
        let (status, reply) = l
            .post(path, &key, &json!({"app_id": app, "message": "OK:200"}))
            .await;
        assert_eq!(status, 200, "{path}: {reply}");
        assert_eq!(reply["app_id"], json!(app), "{path}: {reply}");
        assert_eq!(reply["state"], json!("up"), "{path}: {reply}");
    }
    // Both beats are stored: the admin listing shows apps 31 and 32.
    let bearer = format!("Bearer {}", l.admin_token);
    let (status, list) = l
        .get(
            "/admin/heartbeat_apps",
            &[("tenant", tenant.as_str())],
            &[("authorization", bearer.as_str())],
        )
        .await;
    assert_eq!(status, 200, "{list}");
    let text = list.to_string();
    assert!(text.contains("\"31\"") || text.contains(":31"), "{list}");
    assert!(text.contains("\"32\"") || text.contains(":32"), "{list}");

    // //send_logs: a 308 to the canonical path, query kept (redirects are not followed by
    // this client). Followed as the seed's `requests` client does (same method, body and
    // headers), the logs are stored.
    let user = format!("u{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let (status, created) = l
        .post_raw(
            "/admin/log_users",
            &[("authorization", bearer.as_str())],
            &json!({ "user": user }).to_string(),
        )
        .await;
    assert!(status == 200 || status == 201, "{created}");
    let token = created["x_user_token"].as_str().unwrap().to_owned();
    let body = json!({"data": {"user": user, "pid": 1, "p_name": "p",
        "post_time": "2020-05-05T12:22:22+00:00",
        "logs": [{"level": "error", "msg": "via //send_logs",
                  "event_at": "2020-05-05T12:22:22+00:00", "p_description": "d"}]}})
    .to_string();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(600))
        .build()
        .unwrap();
    let resp = client
        .post(format!("{}//send_logs?x=1", l.base))
        .header("x-user-token", &token)
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 308);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/send_logs?x=1");
    let (status, reply) = l
        .post_raw("/send_logs", &[("x-user-token", token.as_str())], &body)
        .await;
    assert_eq!(
        (status, reply),
        (
            200,
            json!({"code": 200, "message": "Logs added successfully"})
        )
    );
    let (status, logs) = l
        .get(
            "/logs",
            &[("user", user.as_str())],
            &[("x-user-token", token.as_str())],
        )
        .await;
    assert_eq!(status, 200, "{logs}");
    assert!(logs.to_string().contains("via //send_logs"), "{logs}");

    // Unknown paths on $default: a JSON 404, nothing else.
    let (status, reply) = l.post("/no/such/route", &key, &json!({})).await;
    assert_eq!(
        (status, reply["error"].clone()),
        (404, json!("not_found")),
        "{reply}"
    );
    // (A known path with another method also lands on $default in API Gateway; watch's router
    // answers that itself, so it is checked in-process: heartbeat's `non_post_is_not_found`.)
}

#[tokio::test]
async fn e2e_job_signals_through_the_route() {
    let l = live().await;
    let tenant = tenant();
    let key = l.issue_key(&tenant).await;
    // A week's period: no scanner run of another test can mark it down meanwhile.
    let bearer = format!("Bearer {}", l.admin_token);
    let (status, _) = l
        .post_raw(
            "/admin/heartbeat_apps",
            &[("authorization", &bearer)],
            &json!({"tenant": tenant, "app_id": "backup", "period_seconds": 604_800}).to_string(),
        )
        .await;
    assert_eq!(status, 201);

    let (status, started) = l
        .post(
            "/api/apps/start",
            &key,
            &json!({"app_id": "backup", "run_id": "r1"}),
        )
        .await;
    assert_eq!(
        (status, started["run_id"].clone()),
        (200, json!("r1")),
        "{started}"
    );
    let (status, failed) = l
        .post(
            "/api/apps/fail",
            &key,
            &json!({"app_id": "backup", "run_id": "r1", "exit_code": 2}),
        )
        .await;
    assert_eq!(status, 200, "{failed}");
    assert_eq!(
        (failed["state"].clone(), failed["run"]["outcome"].clone()),
        (json!("down"), json!("fail"))
    );
    assert!(failed["run"]["duration_ms"].as_i64().unwrap() >= 0);
    let (status, back) = l
        .post(
            "/api/apps/exit",
            &key,
            &json!({"app_id": "backup", "exit_code": 0}),
        )
        .await;
    assert_eq!(
        (status, back["state"].clone()),
        (200, json!("up")),
        "{back}"
    );
    let subjects: Vec<String> = mails_about(&l, &tenant)
        .await
        .into_iter()
        .map(|m| m.subject)
        .collect();
    assert_eq!(
        subjects,
        [
            format!("[Lookout] DOWN: app backup ({tenant}): run failed with exit code 2"),
            format!("[Lookout] UP: app backup ({tenant}) is back"),
        ]
    );
    let (status, reply) = l
        .post("/api/apps/reboot", &key, &json!({"app_id": 1}))
        .await;
    assert_eq!(status, 404, "{reply}");
}

/// Pumps the app-events and messenger queues until `done` holds (at most 90 s).
async fn pump_until<F, Fut>(l: &Live, what: &str, mut done: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<Value>>,
{
    let mut events = lookout_tests::support::app_events_pump(l).await;
    let _turn = lookout_tests::support::pump_turn().await;
    let mut messenger = lookout_tests::support::messenger_pump(l).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        events.tick(chrono::Utc::now()).await;
        messenger.tick(chrono::Utc::now()).await;
        if let Some(v) = done().await {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn e2e_an_outage_becomes_an_incident_and_the_recovery_resolves_it() {
    let l = live().await;
    let tenant = tenant();
    let key = l.issue_key(&tenant).await;
    let bearer = format!("Bearer {}", l.admin_token);
    let app_name = format!("{tenant} svc");
    let (status, _) = l
        .post(
            "/api/apps/",
            &key,
            &json!({"app_id": "svc", "message": "OK"}),
        )
        .await;
    assert_eq!(status, 200);

    // Down: the scanner (through watch) mails the admin and queues the transition; the pump
    // runs apply-app-transitions (through watch), which opens the incident.
    scan(&l, &in_secs(600)).await;
    let incident = pump_until(&l, "the outage's incident", || async {
        let (_, page) = l
            .get(
                "/admin/incidents",
                &[("app", app_name.as_str())],
                &[("authorization", &bearer)],
            )
            .await;
        page["incidents"]
            .as_array()
            .and_then(|a| a.first().cloned())
    })
    .await;
    assert_eq!(
        (&incident["title"], &incident["status"], &incident["level"]),
        (&json!("App svc is down"), &json!("open"), &json!("crit"))
    );
    assert_eq!(incident["heartbeat"]["last_message"], json!("OK"));
    let id = incident["id"].as_str().unwrap().to_owned();
    // ... and the admin's Telegram chat (AdminAlertContacts) got the alert, through the
    // messenger queue and deliver-messages.
    let down_alert = format!("[Lookout] DOWN: app svc ({tenant}) is silent");
    alert_received(&l, &down_alert).await;

    // Up: the beat mails the recovery and queues it; the incident is resolved.
    l.post(
        "/api/apps/",
        &key,
        &json!({"app_id": "svc", "message": "OK:back"}),
    )
    .await;
    let detail = pump_until(&l, "the resolution", || async {
        let (_, detail) = l
            .get(
                "/admin/incident",
                &[("id", id.as_str())],
                &[("authorization", &bearer)],
            )
            .await;
        (detail["status"] == json!("resolved")).then_some(detail)
    })
    .await;
    assert_eq!(detail["history"][0]["by"], json!("heartbeat"));
    alert_received(&l, &format!("[Lookout] UP: app svc ({tenant}) is back")).await;
    let subjects: Vec<String> = mails_about(&l, &tenant)
        .await
        .into_iter()
        .map(|m| m.subject)
        .collect();
    // The app beats every 60 s by default: another test's scan of this shared stack ten
    // minutes ahead, run after the recovery, finds it silent again (a third mail, DOWN, as
    // it should be). The outage and its recovery are the first two.
    assert_eq!(
        subjects.get(..2),
        Some(
            &[
                format!("[Lookout] DOWN: app svc ({tenant}) is silent"),
                format!("[Lookout] UP: app svc ({tenant}) is back"),
            ][..]
        ),
        "{subjects:?}"
    );
}

/// Waits (pumping) until the admin's chat got one message starting with `first_line`.
async fn alert_received(l: &Live, first_line: &str) {
    let chat = lookout_tests::support::ADMIN_ALERT_CHAT;
    let text = pump_until(l, first_line, || async {
        l.emulator_received()
            .await
            .into_iter()
            .find(|r| r.address == chat && r.text.starts_with(first_line))
            .map(|r| Value::String(r.text))
    })
    .await;
    let copies = l
        .emulator_received()
        .await
        .into_iter()
        .filter(|r| r.address == chat && r.text.starts_with(first_line))
        .count();
    assert_eq!(copies, 1, "{text}");
}

/// The live stack runs with `HeartbeatIndexShards` = 16 (`support::LIVE_INDEX_SHARDS`): the
/// functions under watch put apps in 16 shard keys of the `due` and `watch` indexes, and the
/// scanner reads all of them: apps in the shards above the default 8 go down too. (Eight
/// apps, under the ten that make a mass silence look like degraded ingestion.)
#[tokio::test]
async fn e2e_the_index_shard_count_is_a_parameter_the_scanner_follows() {
    let l = live().await;
    let tenant = tenant();
    let key = l.issue_key(&tenant).await;
    let shards = lookout_tests::support::LIVE_INDEX_SHARDS;
    // The shard of an app: the first four bytes of its key's SHA-256, modulo the count.
    let shard_of = |app: &str| {
        let hex = lookout_core::auth::sha256_hex(format!("APP#{tenant}#{app}").as_bytes());
        u32::from_str_radix(&hex[..8], 16).unwrap() % shards
    };
    // Five apps above the default's shards, three below.
    let (mut high, mut low) = (Vec::new(), Vec::new());
    for n in 0.. {
        let app = format!("s{n}");
        if shard_of(&app) >= 8 && high.len() < 5 {
            high.push(app);
        } else if shard_of(&app) < 8 && low.len() < 3 {
            low.push(app);
        }
        if high.len() == 5 && low.len() == 3 {
            break;
        }
    }
    let apps: Vec<String> = high.iter().chain(&low).cloned().collect();
    for app in &apps {
        let (status, reply) = l
            .post("/api/apps", &key, &json!({"app_id": app, "message": "OK"}))
            .await;
        assert_eq!(status, 200, "{reply}");
    }
    let sdk = lookout_dev::moto::sdk_config(&l.moto).await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    for app in &apps {
        let item = ddb
            .get_item()
            .table_name(l.stack.table("HeartbeatTable").unwrap())
            .key(
                "pk",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("APP#{tenant}#{app}")),
            )
            .send()
            .await
            .unwrap()
            .item
            .unwrap();
        assert_eq!(
            item["dueShard"].as_s().unwrap(),
            &format!("DUE#{}", shard_of(app)),
            "{app}: stored in its shard among {shards}"
        );
    }

    // Silent past period and grace: every one goes down, whatever its shard.
    let report = scan(&l, &in_secs(600)).await;
    let (status, listed) = l
        .get(
            "/admin/heartbeat_apps",
            &[("tenant", tenant.as_str()), ("limit", "100")],
            &[("authorization", &format!("Bearer {}", l.admin_token))],
        )
        .await;
    assert_eq!(status, 200, "{listed}");
    let mut down: Vec<String> = listed["apps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["state"] == "down")
        .map(|a| a["app_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    down.sort();
    let mut want = apps.clone();
    want.sort();
    assert_eq!(down, want, "scan report {report}");
}
