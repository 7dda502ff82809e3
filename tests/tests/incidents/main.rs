//! Seed 001 incident dispatch: handlers in-process against moto (mail read back from moto's
//! SES data), then end to end through watch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

mod bounded;
mod budget;
mod e2e;
mod seed_client;
mod sentry_replay;
mod sentry_sdk;

use lookout_core::{
    auth::{sha256_hex, AdminAuth, Tenant},
    time::Timestamp,
};
use lookout_dev::{emulator::Emulator, moto};
use lookout_heartbeats::{HeartbeatIn, HeartbeatStore};
use lookout_incidents::{AdminDeps, IncidentStore};
use lookout_logs::LogStore;
use lookout_mail::{AdminMail, Mailer};
use lookout_messenger::messenger::{Messenger, MessengerConfig};
use lookout_tests::support::{
    http_request, read, read_secret, request, sent_mail, spawn_app, SentMail, TestApp, ADMIN_TOKEN,
};
use serde_json::{json, Value};

struct Incidents {
    app: TestApp,
    /// The incident admin functions' dependencies, by function (each signs as its own role).
    admin: std::collections::BTreeMap<&'static str, AdminDeps>,
    report: report_incident::Deps,
    logs: LogStore,
    /// Admin address unique to this test (moto's mail is shared by all tests).
    admin_to: String,
    /// Telegram admin chat unique to this test (the emulator is shared too).
    admin_chat: String,
}

async fn setup() -> Incidents {
    let app = spawn_app().await;
    // The provisioning user's view of the logs (tests seed and read them); each handler signs
    // as its own function's role.
    let logs_of = |ddb| {
        LogStore::new(
            ddb,
            app.stack.table("LogUsersTable").unwrap(),
            app.stack.table("LogsTable").unwrap(),
            30,
        )
    };
    let logs = logs_of(app.ddb.clone());
    let store_of = |ddb| IncidentStore::new(ddb, app.stack.table("IncidentsTable").unwrap());
    let mut admin = std::collections::BTreeMap::new();
    for b in lookout_tests::support::INCIDENT_ADMIN_FUNCTIONS {
        admin.insert(
            b,
            AdminDeps {
                admin: AdminAuth::from_sha256_hex(&sha256_hex(ADMIN_TOKEN.as_bytes())).unwrap(),
                store: store_of(app.ddb_for(b).await),
                public_url: None,
            },
        );
    }
    let sdk = app.sdk_for("report-incident").await;
    let report_ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let sender = app.stack.params["SenderEmail"].clone();
    let admin_to = format!("admin-{}@example.com", uuid::Uuid::new_v4().simple());
    let admin_chat = format!("-100{}", uuid::Uuid::new_v4().as_u128() % 1_000_000_000);
    Incidents {
        admin,
        report: report_incident::Deps {
            store: store_of(report_ddb.clone()),
            mail: Some(std::sync::Arc::new(AdminMail::new(
                Mailer::from_sdk(&sdk, sender),
                admin_to.clone(),
            ))),
            logs: Some(logs_of(report_ddb.clone())),
            heartbeats: Some(HeartbeatStore::new(
                report_ddb,
                app.stack.table("HeartbeatTable").unwrap(),
            )),
            console_url: Some("http://127.0.0.1:9000/console".into()),
            telegram: Some(report_incident::TelegramAdmin {
                messenger: std::sync::Arc::new(
                    Messenger::new(MessengerConfig::emulated(Emulator::shared().unwrap().url()))
                        .unwrap(),
                ),
                chat_id: admin_chat.clone(),
            }),
            alerts: None,
            clock: lookout_core::time::system_clock(),
        },
        logs,
        admin_to,
        admin_chat,
        app,
    }
}

const BEARER: &str = "Bearer test-admin-token";

impl Incidents {
    async fn register(&self, body: Value) -> (u16, Value) {
        read_secret(
            admin_register_app::handle(
                &self.admin["admin-register-app"],
                request(
                    "/admin/apps",
                    &[("authorization", BEARER)],
                    &body.to_string(),
                ),
            )
            .await,
        )
    }

