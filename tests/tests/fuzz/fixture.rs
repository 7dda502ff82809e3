//! One fresh copy of the whole stack per fuzzed function: every function's `Deps` built over
//! it (as the harnesses of the other test binaries build them), seeded with one object of each
//! kind so that mutated bodies reach real sessions, users, apps and contacts, and a fingerprint
//! of everything stored to prove that rejected input wrote nothing.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::QueueAttributeName;
use lambda_http::{Body, Request, Response};
use lookout_core::config::names as env;
use lookout_core::{
    auth::AdminAuth,
    time::Timestamp,
    time::{system_clock, ManualClock},
};
use lookout_dev::{emulator::Emulator, moto};
use lookout_heartbeats::HeartbeatStore;
use lookout_incidents::{AdminDeps, IncidentStore};
use lookout_logs::{LogStore, UserName};
use lookout_mail::{AdminMail, Mailer};
use lookout_messenger::{
    self as broadcast, BroadcastStore, Dispatcher, Messenger, MessengerConfig, RetryPolicy,
    ScheduleTarget,
};
use lookout_tests::support::{
    http_request, read, spawn_app, template, TestApp, ADMIN_TOKEN, CONTACT_FUNCTIONS,
    INCIDENT_ADMIN_FUNCTIONS,
};
use serde_json::{json, Value};
use std::sync::Arc;

/// The one runtime every fuzz test drives its cases on (`block_on` from the test threads).
pub fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

pub const BEARER: &str = "Bearer test-admin-token";
/// The seeded objects' names.
pub const LOG_USER: &str = "fuzz-user";
pub const APP: &str = "FuzzApp";
pub const MSG_USER: &str = "ann";
pub const CONTACT: &str = "bob";
pub const MACHINE: &str = "fuzz-machine";

#[allow(missing_debug_implementations)] // holds the TestApp, which has none
pub struct Fixture {
    pub app: TestApp,
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub heartbeat: record_heartbeat::Deps,
    pub fallback: serve_fallback::Deps,
    pub hb_admin: admin_update_heartbeat_app::Deps,
    pub hb_list: admin_list_heartbeat_apps::Deps,
    pub log_admin: admin_issue_log_token::Deps,
    pub log_query: query_logs::Deps,
    pub log_send: send_logs::Deps,
    /// The incident admin functions' dependencies, by function.
    pub incidents: BTreeMap<&'static str, AdminDeps>,
    pub report: report_incident::Deps,
    /// The contact functions' dependencies, by function.
    pub crud: BTreeMap<&'static str, broadcast::Deps>,
    pub create: create_contacts::Deps,
    pub send: send_messages::Deps,
    pub deliver: deliver_messages::Deps,
    pub console: serve_console::Deps,
    pub openapi: serve_openapi::Deps,
    /// Seeds.
    pub session_id: String,
    pub x_user_token: String,
    pub code: String,
    pub incident_id: String,
}

fn function_env(app: &TestApp, binary: &str) -> BTreeMap<String, String> {
    let f = template()
        .functions()
        .unwrap()
        .into_iter()
        .find(|f| f.binary == binary)
        .unwrap();
    app.stack.function_env(&f).unwrap()
}

impl Fixture {
    /// A fresh stack with its seeds; leaked, so spawned handler tasks may borrow it.
    pub async fn spawn() -> &'static Self {
        let app = spawn_app().await;
        // Every handler signs as its own function's role, as on AWS.
        let ddb_of = |b: &'static str| app.ddb_for(b);
        let table = |id: &str| app.stack.table(id).unwrap().to_owned();
        let admin =
            AdminAuth::from_sha256_hex(&lookout_core::auth::sha256_hex(ADMIN_TOKEN.as_bytes()))
                .unwrap();
        let clock = system_clock();
        let hb_store = |ddb| HeartbeatStore::new(ddb, table("HeartbeatTable"));
        let log_store = |ddb| LogStore::new(ddb, table("LogUsersTable"), table("LogsTable"), 30);
        let inc_store = |ddb| IncidentStore::new(ddb, table("IncidentsTable"));

        let send_env = function_env(&app, "send-messages");
        let queue_url = send_env[env::MESSENGER_QUEUE_URL].clone();
        let msg_store = |ddb| {
            BroadcastStore::new(
                ddb,
                send_env[env::MESSENGER_TABLE].clone(),
                send_env[env::MESSENGER_RETENTION_DAYS].parse().unwrap(),
            )
        };
        let target = ScheduleTarget {
            group: send_env[env::MESSENGER_SCHEDULE_GROUP].clone(),
            role_arn: send_env[env::MESSENGER_SCHEDULER_ROLE_ARN].clone(),
            queue_arn: send_env[env::MESSENGER_QUEUE_ARN].clone(),
            dead_letter_arn: Some(send_env[env::MESSENGER_DLQ_ARN].clone()),
        };
        let mut config = MessengerConfig::emulated(Emulator::shared().unwrap().url());
        config.timeout = Duration::from_secs(5);

