//! Per-test heartbeat dependencies on top of `lookout_tests::support`: the functions' `Deps`
//! over this test's tables, a manual clock, and an admin address of its own so that the mail
//! this test causes can be told apart in moto's shared SES.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::{Context, LambdaEvent};
use lookout_core::{time::ManualClock, time::Timestamp};
use lookout_dev::moto;
use lookout_heartbeats::{
    BadgeKey, HeartbeatStore, LazyBadgeKey, ScanReport, SqsTransitions, TransitionSink,
};
use lookout_mail::{AdminMail, Mailer};
use serde_json::{json, Value};
use std::sync::Arc;

use lookout_tests::support::{
    http_request, read, request, sent_mail, spawn_app, SentMail, TestApp, ADMIN_TOKEN,
};

/// Where every test's clock starts.
pub const T0: &str = "2030-01-01T00:00:00Z";

pub fn ts(s: &str) -> Timestamp {
    Timestamp::parse_str(s).unwrap()
}

/// `T0` plus `secs`, as RFC 3339.
pub fn at(secs: i64) -> String {
    Timestamp::parse_json(&json!(ms(secs)))
        .unwrap()
        .to_rfc3339()
}

pub struct Hb {
    pub app: TestApp,
    pub moto: String,
    pub clock: ManualClock,
    pub admin_email: String,
    pub store: HeartbeatStore,
    pub heartbeat: record_heartbeat::Deps,
    /// The API's `$default` route, where the seed's `POST /api/apps/` arrives.
    pub fallback: serve_fallback::Deps,
    pub signal: record_signal::Deps,
    pub badge: get_badge::Deps,
    pub admin: admin_update_heartbeat_app::Deps,
    pub list: admin_list_heartbeat_apps::Deps,
    pub scanner: scan_silent_apps::Deps,
}

/// The badge key from the stack's `BadgeSigningSecret`, read as the function `binary`.
pub async fn badge_key_as(app: &TestApp, binary: &str) -> BadgeKey {
    let sdk = app.sdk_for(binary).await;
    let secret = lookout_dev::provision::secret_value(&sdk, &app.stack, "BadgeSigningSecret")
        .await
        .unwrap();
    assert!(secret.len() >= 32, "a generated secret");
    BadgeKey::from_secret(&secret)
}