    async fn code_for(&self, name: &str) -> String {
        let (status, body) = self
            .register(json!({"name": name, "description": "test app"}))
            .await;
        assert_eq!(status, 201, "{body}");
        body["code"].as_str().unwrap().to_owned()
    }

    async fn report(&self, body: Value) -> (u16, Value) {
        read(
            report_incident::handle(&self.report, request("/incidents", &[], &body.to_string()))
                .await,
        )
    }

    async fn list(&self, q: &[(&str, &str)]) -> (u16, Value) {
        read(
            admin_list_incidents::handle(
                &self.admin["admin-list-incidents"],
                http_request(
                    "GET",
                    "/admin/incidents",
                    q,
                    &[("authorization", BEARER)],
                    "",
                ),
            )
            .await,
        )
    }

    async fn get(&self, id: &str) -> (u16, Value) {
        read(
            admin_get_incident::handle(
                &self.admin["admin-get-incident"],
                http_request(
                    "GET",
                    "/admin/incident",
                    &[("id", id)],
                    &[("authorization", BEARER)],
                    "",
                ),
            )
            .await,
        )
    }

    async fn patch(&self, body: Value) -> (u16, Value) {
        read(
            admin_update_incident::handle(
                &self.admin["admin-update-incident"],
                http_request(
                    "PATCH",
                    "/admin/incident",
                    &[],
                    &[("authorization", BEARER)],
                    &body.to_string(),
                ),
            )
            .await,
        )
    }

    async fn mails(&self) -> Vec<SentMail> {
        sent_mail(&moto::endpoint().unwrap())
            .await
            .into_iter()
            .filter(|m| m.to.contains(&self.admin_to))
            .collect()
    }

    async fn incident_items(&self) -> usize {
        self.app
            .items(self.app.stack.table("IncidentsTable").unwrap())
            .await
            .iter()
            .filter(|i| i["pk"].as_s().unwrap().starts_with("INC#"))
            .count()
    }
}

fn seed_incident(app: &str, code: &str) -> Value {
    json!({
        "incident": {"title": "Error in user registration", "message": "User registration failed", "level": "error", "logs": "log 1\nlog 2\nlog 3\nlog 4\nlog 5"},
        "app_name": app, "code": code
    })
}

#[tokio::test]
async fn apps_are_registered_listed_and_never_show_their_code_again() {
    let t = setup().await;
    let (status, created) = t
        .register(json!({"name": "MyApp", "description": "billing", "log_user": "billing-svc"}))
        .await;
    assert_eq!(status, 201, "{created}");
    let code = created["code"].as_str().unwrap();
    assert_eq!(code.len(), 32);
    assert_eq!(created["log_user"], "billing-svc");
    assert_eq!(t.register(json!({"name": "MyApp"})).await.0, 409);

    let (status, list) = read(
        admin_list_apps::handle(
            &t.admin["admin-list-apps"],
            http_request("GET", "/admin/apps", &[], &[("authorization", BEARER)], ""),
        )
        .await,
    );
    assert_eq!(status, 200);
    assert_eq!(list["apps"].as_array().unwrap().len(), 1);
    assert_eq!(list["apps"][0]["name"], "MyApp");
    assert!(!list.to_string().contains(code), "code listed");
    let stored = t
        .app
        .items(t.app.stack.table("IncidentsTable").unwrap())
        .await;
    assert!(!format!("{stored:?}").contains(code), "plain code stored");

    for bad in [
        json!({"name": ""}),
        json!({"name": "a/b"}),
        json!({}),
        json!({"name": "x", "heartbeat_app_id": "7"}),
        json!({"name": "x", "rotate_code": true}),
        json!({"name": "x", "rotate_dsn": true}),
        json!({"name": "x", "events_per_day": 10_000_001}),
        json!({"name": "x", "colour": 1}),
    ] {
        assert_eq!(t.register(bad.clone()).await.0, 400, "{bad}");
    }
    for auth in [vec![], vec![("authorization", "Bearer nope")]] {
        let (status, _) = read(
            admin_register_app::handle(
                &t.admin["admin-register-app"],
                request("/admin/apps", &auth, &json!({"name": "Other"}).to_string()),
            )
            .await,
        );
        assert_eq!(status, 401);
        let (status, _) = read(
            admin_list_apps::handle(
                &t.admin["admin-list-apps"],
                http_request("GET", "/admin/apps", &[], &auth, ""),
            )
            .await,
        );
        assert_eq!(status, 401);
    }
}