        let mut incidents = BTreeMap::new();
        for b in INCIDENT_ADMIN_FUNCTIONS {
            incidents.insert(
                b,
                AdminDeps {
                    admin: admin.clone(),
                    store: inc_store(ddb_of(b).await),
                    public_url: None,
                },
            );
        }
        let mut crud = BTreeMap::new();
        for b in CONTACT_FUNCTIONS {
            let ddb = ddb_of(b).await;
            crud.insert(
                b,
                broadcast::Deps {
                    keys: app.keys_for(b).await,
                    store: msg_store(ddb),
                },
            );
        }
        let hb_sdk = app.sdk_for("record-heartbeat").await;
        let fallback_sdk = app.sdk_for("serve-fallback").await;
        // What the two routes a heartbeat takes hold (the heartbeat's and `$default`'s), each
        // signing as its own function.
        let api_deps = |sdk: &aws_config::SdkConfig, keys| lookout_heartbeats::ApiDeps {
            keys,
            store: hb_store(aws_sdk_dynamodb::Client::new(sdk)),
            mail: AdminMail::new(
                Mailer::from_sdk(sdk, app.stack.params["SenderEmail"].clone()),
                format!("admin-{}@lookout.example.com", app.stack.prefix),
            ),
            events: None,
            clock: clock.clone(),
        };
        let send_sdk = app.sdk_for("send-messages").await;
        let deliver_sdk = app.sdk_for("deliver-messages").await;
        let sqs = aws_sdk_sqs::Client::new(&moto::sdk_config(&app.endpoint).await);

