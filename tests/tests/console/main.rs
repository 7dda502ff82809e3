//! The web console in a real browser: a live stack (moto + `cargo lambda watch`), data seeded
//! through the API, then `node --test console-tests/` drives Debian's chromium through
//! playwright-core (log in, filter, open an incident, change its status, register an app, logs,
//! heartbeats, messenger, 401 handling), and the stored result is checked here.
//!
//! Screenshots and the node runner's output land in `tests/artifacts/console/` (git-ignored).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use std::process::Command;

use lookout_dev::template::workspace_root;
use lookout_tests::support::{alerts_in_queue, alerts_pump, app_events_pump, live, Live};
use serde_json::{json, Value};

/// What the browser test is told about the seeded data (as environment variables).
struct Seeded {
    env: Vec<(&'static str, String)>,
    incident_id: String,
    new_app: String,
}

async fn seed(l: &Live) -> Seeded {
    let admin = format!("Bearer {}", l.admin_token);
    let auth = [("authorization", admin.as_str())];
    let run = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let app = format!("Shop {run}");
    let other = format!("Search {run}");
    let log_user = format!("shop-{run}");
    let tenant = format!("acme-{run}");

    // A log user with lines, linked to the app so its incidents carry recent logs.
    let (status, user) = l
        .post_raw(
            "/admin/log_users",
            &auth,
            &json!({"user": log_user}).to_string(),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    let x_user_token = user["x_user_token"].as_str().unwrap().to_owned();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let lines: Vec<Value> = (0..8)
        .map(|i| {
            json!({"level": if i == 7 { "error" } else { "info" }, "msg": format!("checkout step {i}"),
                   "event_at": now - 60 + i, "p_description": "payment flow"})
        })
        .collect();
    let batch = json!({"data": {"user": log_user, "pid": 4242, "p_name": "api", "post_time": now, "logs": lines}});
    let (status, reply) = l
        .post_raw(
            "/send_logs",
            &[("x-user-token", &x_user_token)],
            &batch.to_string(),
        )
        .await;
    assert_eq!(status, 200, "{reply}");

    // Heartbeat apps of the tenant: 7 registered by the admin, 8 registered by its first beat.
    let (status, hb) = l
        .post_raw(
            "/admin/heartbeat_apps",
            &auth,
            &json!({"tenant": tenant, "app_id": 7, "period_seconds": 300}).to_string(),
        )
        .await;
    assert_eq!(status, 201, "{hb}");
    // A Healthchecks /log ping with a body: the output shown beside app 7's runs.
    let resp = Live::http()
        .post(format!("{}/log", hb["ping_url"].as_str().unwrap()))
        .body("rotated 2 files")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let key = l.issue_key(&tenant).await;
    let (status, beat) = l
        .post(
            "/api/apps/",
            &key,
            &json!({"app_id": 8, "message": "OK:200"}),
        )
        .await;
    assert_eq!(status, 200, "{beat}");
    // For the overview: a job whose run failed (down at once) and one that is late (a
    // 10-second period and ten minutes of grace, silent since).
    let (status, failed) = l
        .post(
            "/api/apps/fail",
            &key,
            &json!({"app_id": "nightly-backup", "exit_code": 3}),
        )
        .await;
    assert_eq!(
        (status, failed["state"].clone()),
        (200, json!("down")),
        "{failed}"
    );
    let (status, late) = l
        .post_raw(
            "/admin/heartbeat_apps",
            &auth,
            &json!({"tenant": tenant, "app_id": "quick-job", "period_seconds": 10, "grace_seconds": 600})
                .to_string(),
        )
        .await;
    assert_eq!(status, 201, "{late}");

    // Two apps and three incidents of different levels.
    let mut codes = Vec::new();
    for (name, extra) in [
        (
            &app,
            json!({"log_user": log_user, "log_process": "api", "heartbeat_tenant": tenant, "heartbeat_app_id": "7"}),
        ),
        (&other, json!({})),
    ] {
        let mut body = json!({"name": name, "description": "seeded for the console test"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (status, created) = l.post_raw("/admin/apps", &auth, &body.to_string()).await;
        assert_eq!(status, 201, "{created}");
        codes.push(created["code"].as_str().unwrap().to_owned());
    }
    let report = |name: &str, code: &str, title: &str, level: &str| {
        json!({"incident": {"title": title, "message": format!("{title}: seen by the console test"), "level": level,
                            "logs": "trace line 1\ntrace line 2\ntrace line 3"},
               "app_name": name, "code": code})
        .to_string()
    };
    let mut ids = Vec::new();
    for (name, code, title, level) in [
        (&app, &codes[0], "Slow checkout", "warning"),
        (&other, &codes[1], "Index rebuild failed", "error"),
        (&app, &codes[0], "Payments down", "crit"),
    ] {
        let (status, created) = l
            .post_raw("/incidents", &[], &report(name, code, title, level))
            .await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["id"].as_str().unwrap().to_owned());
    }

    // A messenger contact of the tenant.
    let messenger_user = format!("ops-{run}");
    let (status, created) = l
        .post(
            "/api/contacts",
            &key,
            &json!({"user_name": messenger_user, "contact": {"name": "Dana", "messangers": {"telegram": "123456789", "whatsApp": "+15550001111", "viber": ""}}}),
        )
        .await;
    assert_eq!(status, 200, "{created}");

    // An app whose Sentry SDK sent an exception: the recorded Python request, byte for byte.
    let sentry_app = format!("Worker {run}");
    let (status, created) = l
        .post_raw(
            "/admin/apps",
            &auth,
            &json!({"name": sentry_app}).to_string(),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let sentry_id = sentry_event(l, &sentry_app, created["dsn"].as_str().unwrap()).await;

    let (deps_tenant, db_incident) = seed_dependencies(l, run).await;

    let new_app = format!("Billing {run}");
    Seeded {
        env: vec![
            ("LOOKOUT_APP", app),
            ("LOOKOUT_INCIDENT_ID", ids[2].clone()),
            ("LOOKOUT_INCIDENT_TITLE", "Payments down".to_owned()),
            ("LOOKOUT_LOG_USER", log_user),
            ("LOOKOUT_HB_TENANT", tenant),
            ("LOOKOUT_API_KEY", key),
            ("LOOKOUT_MESSENGER_USER", messenger_user),
            ("LOOKOUT_NEW_APP", new_app.clone()),
            ("LOOKOUT_DOWN_APP", "nightly-backup".to_owned()),
            ("LOOKOUT_LATE_APP", "quick-job".to_owned()),
            ("LOOKOUT_SENTRY_INCIDENT_ID", sentry_id),
            ("LOOKOUT_DEPS_TENANT", deps_tenant),
            ("LOOKOUT_DEPS_DB_INCIDENT_ID", db_incident),
        ],
        incident_id: ids[2].clone(),
        new_app,
    }
}

/// A tenant whose `web` depends on `db`, with a nightly window and quiet hours: `db` goes
/// down (its outage incident opened, its alert handled), then `web`, whose alert is held
/// under `db`. The tenant and db's incident id.
async fn seed_dependencies(l: &Live, run: &str) -> (String, String) {
    let admin = format!("Bearer {}", l.admin_token);
    let auth = [("authorization", admin.as_str())];
    let tenant = format!("deps-{run}");
    let routes = json!({"tenant": tenant, "dependencies": {"web": ["db"]},
        "windows": [{"name": "nightly-backup", "app": "backup", "cron": "30 2 * * *",
                     "tz": "Europe/Berlin", "duration_minutes": 60}],
        "quiet_hours": {"start": "22:00", "end": "07:00", "tz": "Europe/Berlin"}});
    let resp = Live::http()
        .put(format!("{}/admin/alert_routes", l.base))
        .header("authorization", &admin)
        .header("content-type", "application/json")
        .body(routes.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    for app in ["db", "web"] {
        let (status, body) = l
            .post_raw(
                "/admin/heartbeat_apps",
                &auth,
                &json!({"tenant": tenant, "app_id": app, "period_seconds": 604_800}).to_string(),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let key = l.issue_key(&tenant).await;
    let mut events = app_events_pump(l).await;
    let mut alerts = alerts_pump(l).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    // db first, and its alert handled (db recorded down) before web's comes.
    let (status, body) = l
        .post(
            "/api/apps/fail",
            &key,
            &json!({"app_id": "db", "exit_code": 1}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let db_app = format!("{tenant} db");
    let db_incident = loop {
        let now = chrono::Utc::now();
        events.tick(now).await;
        alerts.tick(now).await;
        let (_, list) = l
            .get("/admin/incidents", &[("app", db_app.as_str())], &auth)
            .await;
        let in_queue = alerts_in_queue(l).await;
        if let (Some(id), 0) = (list["incidents"][0]["id"].as_str(), in_queue) {
            break id.to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "db's outage never handled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let (status, body) = l
        .post(
            "/api/apps/fail",
            &key,
            &json!({"app_id": "web", "exit_code": 1}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    loop {
        let now = chrono::Utc::now();
        events.tick(now).await;
        alerts.tick(now).await;
        let (_, listed) = l
            .get(
                "/admin/alert_failures",
                &[("tenant", tenant.as_str())],
                &auth,
            )
            .await;
        if listed["held"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|h| h["app"] == json!("web") && h["parent"] == json!("db"))
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "web's alert never held"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    (tenant, db_incident)
}

/// Sends the Python SDK's recorded exception (tests/sdk/recorded/) to `app` by its `dsn`; the
/// incident's id.
async fn sentry_event(l: &Live, app: &str, dsn: &str) -> String {
    let (key, rest) = dsn.split_once("://").unwrap().1.split_once('@').unwrap();
    let project = rest.rsplit('/').next().unwrap();
    let recorded = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sdk/recorded/python-event.envelope.gz"
    );
    let resp = Live::http()
        .post(format!("{}/api/{project}/envelope/", l.base))
        .header("content-type", "application/x-sentry-envelope")
        .header("content-encoding", "gzip")
        .header(
            "x-sentry-auth",
            format!("Sentry sentry_key={key}, sentry_version=7"),
        )
        .body(std::fs::read(recorded).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let admin = format!("Bearer {}", l.admin_token);
    let (_, page) = l
        .get(
            "/admin/incidents",
            &[("app", app)],
            &[("authorization", &admin)],
        )
        .await;
    page["incidents"][0]["id"].as_str().unwrap().to_owned()
}

/// Has watch build every function the page calls before the browser's timeouts start.
async fn warm_up(l: &Live, incident: &str) {
    let http = Live::http();
    let admin = format!("Bearer {}", l.admin_token);
    let gets = [
        "/console",
        "/console/app.js",
        "/admin/incidents",
        "/admin/apps",
        "/logs",
        "/admin/heartbeat_apps",
        "/admin/overview",
        "/api/get_failed_mess",
        "/api/contacts",
        "/admin/alert_channels",
        "/admin/alert_routes",
        "/admin/alert_failures",
    ];
    let mut calls: Vec<_> = gets
        .iter()
        .map(|p| {
            http.get(format!("{}{p}", l.base))
                .header("authorization", &admin)
                .send()
        })
        .collect();
    calls.push(
        http.get(format!("{}/admin/incident?id={incident}", l.base))
            .header("authorization", &admin)
            .send(),
    );
    calls.push(
        http.patch(format!("{}/admin/incident", l.base))
            .header("authorization", &admin)
            .body("{}")
            .send(),
    );
    calls.push(
        http.put(format!("{}/admin/apps", l.base))
            .header("authorization", &admin)
            .body("{}")
            .send(),
    );
    for (method, path) in [
        (reqwest::Method::POST, "/admin/alert_channels"),
        (reqwest::Method::POST, "/admin/alert_channels/test"),
        (reqwest::Method::PUT, "/admin/alert_routes"),
    ] {
        calls.push(
            http.request(method, format!("{}{path}", l.base))
                .header("authorization", &admin)
                .body("{}")
                .send(),
        );
    }
    // One at a time: many first invocations at once through watch have been seen to lose one
    // (a request that is never answered), which would stall the browser's run.
    for call in calls {
        let status = call.await.expect("warm-up request").status().as_u16();
        assert!(status < 500, "warm-up answered {status}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_chromium_logs_in_filters_and_updates_an_incident() {
    let l = live().await;
    let seeded = seed(&l).await;
    warm_up(&l, &seeded.incident_id).await;

    // The page itself over HTTP: headers as the browser gets them.
    let resp = Live::http()
        .get(format!("{}/console", l.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/html; charset=utf-8");
    assert!(resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    let page_bytes = resp.text().await.unwrap().len();
    let missing = Live::http()
        .get(format!("{}/console/nope.js", l.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        missing.status(),
        404,
        "unknown asset through watch's router"
    );

    let root = workspace_root();
    let artifacts = root.join("tests/artifacts/console");
    std::fs::create_dir_all(&artifacts).unwrap();
    // The browser run is bounded: a chromium that hangs at start (seen once in CI, making no
    // request at all) is killed with its process group and started again, once; a run that
    // fails its assertions is not retried.
    let run_node = |attempt: u32| {
        let out_path = artifacts.join(format!("node-test.{attempt}.out"));
        let out_file = std::fs::File::create(&out_path).unwrap();
        let mut node = Command::new("setsid");
        node.current_dir(&root)
            .args(["node", "--test", "--test-reporter=spec", "console-tests/"])
            .env("LOOKOUT_API_URL", &l.base)
            .env("LOOKOUT_ADMIN_TOKEN", &l.admin_token)
            .env("LOOKOUT_ARTIFACTS", &artifacts)
            .env("LOOKOUT_EMULATOR_URL", l.emulator_url())
            .stdin(std::process::Stdio::null())
            .stdout(out_file.try_clone().unwrap())
            .stderr(out_file);
        for (k, v) in &seeded.env {
            node.env(k, v);
        }
        let mut child = node
            .spawn()
            .expect("node (installed by scripts/bootstrap.sh)");
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if started.elapsed() > std::time::Duration::from_secs(300) {
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .status();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        };
        (
            status,
            std::fs::read_to_string(&out_path).unwrap_or_default(),
        )
    };
    let (mut status, mut log) = tokio::task::block_in_place(|| run_node(1));
    // Only a run that hung before any test passed is started again: one that got further has
    // changed what the next run would find (an incident's status, an app registered).
    if status.is_none() && !log.contains('✔') {
        eprintln!("the browser run hung for 300 s; killed, starting it again:\n{log}");
        (status, log) = tokio::task::block_in_place(|| run_node(2));
    }
    std::fs::write(artifacts.join("node-test.log"), &log).unwrap();
    assert!(
        status.is_some_and(|s| s.success()),
        "node --test console-tests/ failed or hung ({status:?}):\n{log}"
    );
    // The spec reporter's summary: some tests ran, none failed or was skipped.
    let count = |what: &str| {
        log.lines()
            .find_map(|l| l.strip_prefix(&format!("ℹ {what} ")))
            .and_then(|n| n.trim().parse::<u32>().ok())
    };
    assert!(count("pass").is_some_and(|n| n >= 10), "{log}");
    assert_eq!(
        (count("fail"), count("skipped")),
        (Some(0), Some(0)),
        "{log}"
    );
    eprintln!("index.html: {page_bytes} bytes\n{log}");

    // What the browser did is stored: the status change with its history entry.
    let admin = format!("Bearer {}", l.admin_token);
    let (status, detail) = l
        .get(
            "/admin/incident",
            &[("id", &seeded.incident_id)],
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["status"], "acknowledged", "{detail}");
    assert_eq!(detail["assignee"], "dana", "{detail}");
    assert_eq!(
        detail["notes"], "Rolled back the payment gateway config.",
        "{detail}"
    );
    let history = detail["history"].as_array().unwrap();
    assert!(
        history.iter().any(|c| c["field"] == "status"
            && c["from"] == "open"
            && c["to"] == "acknowledged"
            && c["by"] == "Console Tester"),
        "{detail}"
    );
    // The app registered in the browser exists, and its code is never listed.
    let (_, apps) = l
        .get("/admin/apps", &[], &[("authorization", &admin)])
        .await;
    let listed = apps["apps"].as_array().unwrap();
    assert!(
        listed.iter().any(|a| a["name"] == seeded.new_app.as_str()),
        "{apps}"
    );
    assert!(listed.iter().all(|a| a.get("code").is_none()));

    // The alert channel added in the browser: routed to, and its test alert received.
    let tenant = seeded
        .env
        .iter()
        .find(|(k, _)| *k == "LOOKOUT_HB_TENANT")
        .map(|(_, v)| v.clone())
        .unwrap();
    let (_, channels) = l
        .get(
            "/admin/alert_channels",
            &[("tenant", &tenant)],
            &[("authorization", &admin)],
        )
        .await;
    let id = channels["channels"][0]["id"].clone();
    let (_, routes) = l
        .get(
            "/admin/alert_routes",
            &[("tenant", &tenant)],
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(routes["default"], json!([id]), "{routes}");
    assert_eq!(routes["rules"][0]["repeat_minutes"], json!(10), "{routes}");
    let tests: Vec<_> = l
        .emulator_received()
        .await
        .into_iter()
        .filter(|r| r.messenger == "webhook" && r.address == format!("console-{tenant}"))
        .collect();
    assert_eq!(tests.len(), 1, "{tests:?}");
    assert_eq!(tests[0].body["kind"], json!("test"));
    // The incident acknowledged with the one button.
    let (_, sentry) = l
        .get(
            "/admin/incident",
            &[("id", seeded_sentry(&seeded))],
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(sentry["status"], json!("acknowledged"), "{sentry}");
}

fn seeded_sentry(seeded: &Seeded) -> &str {
    seeded
        .env
        .iter()
        .find(|(k, _)| *k == "LOOKOUT_SENTRY_INCIDENT_ID")
        .map(|(_, v)| v.as_str())
        .unwrap()
}