#[tokio::test]
async fn a_new_incident_is_stored_and_mailed_to_the_admin() {
    let t = setup().await;
    let code = t.code_for("MyApp").await;
    let (status, body) = t.report(seed_incident("MyApp", &code)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (
            body["status"].as_str(),
            body["count"].as_u64(),
            body["grouped"].as_bool()
        ),
        (Some("open"), Some(1), Some(false))
    );
    let id = body["id"].as_str().unwrap();

    let (status, detail) = t.get(id).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["title"], "Error in user registration");
    assert_eq!(detail["message"], "User registration failed");
    assert_eq!(detail["level"], "error");
    assert_eq!(detail["status"], "open");
    assert_eq!(
        detail["logs"],
        json!(["log 1", "log 2", "log 3", "log 4", "log 5"])
    );
    assert_eq!(detail["notified"], true);
    assert_eq!(detail["history"], json!([]));

    let mails = t.mails().await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let m = &mails[0];
    assert_eq!(
        m.subject,
        "[Lookout] ERROR in MyApp: Error in user registration"
    );
    assert!(
        m.body.contains("User registration failed")
            && m.body.contains("log 3")
            && m.body.contains(id),
        "{}",
        m.body
    );
    assert!(
        m.body.contains(&format!("console#incident/{id}")),
        "{}",
        m.body
    );

    let chat: Vec<_> = Emulator::shared()
        .unwrap()
        .received()
        .into_iter()
        .filter(|r| r.address == t.admin_chat)
        .collect();
    assert_eq!(chat.len(), 1, "one Telegram admin-chat message: {chat:?}");
    assert_eq!(chat[0].messenger, "telegram");
    assert!(
        chat[0]
            .text
            .starts_with("[Lookout] ERROR in MyApp: Error in user registration"),
        "{}",
        chat[0].text
    );
    assert!(chat[0].text.contains(id));
}