        let send_dispatch = Arc::new(Dispatcher::new(
            aws_sdk_sqs::Client::new(&send_sdk),
            &queue_url,
            Some((aws_sdk_scheduler::Client::new(&send_sdk), target)),
        ));
        let mut fx = Self {
            heartbeat: api_deps(&hb_sdk, app.keys_for("record-heartbeat").await),
            fallback: serve_fallback::Deps::without_sentry(api_deps(
                &fallback_sdk,
                app.keys_for("serve-fallback").await,
            )),
            hb_admin: admin_update_heartbeat_app::Deps {
                admin: admin.clone(),
                store: hb_store(ddb_of("admin-update-heartbeat-app").await),
                clock: clock.clone(),
                public_url: None,
            },
            hb_list: admin_list_heartbeat_apps::Deps {
                admin: admin.clone(),
                store: hb_store(ddb_of("admin-list-heartbeat-apps").await),
                badge: lookout_heartbeats::LazyBadgeKey::ready(
                    lookout_heartbeats::BadgeKey::from_secret("fuzz"),
                ),
                public_url: None,
            },
            log_admin: admin_issue_log_token::Deps {
                admin: admin.clone(),
                store: log_store(ddb_of("admin-issue-log-token").await),
            },
            log_query: query_logs::Deps {
                admin: admin.clone(),
                store: log_store(ddb_of("query-logs").await),
                clock: clock.clone(),
            },
            log_send: send_logs::Deps {
                store: log_store(ddb_of("send-logs").await),
                quotas: lookout_core::quota::Quotas::default(),
                clock: clock.clone(),
            },
            incidents,
            report: {
                let ddb = ddb_of("report-incident").await;
                report_incident::Deps {
                    store: inc_store(ddb.clone()),
                    mail: None,
                    logs: Some(log_store(ddb.clone())),
                    heartbeats: Some(hb_store(ddb)),
                    console_url: None,
                    telegram: None,
                    alerts: None,
                    clock: clock.clone(),
                }
            },
            create: create_contacts::Deps {
                keys: crud["create-contacts"].keys.clone(),
                store: crud["create-contacts"].store.clone(),
                reserved: Default::default(),
            },
            crud,
            send: send_messages::Deps {
                keys: app.keys_for("send-messages").await,
                store: msg_store(aws_sdk_dynamodb::Client::new(&send_sdk)),
                queue: send_dispatch.clone(),
                scheduler: send_dispatch,
                clock: ManualClock::new(Timestamp::now()).shared(),
                quotas: lookout_core::quota::Quotas::default(),
                reserved: Default::default(),
            },
            deliver: deliver_messages::Deps {
                store: msg_store(aws_sdk_dynamodb::Client::new(&deliver_sdk)),
                queue: Arc::new(Dispatcher::new(
                    aws_sdk_sqs::Client::new(&deliver_sdk),
                    &queue_url,
                    None,
                )),
                messenger: Arc::new(Messenger::new(config).unwrap()),
                policy: RetryPolicy {
                    base: Duration::ZERO,
                    ..RetryPolicy::default()
                },
                alert_to: None,
                reserved: Default::default(),
                clock,
            },
            console: serve_console::Deps::new(),
            openapi: serve_openapi::Deps::new(),
            sqs,
            queue_url,
            app,
            session_id: String::new(),
            x_user_token: String::new(),
            code: String::new(),
            incident_id: String::new(),
        };
        Box::pin(fx.seed()).await; // boxed: the handlers' futures are large in debug builds
        Box::leak(Box::new(fx))
    }

    pub fn key(&self) -> &str {
        &self.app.api_key
    }

    /// One object of each kind, created through the handlers.
    async fn seed(&mut self) {
        let key = self.app.api_key.clone();
        let k = [("x-api-key", key.as_str())];
        let post = |path: &str, body: Value| http_request("POST", path, &[], &k, &body.to_string());
        let (s, b) = read(
            start_session::handle(
                self.app.tracker("start-session"),
                post(
                    "/start_session",
                    json!({"userId": "fuzz-user-1", "machineId": MACHINE, "startAt": "2023-02-02 16:22:15", "orgId": 1}),
                ),
            )
            .await,
        );
        assert_eq!(s, 200, "{b}");
        self.session_id = b["sessionId"].as_str().unwrap().to_owned();
        let (s, b) = read(
            add_event::handle(
                self.app.tracker("add-event"),
                post(
                    "/add_event",
                    json!({"sessionId": self.session_id, "events": [{"eventAt": "2023-02-03 10:00:00", "eventType": "exe", "payload": {"info": "x"}}]}),
                ),
            )
            .await,
        );
        assert_eq!(s, 200, "{b}");
        let (s, b) = read(
            record_heartbeat::handle(
                &self.heartbeat,
                post("/api/apps/", json!({"app_id": 23, "message": "OK:200"})),
            )
            .await,
        );
        assert_eq!(s, 200, "{b}");
        let issued = self
            .log_admin
            .store
            .issue_token(&UserName::parse(LOG_USER).unwrap(), false)
            .await
            .unwrap();
        self.x_user_token = issued.x_user_token;
        let (s, b) = read(
            send_logs::handle(
                &self.log_send,
                http_request(
                    "POST",
                    "/send_logs",
                    &[],
                    &[("x-user-token", &self.x_user_token)],
                    &valid_logs().to_string(),
                ),
            )
            .await,
        );
        assert_eq!(s, 200, "{b}");
        let admin = [("authorization", BEARER)];
        let (s, b) = read(
            admin_register_app::handle(
                &self.incidents["admin-register-app"],
                http_request(
                    "POST",
                    "/admin/apps",
                    &[],
                    &admin,
                    &json!({"name": APP, "log_user": LOG_USER, "heartbeat_tenant": "acme", "heartbeat_app_id": "23"}).to_string(),
                ),
            )
            .await,
        );
        assert_eq!(s, 201, "{b}");
        self.code = b["code"].as_str().unwrap().to_owned();
        let (s, b) = read(
            report_incident::handle(
                &self.report,
                http_request(
                    "POST",
                    "/incidents",
                    &[],
                    &[],
                    &valid_incident(&self.code).to_string(),
                ),
            )
            .await,
        );
        assert_eq!(s, 201, "{b}");
        self.incident_id = b["id"].as_str().unwrap().to_owned();
        let (s, b) = read(
            create_contacts::handle(
                &self.create,
                post(
                    "/api/contacts",
                    json!({"user_name": MSG_USER, "contact": {"name": CONTACT, "messangers": {"telegram": "12345", "whatsApp": "+15550001", "viber": "v-1"}}}),
                ),
            )
            .await,
        );
        assert_eq!(s, 200, "{b}");
    }

    /// Every item of every table of the stack (sorted) and the messenger queue's depth: equal
    /// fingerprints mean nothing was written.
    pub async fn fingerprint(&self) -> Vec<String> {
        let mut out = Vec::new();
        for table in self.app.stack.tables.values() {
            let mut items: Vec<String> = self
                .app
                .items(table)
                .await
                .into_iter()
                .map(|i| format!("{table}: {}", canon(&AttributeValue::M(i))))
                .collect();
            items.sort();
            out.extend(items);
        }
        let attrs = self
            .sqs
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap_or_default();
        let attrs: BTreeMap<_, _> = attrs
            .into_iter()
            .map(|(k, v)| (k.as_str().to_owned(), v))
            .collect();
        out.push(format!("queue: {attrs:?}"));
        out
    }

    /// Calls the handler of `function` with `req`.
    pub async fn call(
        &'static self,
        function: &str,
        req: Request,
    ) -> Result<Response<Body>, lambda_http::Error> {
        let t = |b: &str| self.app.tracker(b);
        match function {
            "start-session" => start_session::handle(t(function), req).await,
            "add-event" => add_event::handle(t(function), req).await,
            "end-session" => end_session::handle(t(function), req).await,
            "get-session" => get_session::handle(t(function), req).await,
            "get-machine-events" => get_machine_events::handle(t(function), req).await,
            "admin-issue-api-key" => admin_issue_api_key::handle(&self.app.admin, req).await,
            "record-heartbeat" => record_heartbeat::handle(&self.heartbeat, req).await,
            "serve-fallback" => serve_fallback::handle(&self.fallback, req).await,
            "admin-update-heartbeat-app" => {
                admin_update_heartbeat_app::handle(&self.hb_admin, req).await
            }
            "admin-list-heartbeat-apps" => {
                admin_list_heartbeat_apps::handle(&self.hb_list, req).await
            }
            "send-logs" => send_logs::handle(&self.log_send, req).await,
            "admin-issue-log-token" => admin_issue_log_token::handle(&self.log_admin, req).await,
            "query-logs" => query_logs::handle(&self.log_query, req).await,
            "admin-register-app" => {
                admin_register_app::handle(&self.incidents["admin-register-app"], req).await
            }
            "admin-list-apps" => {
                admin_list_apps::handle(&self.incidents["admin-list-apps"], req).await
            }
            "admin-update-app" => {
                admin_update_app::handle(&self.incidents["admin-update-app"], req).await
            }
            "admin-delete-app" => {
                admin_delete_app::handle(&self.incidents["admin-delete-app"], req).await
            }
            "report-incident" => report_incident::handle(&self.report, req).await,
            "admin-list-incidents" => {
                admin_list_incidents::handle(&self.incidents["admin-list-incidents"], req).await
            }
            "admin-get-incident" => {
                admin_get_incident::handle(&self.incidents["admin-get-incident"], req).await
            }
            "admin-update-incident" => {
                admin_update_incident::handle(&self.incidents["admin-update-incident"], req).await
            }
            "create-contacts" => create_contacts::handle(&self.create, req).await,
            "delete-contacts" => delete_contacts::handle(&self.crud["delete-contacts"], req).await,
            "list-contacts" => list_contacts::handle(&self.crud["list-contacts"], req).await,
            "send-messages" => send_messages::handle(&self.send, req).await,
            "list-failed-messages" => {
                list_failed_messages::handle(&self.crud["list-failed-messages"], req).await
            }
            "serve-console" => serve_console::handle(&self.console, req).await,
            "serve-openapi" => serve_openapi::handle(&self.openapi, req).await,
            other => panic!("no function {other}"),
        }
    }
}

pub fn valid_logs() -> Value {
    json!({"data": {"user": LOG_USER, "pid": 1, "p_name": "proc", "post_time": "2020-05-05T12:22:22+00:00",
        "logs": [{"level": "error", "msg": "log message", "event_at": "2020-05-05T12:22:22+00:00", "p_description": "d"}]}})
}

pub fn valid_incident(code: &str) -> Value {
    json!({"incident": {"title": "Error in user registration", "message": "failed", "level": "error", "logs": "log 1\nlog 2"},
        "app_name": APP, "code": code})
}

/// An attribute value as text with maps and sets sorted (the SDK's maps have no order).
pub fn canon(v: &AttributeValue) -> String {
    match v {
        AttributeValue::M(m) => {
            let sorted: BTreeMap<&String, String> = m.iter().map(|(k, v)| (k, canon(v))).collect();
            format!("{sorted:?}")
        }
        AttributeValue::L(l) => format!("{:?}", l.iter().map(canon).collect::<Vec<_>>()),
        AttributeValue::Ss(s) | AttributeValue::Ns(s) => {
            let mut s = s.clone();
            s.sort();
            format!("{s:?}")
        }
        other => format!("{other:?}"),
    }
}