pub async fn spawn() -> Hb {
    let app = spawn_app().await;
    let moto = moto::endpoint().unwrap();
    // The provisioning user's view, for tests' own reads; each handler signs as its own role.
    let store = HeartbeatStore::new(app.ddb.clone(), app.stack.table("HeartbeatTable").unwrap());
    let store_of = |ddb| HeartbeatStore::new(ddb, app.stack.table("HeartbeatTable").unwrap());
    let admin_email = format!("admin-{}@lookout.example.com", app.stack.prefix);
    let mail_of = |sdk: &aws_config::SdkConfig| {
        AdminMail::new(
            Mailer::from_sdk(sdk, app.stack.params["SenderEmail"].clone()),
            admin_email.clone(),
        )
    };
    let clock = ManualClock::new(ts(T0));
    // Transitions go to this stack's app-events queue, sent as each function's role.
    let queue_url = app.stack.queue("AppEventsQueue").unwrap().url.clone();
    let alerts_url = app.stack.queue("MessengerQueue").unwrap().url.clone();
    let events_of = |sdk: &aws_config::SdkConfig| -> Option<Arc<dyn TransitionSink>> {
        Some(Arc::new(SqsTransitions::new(
            aws_sdk_sqs::Client::new(sdk),
            Some(queue_url.clone()),
            Some(alerts_url.clone()),
        )))
    };
    let hb_sdk = app.sdk_for("record-heartbeat").await;
    let heartbeat = record_heartbeat::Deps {
        keys: app.keys_for("record-heartbeat").await,
        store: store_of(aws_sdk_dynamodb::Client::new(&hb_sdk)),
        mail: mail_of(&hb_sdk),
        events: events_of(&hb_sdk),
        clock: clock.shared(),
    };
    let fallback_sdk = app.sdk_for("serve-fallback").await;
    let fallback = serve_fallback::Deps::without_sentry(lookout_heartbeats::ApiDeps {
        keys: app.keys_for("serve-fallback").await,
        store: store_of(aws_sdk_dynamodb::Client::new(&fallback_sdk)),
        mail: mail_of(&fallback_sdk),
        events: events_of(&fallback_sdk),
        clock: clock.shared(),
    });
    let sig_sdk = app.sdk_for("record-signal").await;
    let signal = record_signal::Deps {
        keys: app.keys_for("record-signal").await,
        store: store_of(aws_sdk_dynamodb::Client::new(&sig_sdk)),
        mail: mail_of(&sig_sdk),
        events: events_of(&sig_sdk),
        clock: clock.shared(),
    };
    // The badge secret as each function reads it: with its own role (the IAM check sees it).
    let badge_key = badge_key_as(&app, "get-badge").await;
    assert_eq!(
        badge_key.path("acme", "x"),
        badge_key_as(&app, "admin-list-heartbeat-apps")
            .await
            .path("acme", "x")
    );
    // The badge function reads the secret itself, with its own role, on its first badge.
    let badge = get_badge::Deps {
        store: store_of(app.ddb_for("get-badge").await),
        key: LazyBadgeKey::new(
            &app.sdk_for("get-badge").await,
            app.stack.secrets["BadgeSigningSecret"].clone(),
        ),
        clock: clock.shared(),
    };
    let admin = admin_update_heartbeat_app::Deps {
        admin: app.admin.admin.clone(),
        store: store_of(app.ddb_for("admin-update-heartbeat-app").await),
        clock: clock.shared(),
        public_url: None,
    };
    let list = admin_list_heartbeat_apps::Deps {
        admin: app.admin.admin.clone(),
        store: store_of(app.ddb_for("admin-list-heartbeat-apps").await),
        badge: LazyBadgeKey::ready(badge_key),
        public_url: None,
    };
    let scan_sdk = app.sdk_for("scan-silent-apps").await;
    let scanner = scan_silent_apps::Deps {
        store: store_of(aws_sdk_dynamodb::Client::new(&scan_sdk)),
        mail: mail_of(&scan_sdk),
        events: events_of(&scan_sdk),
    };
    Hb {
        app,
        moto,
        clock,
        admin_email,
        store,
        heartbeat,
        fallback,
        signal,
        badge,
        admin,
        list,
        scanner,
    }
}

/// The EventBridge "Scheduled Event" the schedule (or the local pump) sends.
pub fn scheduled_event(time: &str) -> Value {
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": time,
        "region": "us-east-1",
        "resources": [],
        "detail": {}
    })
}

impl Hb {
    pub fn table(&self) -> &str {
        self.app.stack.table("HeartbeatTable").unwrap()
    }

    /// `POST /api/apps/` with an API key at the clock's current time.
    pub async fn beat_with(&self, key: &str, body: &Value) -> (u16, Value) {
        self.beat_raw(key, &body.to_string()).await
    }

    /// `POST /api/apps/` with any body text.
    pub async fn beat_raw(&self, key: &str, body: &str) -> (u16, Value) {
        read(
            record_heartbeat::handle(
                &self.heartbeat,
                request("/api/apps/", &[("x-api-key", key)], body),
            )
            .await,
        )
    }

    /// A heartbeat of tenant `acme` at `T0 + secs`.
    pub async fn beat_at(&self, secs: i64, body: &Value) -> (u16, Value) {
        self.clock.set(ts(&at(secs)));
        self.beat_with(&self.app.api_key, body).await
    }

    /// `POST /api/apps/{signal}` of tenant `acme` at `T0 + secs`.
    pub async fn signal_at(&self, secs: i64, signal: &str, body: &Value) -> (u16, Value) {
        self.clock.set(ts(&at(secs)));
        read(
            record_signal::handle(
                &self.signal,
                request(
                    &format!("/api/apps/{signal}"),
                    &[("x-api-key", &self.app.api_key)],
                    &body.to_string(),
                ),
            )
            .await,
        )
    }

    /// `GET <path>` of the badge function at `T0 + secs`: status, headers and body text.
    pub async fn badge_at(
        &self,
        secs: i64,
        path: &str,
    ) -> (u16, lambda_http::http::HeaderMap, String) {
        self.clock.set(ts(&at(secs)));
        let resp = get_badge::handle(&self.badge, http_request("GET", path, &[], &[], ""))
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = String::from_utf8(resp.body().to_vec()).unwrap();
        (status, headers, body)
    }