#[tokio::test]
async fn bad_codes_and_bad_input_are_refused_and_store_nothing() {
    let t = setup().await;
    let code = t.code_for("MyApp").await;
    let other = t.code_for("Other").await;
    for (body, want) in [
        (seed_incident("MyApp", "123456"), 403),
        (seed_incident("MyApp", &other), 403),
        (seed_incident("NoSuchApp", &code), 403),
        (
            json!({"incident": {"title": "t", "level": "fatal"}, "app_name": "MyApp", "code": code}),
            400,
        ),
        (
            json!({"incident": {"title": "  ", "level": "error"}, "app_name": "MyApp", "code": code}),
            400,
        ),
        (
            json!({"incident": {"level": "error"}, "app_name": "MyApp", "code": code}),
            400,
        ),
        (
            json!({"incident": {"title": "t", "level": "error", "logs": 7}, "app_name": "MyApp", "code": code}),
            400,
        ),
        (
            json!({"incident": {"title": "t", "level": "error"}, "app_name": "MyApp"}),
            400,
        ),
        (
            json!({"incident": {"title": "x".repeat(201), "level": "error"}, "app_name": "MyApp", "code": code}),
            400,
        ),
        (json!({"title": "t"}), 400),
    ] {
        let (status, reply) = t.report(body.clone()).await;
        assert_eq!(status, want, "{body} -> {reply}");
        assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let (status, _) =
        read(report_incident::handle(&t.report, request("/incidents", &[], "{not json")).await);
    assert_eq!(status, 400);
    assert_eq!(t.incident_items().await, 0);
    assert!(t.mails().await.is_empty());
}

#[tokio::test]
async fn repeats_group_until_resolved() {
    let t = setup().await;
    let code = t.code_for("MyApp").await;
    let first = t.report(seed_incident("MyApp", &code)).await.1;
    let (status, second) = t.report(seed_incident("MyApp", &code)).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(
        (
            second["id"].clone(),
            second["count"].as_u64(),
            second["grouped"].as_bool()
        ),
        (first["id"].clone(), Some(2), Some(true))
    );
    let third = t.report(seed_incident("MyApp", &code)).await.1;
    assert_eq!(third["count"], 3);
    let mut crit = seed_incident("MyApp", &code);
    crit["incident"]["level"] = json!("crit");
    let (status, other) = t.report(crit).await;
    assert_eq!(status, 201, "another level is another incident");
    assert_ne!(other["id"], first["id"]);
    assert_eq!(t.incident_items().await, 2);
    assert_eq!(
        t.mails().await.len(),
        2,
        "one mail per new incident, none for repeats"
    );

    let (_, detail) = t.get(first["id"].as_str().unwrap()).await;
    assert_eq!(detail["count"], 3);
    assert!(detail["last_seen"].as_str().unwrap() >= detail["first_seen"].as_str().unwrap());

    // Once resolved, the same problem opens a new incident.
    assert_eq!(
        t.patch(json!({"id": first["id"], "status": "resolved"}))
            .await
            .0,
        200
    );
    let (status, again) = t.report(seed_incident("MyApp", &code)).await;
    assert_eq!(status, 201);
    assert_ne!(again["id"], first["id"]);
    assert_eq!(t.mails().await.len(), 3);
}

#[tokio::test]
async fn concurrent_reports_of_one_problem_make_one_incident() {
    let t = setup().await;
    let code = t.code_for("MyApp").await;
    let body = seed_incident("MyApp", &code);
    let results = futures::future::join_all((0..6).map(|_| t.report(body.clone()))).await;
    let ids: std::collections::BTreeSet<String> = results
        .iter()
        .map(|(_, b)| b["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "{results:?}");
    assert_eq!(results.iter().filter(|(s, _)| *s == 201).count(), 1);
    let (_, detail) = t.get(ids.iter().next().unwrap()).await;
    assert_eq!(detail["count"], 6);
    assert_eq!(t.mails().await.len(), 1);
}

#[tokio::test]
async fn incidents_are_enriched_with_the_apps_recent_logs() {
    let t = setup().await;
    let (status, created) = t
        .register(json!({"name": "Billing", "log_user": "billing", "log_process": "api"}))
        .await;
    assert_eq!(status, 201, "{created}");
    let token = t
        .logs
        .issue_token(&lookout_logs::UserName::parse("billing").unwrap(), false)
        .await
        .unwrap();
    let logs: Vec<Value> = (0..30)
        .map(|i| json!({"level": "info", "msg": format!("api line {i}"), "event_at": 1_700_000_000 + i}))
        .collect();
    let batch = json!({"data": {"user": "billing", "pid": 1, "p_name": "api", "post_time": 1_700_000_100, "logs": logs}});
    let store_resp = send_logs::handle(
        &send_logs::Deps {
            store: t.logs.clone(),
            quotas: lookout_core::quota::Quotas::default(),
            clock: lookout_core::time::system_clock(),
        },
        request(
            "/send_logs",
            &[("x-user-token", &token.x_user_token)],
            &batch.to_string(),
        ),
    )
    .await
    .unwrap();
    assert_eq!(store_resp.status(), 200);
    let other = json!({"data": {"user": "billing", "pid": 2, "p_name": "cron", "post_time": 1_700_000_200, "logs": [{"level": "info", "msg": "cron line", "event_at": 1_700_000_150}]}});
    send_logs::handle(
        &send_logs::Deps {
            store: t.logs.clone(),
            quotas: lookout_core::quota::Quotas::default(),
            clock: lookout_core::time::system_clock(),
        },
        request(
            "/send_logs",
            &[("x-user-token", &token.x_user_token)],
            &other.to_string(),
        ),
    )
    .await
    .unwrap();

    let (status, body) = t
        .report(seed_incident("Billing", created["code"].as_str().unwrap()))
        .await;
    assert_eq!(status, 201, "{body}");
    let (_, detail) = t.get(body["id"].as_str().unwrap()).await;
    let recent: Vec<&str> = detail["recent_logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["msg"].as_str().unwrap())
        .collect();
    let want: Vec<String> = (10..30).map(|i| format!("api line {i}")).collect();
    assert_eq!(
        recent,
        want.iter().map(String::as_str).collect::<Vec<_>>(),
        "the latest 20 lines of the linked process"
    );
    let mail = &t.mails().await[0];
    assert!(mail.body.contains("api line 29"), "{}", mail.body);
}

#[tokio::test]
async fn an_incident_with_huge_recent_log_lines_is_kept_with_a_bounded_snapshot() {
    let t = setup().await;
    let (_, created) = t
        .register(json!({"name": "Huge", "log_user": "huge"}))
        .await;
    let token = t
        .logs
        .issue_token(&lookout_logs::UserName::parse("huge").unwrap(), false)
        .await
        .unwrap();
    // 20 lines of 64 KB (in two batches under the 1 MB body limit): 1.3 MB of context, which
    // DynamoDB (and moto) refuse in one 400 KB item.
    for batch in 0..2 {
        let logs: Vec<Value> = (0..10)
            .map(|i| json!({"level": "error", "msg": format!("{batch}{i}{}", "x".repeat(64 * 1024 - 2)), "event_at": 1_700_000_000 + batch * 10 + i}))
            .collect();
        let body = json!({"data": {"user": "huge", "pid": 1, "p_name": "api", "post_time": 1_700_000_100, "logs": logs}});
        let resp = send_logs::handle(
            &send_logs::Deps {
                store: t.logs.clone(),
                quotas: lookout_core::quota::Quotas::default(),
                clock: lookout_core::time::system_clock(),
            },
            request(
                "/send_logs",
                &[("x-user-token", &token.x_user_token)],
                &body.to_string(),
            ),
        )
        .await
        .unwrap();
        assert_eq!(resp.status(), 200);
    }

    let (status, body) = t
        .report(seed_incident("Huge", created["code"].as_str().unwrap()))
        .await;

    assert_eq!(status, 201, "{body}");
    let (_, detail) = t.get(body["id"].as_str().unwrap()).await;
    let recent = detail["recent_logs"].as_array().unwrap();
    assert!(!recent.is_empty());
    let newest = recent.last().unwrap()["msg"].as_str().unwrap();
    assert!(newest.starts_with("19") && newest.ends_with("…[cut]"));
    assert!(serde_json::to_vec(recent).unwrap().len() <= lookout_incidents::MAX_SNAPSHOT_LOG_BYTES);
}

#[tokio::test]
async fn incidents_carry_the_apps_heartbeat_state() {
    let t = setup().await;
    // Seeded as the heartbeat route would store it (the provisioning user's client: the
    // report-incident role may only read that table).
    let beats = HeartbeatStore::new(
        t.app.ddb.clone(),
        t.app.stack.table("HeartbeatTable").unwrap(),
    );
    let beat: HeartbeatIn =
        serde_json::from_value(json!({"app_id": 23, "message": "OK:200"})).unwrap();
    beats
        .heartbeat(&Tenant::parse("acme").unwrap(), &beat, Timestamp::now())
        .await
        .unwrap();
    let (_, created) = t
        .register(json!({"name": "Pinged", "heartbeat_tenant": "acme", "heartbeat_app_id": "23"}))
        .await;
    let (status, body) = t
        .report(seed_incident("Pinged", created["code"].as_str().unwrap()))
        .await;
    assert_eq!(status, 201, "{body}");
    let (_, detail) = t.get(body["id"].as_str().unwrap()).await;
    assert_eq!(detail["heartbeat"]["state"], "up", "{detail}");
    assert_eq!(detail["heartbeat"]["last_message"], "OK:200");
    assert!(t.mails().await[0].body.contains("Heartbeat: up"));
    // An app without links gets no enrichment.
    let plain = t.code_for("Plain").await;
    let (_, body) = t.report(seed_incident("Plain", &plain)).await;
    let (_, detail) = t.get(body["id"].as_str().unwrap()).await;
    assert_eq!(
        (detail["heartbeat"].clone(), detail["recent_logs"].clone()),
        (Value::Null, json!([]))
    );
}

#[tokio::test]
async fn listing_filters_pages_and_validates() {
    let t = setup().await;
    let a = t.code_for("Alpha").await;
    let b = t.code_for("Beta").await;
    let mut ids = Vec::new();
    for (app, code, title, level) in [
        ("Alpha", &a, "one", "error"),
        ("Alpha", &a, "two", "warning"),
        ("Beta", &b, "three", "error"),
        ("Beta", &b, "four", "crit"),
    ] {
        let (status, r) = t.report(json!({"incident": {"title": title, "level": level}, "app_name": app, "code": code})).await;
        assert_eq!(status, 201);
        ids.push(r["id"].as_str().unwrap().to_owned());
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let titles = |page: &Value| {
        page["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let (status, all) = t.list(&[]).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(
        titles(&all),
        ["four", "three", "two", "one"],
        "newest first"
    );
    assert_eq!(titles(&t.list(&[("app", "Alpha")]).await.1), ["two", "one"]);
    assert_eq!(
        titles(&t.list(&[("level", "error")]).await.1),
        ["three", "one"]
    );
    assert_eq!(
        titles(&t.list(&[("app", "Beta"), ("level", "crit")]).await.1),
        ["four"]
    );
    t.patch(json!({"id": ids[2], "status": "acknowledged", "by": "ops"}))
        .await;
    assert_eq!(
        titles(&t.list(&[("status", "acknowledged")]).await.1),
        ["three"]
    );
    assert_eq!(
        titles(&t.list(&[("status", "open")]).await.1),
        ["four", "two", "one"]
    );
    let (_, page1) = t.list(&[("limit", "3")]).await;
    assert_eq!(titles(&page1), ["four", "three", "two"]);
    let (_, page2) = t
        .list(&[
            ("limit", "3"),
            ("next_token", page1["next_token"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(titles(&page2), ["one"]);
    assert!(
        page2.get("next_token").is_none()
            || t.list(&[
                ("limit", "3"),
                ("next_token", page2["next_token"].as_str().unwrap())
            ])
            .await
            .1["incidents"]
                == json!([])
    );
    let emptied = {
        let raw = hex::decode(page1["next_token"].as_str().unwrap()).unwrap();
        let mut key: serde_json::Map<String, Value> = serde_json::from_slice(&raw).unwrap();
        key.insert("sk".into(), json!(""));
        hex::encode(Value::Object(key).to_string())
    };
    let (_, future) = t.list(&[("from", "2999-01-01")]).await;
    assert_eq!(titles(&future), Vec::<String>::new());
    for bad in [
        vec![("level", "fatal")],
        vec![("status", "done")],
        vec![("limit", "0")],
        vec![("limit", "201")],
        vec![("from", "soon")],
        vec![("next_token", "zz")],
        vec![("app", "a/b")],
        vec![("sort", "asc")],
        vec![
            ("app", "Beta"),
            ("next_token", page1["next_token"].as_str().unwrap()),
        ],
        // A token from a query with other bounds starts outside this one's range.
        vec![
            ("from", "2999-01-01"),
            ("next_token", page1["next_token"].as_str().unwrap()),
        ],
        // A well-formed token with an empty key (DynamoDB refuses those: was a 500).
        vec![("next_token", emptied.as_str())],
    ] {
        let (status, reply) = t.list(&bad).await;
        assert_eq!(status, 400, "{bad:?} -> {reply}");
    }
    let (status, _) = read(
        admin_list_incidents::handle(
            &t.admin["admin-list-incidents"],
            http_request("GET", "/admin/incidents", &[], &[], ""),
        )
        .await,
    );
    assert_eq!(status, 401);
}

#[tokio::test]
async fn updates_keep_a_history() {
    let t = setup().await;
    let code = t.code_for("MyApp").await;
    let id = t.report(seed_incident("MyApp", &code)).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, d) = t
        .patch(json!({"id": id, "status": "acknowledged", "assignee": "dana", "by": "ops-lead"}))
        .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(
        (d["status"].as_str(), d["assignee"].as_str()),
        (Some("acknowledged"), Some("dana"))
    );
    let (status, d) = t
        .patch(json!({"id": id, "status": "resolved", "notes": "restarted the pod"}))
        .await;
    assert_eq!(status, 200);
    let history: Vec<(String, Value, Value, String)> = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["field"].as_str().unwrap().to_owned(),
                c["from"].clone(),
                c["to"].clone(),
                c["by"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            (
                "status".into(),
                json!("open"),
                json!("acknowledged"),
                "ops-lead".into()
            ),
            (
                "assignee".into(),
                json!(""),
                json!("dana"),
                "ops-lead".into()
            ),
            (
                "status".into(),
                json!("acknowledged"),
                json!("resolved"),
                "admin".into()
            ),
            (
                "notes".into(),
                json!(""),
                json!("restarted the pod"),
                "admin".into()
            ),
        ]
    );
    let (_, stored) = t.get(&id).await;
    assert_eq!(stored["history"].as_array().unwrap().len(), 4);
    assert_eq!(stored["notes"], "restarted the pod");

    assert_eq!(
        t.patch(json!({"id": "nope", "status": "open"})).await.0,
        404
    );
    assert_eq!(t.get("nope").await.0, 404);
    for bad in [
        json!({"id": id}),
        json!({"id": id, "status": "closed"}),
        json!({"status": "open"}),
        json!({"id": id, "notes": "x".repeat(4001)}),
        json!({"id": id, "priority": 1}),
    ] {
        assert_eq!(t.patch(bad.clone()).await.0, 400, "{bad}");
    }
    let (status, _) = read(
        admin_update_incident::handle(
            &t.admin["admin-update-incident"],
            http_request(
                "PATCH",
                "/admin/incident",
                &[],
                &[("authorization", "Bearer x")],
                &json!({"id": id, "status": "open"}).to_string(),
            ),
        )
        .await,
    );
    assert_eq!(status, 401);
    let (status, _) = read(
        admin_get_incident::handle(
            &t.admin["admin-get-incident"],
            http_request(
                "GET",
                "/admin/incident",
                &[],
                &[("authorization", BEARER)],
                "",
            ),
        )
        .await,
    );
    assert_eq!(status, 400);
}

#[tokio::test]
async fn codes_rotate_and_deleted_apps_cannot_report() {
    let t = setup().await;
    let old = t.code_for("MyApp").await;
    let put = |body: Value| {
        admin_update_app::handle(
            &t.admin["admin-update-app"],
            http_request(
                "PUT",
                "/admin/apps",
                &[],
                &[("authorization", BEARER)],
                &body.to_string(),
            ),
        )
    };
    let (status, rotated) =
        read_secret(put(json!({"name": "MyApp", "rotate_code": true, "log_user": "svc"})).await);
    assert_eq!(status, 200, "{rotated}");
    let new = rotated["code"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_eq!(rotated["log_user"], "svc");
    assert_eq!(t.report(seed_incident("MyApp", &old)).await.0, 403);
    assert_eq!(t.report(seed_incident("MyApp", &new)).await.0, 201);
    let (status, cleared) = read(put(json!({"name": "MyApp", "log_user": ""})).await);
    assert_eq!(status, 200);
    assert!(
        cleared.get("log_user").is_none() && cleared.get("code").is_none(),
        "{cleared}"
    );
    assert_eq!(read(put(json!({"name": "Ghost"})).await).0, 404);

    let del = |q: Vec<(&'static str, &'static str)>, body: &str| {
        admin_delete_app::handle(
            &t.admin["admin-delete-app"],
            http_request(
                "DELETE",
                "/admin/apps",
                &q,
                &[("authorization", BEARER)],
                body,
            ),
        )
    };
    assert_eq!(read(del(vec![("name", "MyApp")], "").await).0, 200);
    assert_eq!(t.report(seed_incident("MyApp", &new)).await.0, 403);
    assert_eq!(
        read(del(vec![], &json!({"name": "MyApp"}).to_string()).await).0,
        404
    );
    assert_eq!(read(del(vec![], "").await).0, 400);
    assert_eq!(t.incident_items().await, 1, "incidents outlive their app");
}

#[tokio::test]
async fn a_change_made_against_an_old_version_is_refused_and_writes_nothing() {
    let t = setup().await;
    let code = t.code_for("MyApp").await;
    let id = t.report(seed_incident("MyApp", &code)).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, seen) = t.get(&id).await;
    assert_eq!(seen["version"], json!(0));

    // Two admins read version 0; the first one's notes win, the second one's are refused.
    let (status, first) = t
        .patch(json!({"id": id, "notes": "rolled back", "by": "dana", "version": 0}))
        .await;
    assert_eq!(
        (status, first["version"].clone()),
        (200, json!(1)),
        "{first}"
    );
    let (status, second) = t
        .patch(json!({"id": id, "notes": "restarted", "by": "lee", "version": 0}))
        .await;
    assert_eq!(status, 409, "{second}");
    let (_, stored) = t.get(&id).await;
    assert_eq!(
        (
            stored["notes"].clone(),
            stored["version"].clone(),
            stored["history"].as_array().unwrap().len()
        ),
        (json!("rolled back"), json!(1), 1)
    );
    // Against the current version it goes through; without one, as before.
    assert_eq!(
        t.patch(json!({"id": id, "notes": "restarted", "version": 1}))
            .await
            .0,
        200
    );
    assert_eq!(
        t.patch(json!({"id": id, "status": "resolved"})).await.0,
        200
    );
    assert_eq!(t.get(&id).await.1["version"], json!(3));
}

#[tokio::test]
async fn changes_in_the_same_millisecond_keep_every_history_entry() {
    let t = setup().await;
    let code = t.code_for("MyApp").await;
    let id = t.report(seed_incident("MyApp", &code)).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let store = lookout_incidents::IncidentStore::new(
        t.app.ddb_for("admin-update-incident").await,
        t.app.stack.table("IncidentsTable").unwrap(),
    );
    let at = lookout_core::time::Timestamp::parse_str("2030-01-01T00:00:00.123Z").unwrap();
    for (field, value) in [("assignee", "dana"), ("notes", "looking")] {
        let input: lookout_incidents::IncidentUpdate =
            serde_json::from_value(json!({"id": id, field: value})).unwrap();
        lookout_incidents::update_incident(&store.incidents, input, at)
            .await
            .unwrap();
    }
    let (_, stored) = t.get(&id).await;
    let fields: Vec<&str> = stored["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["assignee", "notes"], "{stored}");
}

/// 70 incidents of 74 KB each (5.2 MB as JSON) fit a page of 200 by count: a page also stops
/// at 4 MiB, under Lambda's 6 MB response limit, and `next_token` goes on after its last one.
#[tokio::test]
async fn a_page_of_big_incidents_is_bounded_by_bytes() {
    let t = setup().await;
    let code = t.code_for("Wide").await;
    let logs: String = (0..64)
        .map(|i| format!("{i:03} {}", "l".repeat(1000)))
        .collect::<Vec<_>>()
        .join("\n");
    let message = "m".repeat(10_000);
    for n in 0..70 {
        let (status, r) = t
            .report(
                json!({"incident": {"title": format!("big {n:02}"), "message": message,
                "level": "error", "logs": logs}, "app_name": "Wide", "code": code}),
            )
            .await;
        assert_eq!(status, 201, "{r}");
    }
    let mut titles = Vec::new();
    let mut pages = 0;
    let mut token: Option<String> = None;
    loop {
        let mut q = vec![("limit", "200")];
        if let Some(tk) = token.as_deref() {
            q.push(("next_token", tk));
        }
        let (status, page) = t.list(&q).await;
        assert_eq!(status, 200, "{page}");
        let bytes = page.to_string().len();
        assert!(bytes <= 4 * 1024 * 1024 + 4096, "a page of {bytes} bytes");
        pages += 1;
        titles.extend(
            page["incidents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["title"].as_str().unwrap().to_owned()),
        );
        token = page["next_token"].as_str().map(str::to_owned);
        if token.is_none() {
            break;
        }
        assert!(pages < 10, "pages do not end");
    }
    assert!(pages >= 2, "5.2 MB came back in one page");
    // Every incident once, newest first (each was reported after the one before): the whole
    // list as returned, so a repeated, missing or reordered incident fails.
    let expected: Vec<String> = (0..70).rev().map(|n| format!("big {n:02}")).collect();
    assert_eq!(titles, expected);
}