    /// The app as the admin listing shows it (tenant `acme`).
    pub async fn view(&self, app_id: &str) -> Value {
        let (status, list) = self.list(&[("tenant", "acme")]).await;
        assert_eq!(status, 200, "{list}");
        list["apps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["app_id"].to_string().trim_matches('"') == app_id)
            .cloned()
            .unwrap_or_else(|| panic!("app {app_id} not listed: {list}"))
    }

    /// `POST /admin/heartbeat_apps` with the admin token at `T0 + secs`.
    pub async fn admin_at(&self, secs: i64, body: &Value) -> (u16, Value) {
        self.clock.set(ts(&at(secs)));
        let bearer = format!("Bearer {ADMIN_TOKEN}");
        read(
            admin_update_heartbeat_app::handle(
                &self.admin,
                request(
                    "/admin/heartbeat_apps",
                    &[("authorization", &bearer)],
                    &body.to_string(),
                ),
            )
            .await,
        )
    }

    /// `GET /admin/heartbeat_apps?…` with the admin token.
    pub async fn list(&self, query: &[(&str, &str)]) -> (u16, Value) {
        let bearer = format!("Bearer {ADMIN_TOKEN}");
        read(
            admin_list_heartbeat_apps::handle(
                &self.list,
                http_request(
                    "GET",
                    "/admin/heartbeat_apps",
                    query,
                    &[("authorization", &bearer)],
                    "",
                ),
            )
            .await,
        )
    }

    /// One scanner invocation with a Scheduled Event at `T0 + secs`.
    pub async fn scan_at(&self, secs: i64) -> ScanReport {
        self.try_scan_at(secs).await.expect("scan succeeds")
    }

    pub async fn try_scan_at(&self, secs: i64) -> Result<ScanReport, lambda_runtime::Error> {
        scan_silent_apps::handle(
            &self.scanner,
            LambdaEvent::new(scheduled_event(&at(secs)), Context::default()),
        )
        .await
    }

    /// Mail sent to this test's admin address, oldest first.
    pub async fn mails(&self) -> Vec<SentMail> {
        sent_mail(&self.moto)
            .await
            .into_iter()
            .filter(|m| m.to == [self.admin_email.clone()])
            .collect()
    }

    /// The stored item of `app_id` (text form) of `tenant`.
    pub async fn item(
        &self,
        tenant: &str,
        app_id: &str,
    ) -> Option<HashMap<String, AttributeValue>> {
        self.app
            .ddb
            .get_item()
            .table_name(self.table())
            .key("pk", AttributeValue::S(format!("APP#{tenant}#{app_id}")))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
    }

    /// Everything on one of this stack's queues, received and deleted (as an event source
    /// mapping does after a successful batch), as Lambda SQS records.
    pub async fn drain(&self, queue: &str) -> Vec<aws_lambda_events::sqs::SqsMessage> {
        let sqs = aws_sdk_sqs::Client::new(&moto::sdk_config(&self.moto).await);
        let url = self.app.stack.queue(queue).unwrap().url.clone();
        let mut out = Vec::new();
        loop {
            let got = sqs
                .receive_message()
                .queue_url(&url)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            let messages = got.messages.unwrap_or_default();
            if messages.is_empty() {
                return out;
            }
            for m in messages {
                sqs.delete_message()
                    .queue_url(&url)
                    .receipt_handle(m.receipt_handle.clone().unwrap())
                    .send()
                    .await
                    .unwrap();
                let mut msg = aws_lambda_events::sqs::SqsMessage::default();
                msg.message_id = m.message_id;
                msg.body = m.body;
                out.push(msg);
            }
        }
    }

    pub async fn items(&self) -> Vec<HashMap<String, AttributeValue>> {
        self.app.items(self.table()).await
    }
}

pub fn s<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> &'a str {
    item.get(name)
        .unwrap_or_else(|| panic!("{name} missing in {item:?}"))
        .as_s()
        .unwrap()
}

pub fn n(item: &HashMap<String, AttributeValue>, name: &str) -> i64 {
    item.get(name)
        .unwrap_or_else(|| panic!("{name} missing in {item:?}"))
        .as_n()
        .unwrap()
        .parse()
        .unwrap()
}

/// Epoch ms of `T0 + secs`.
pub fn ms(secs: i64) -> i64 {
    ts(T0).datetime().timestamp_millis() + secs * 1000
}
