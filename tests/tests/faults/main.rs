//! Fault tests: moto stops answering in the middle of a request.
//!
//! The functions' AWS clients talk to moto through a [`FaultProxy`]. For every write route, a
//! first clean call counts the AWS calls the route makes (N); then, for every k in 0..N, the
//! proxy lets k calls through and drops every later one, as if moto had died between call k and
//! k+1. Each such request must either
//! - fail with a 503 and `Retry-After` (a generic body, no internals; never a 4xx: an outage
//!   is not bad input) and leave every table exactly as it was (nothing half-written), after which the
//!   same request, retried with moto back, succeeds and has its effect exactly once; or
//! - succeed with its whole effect, when only best-effort steps after the commit failed.
//!
//! "Every write route" is template.yaml's: the sweep's table (`Op::target`: the function, its
//! route, the credential it takes, what success answers) must cover every non-GET route of the
//! template, or list it in `NOT_SWEPT` with the reason
//! (`every_write_route_of_the_template_is_in_the_sweep`), and the sweep checks that it swept
//! every operation of the table. POST routes that only read
//! are swept as reads (503 or the same answer, nothing stored). A heartbeat transition (a beat of
//! a down app, a failed run) is announced after its commit from the app's outbox; the sweep
//! checks that what a fault interrupted there is announced by the scanner after the outbox's
//! lease (`heal_transitions`). A failing route does not hide the ones after it: each failure is
//! reported, and the test fails at the end.
//!
//! One more test stops the real moto_server process (SIGSTOP) mid-run: requests get a 5xx
//! within the SDK time limits of `lookout_core::aws` instead of hanging, and succeed once it
//! resumes (SIGCONT).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Request, Response};
use lookout_core::auth::sha256_hex;
use lookout_dev::{moto, provision, provision::Stack};
use lookout_tests::faults::FaultProxy;
use lookout_tests::support::{
    http_request, messenger_params, scan_all, sent_mail, template, ADMIN_TOKEN,
};
use serde_json::{json, Value};

const BEARER: &str = "Bearer test-admin-token";

/// Time spent taking snapshots, for the report.
static SNAPSHOT_MICROS: AtomicU64 = AtomicU64::new(0);

/// An attribute value as text, maps and sets sorted (the SDK's maps have no order, so their
/// `Debug` text differs from one read to the next).
fn canon(v: &AttributeValue) -> String {
    match v {
        AttributeValue::M(m) => {
            let sorted: BTreeMap<&String, String> = m.iter().map(|(k, v)| (k, canon(v))).collect();
            format!("M({sorted:?})")
        }
        AttributeValue::L(l) => format!("L({:?})", l.iter().map(canon).collect::<Vec<_>>()),
        AttributeValue::Ss(s) | AttributeValue::Ns(s) => {
            let mut s = s.clone();
            s.sort();
            format!("Set({s:?})")
        }
        other => format!("{other:?}"),
    }
}

/// One stored item (attribute -> value), or a queue's depth counters.
type Item = BTreeMap<String, String>;
/// Everything in moto that a route could write: each table's items and each queue's depth.
type Snapshot = BTreeMap<String, BTreeSet<Item>>;

struct World {
    proxy: FaultProxy,
    /// Straight to moto, for fixtures' checks and snapshots.
    ddb: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
    stack: Stack,
    api_key: String,
    log_token: String,
    app_code: String,
    start: start_session::Deps,
    add: add_event::Deps,
    keys: admin_issue_api_key::Deps,
    log_admin: admin_issue_log_token::Deps,
    logs: send_logs::Deps,
    apps: admin_register_app::Deps,
    report: report_incident::Deps,
    beat: record_heartbeat::Deps,
    fallback: serve_fallback::Deps,
    crud: create_contacts::Deps,
    send: send_messages::Deps,
    end: end_session::Deps,
    incident_admin: admin_update_incident::Deps,
    app_update: admin_update_app::Deps,
    app_delete: admin_delete_app::Deps,
    hb_admin: admin_update_heartbeat_app::Deps,
    contacts_delete: delete_contacts::Deps,
    revoke: admin_revoke_api_key::Deps,
    session_read: get_session::Deps,
    machine_read: get_machine_events::Deps,
    signal: record_signal::Deps,
    /// The silent-app scanner, which delivers the transition mails a fault left unsent.
    scanner: scan_silent_apps::Deps,
    /// The operations swept so far (the sweep checks at its end that it swept every one).
    swept: Mutex<BTreeSet<Op>>,
}

fn status_body(resp: Result<Response<Body>, lambda_http::Error>) -> (u16, Value) {
    let resp = resp.expect("handlers answer faults with a response, not an Err");
    let body = serde_json::from_slice(resp.body().as_ref()).unwrap_or(Value::Null);
    if resp.status().as_u16() == 503 {
        assert_eq!(
            resp.headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap()),
            Some("5"),
            "a 503 says when to retry"
        );
    }
    (resp.status().as_u16(), body)
}

/// An outage's answer: 503 with a body that says nothing of the internals (Lookout's JSON
/// error, or seed 000's own format for `/send_logs`), and `Retry-After` (`status_body`).
fn is_outage_answer(status: u16, reply: &Value) -> bool {
    status == 503
        && (*reply == json!({"error": "unavailable", "message": lookout_http::UNAVAILABLE_MESSAGE})
            || *reply == json!({"code": 503, "message": "ServiceUnavailable"}))
}

/// Builds a function's dependencies the way its main does, signed as its own role.
async fn as_function<T, E: std::fmt::Debug, F: std::future::Future<Output = Result<T, E>>>(
    binary: &str,
    from_env: impl FnOnce() -> F,
) -> T {
    std::env::set_var("AWS_LAMBDA_FUNCTION_NAME", binary);
    // Boxed: each function's set-up future is large in debug builds.
    Box::pin(from_env()).await.unwrap()
}

impl World {
    /// One stack in moto; the functions' own `Deps::from_env` (production clients and time
    /// limits) with `AWS_ENDPOINT_URL` pointing at the proxy.
    async fn new() -> Self {
        let endpoint = moto::endpoint().unwrap();
        let sdk = moto::sdk_config(&endpoint).await;
        let tpl = template();
        let prefix = format!("f{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let emulator = lookout_dev::emulator::Emulator::shared().unwrap();
        let mut params = messenger_params(emulator.url());
        params.insert(
            "AdminTokenSha256".into(),
            sha256_hex(ADMIN_TOKEN.as_bytes()),
        );
        params.insert("AdminEmail".into(), "admin@example.com".into());
        params.insert("SenderEmail".into(), "lookout@example.com".into());
        // Every call reads its credential: the sweeps stop moto after each call of a clean
        // request's sequence, which must not depend on what an earlier request left trusted.
        // A trusted credential only drops the sequence's first read, so these fault points
        // cover the warm path's too.
        params.insert("CredentialCacheSeconds".into(), "0".into());
        let stack = provision::provision(&tpl, &sdk, &prefix, &params)
            .await
            .unwrap();
        lookout_tests::support::put_emulator_tokens(&sdk, &stack).await;
        let proxy = FaultProxy::start(&endpoint).await;
        // Each function signs as its own role: a profile named after it, picked by
        // AWS_LAMBDA_FUNCTION_NAME when its Deps::from_env runs (as under watch).
        let creds = lookout_dev::iam::function_credentials(&sdk, &tpl)
            .await
            .unwrap();
        let creds_file = lookout_dev::template::workspace_root()
            .join("target")
            .join(format!("{prefix}.credentials"));
        std::fs::write(&creds_file, lookout_dev::iam::credentials_file(&creds)).unwrap();
        // One process-wide environment: this binary has a single test that uses it.
        for (k, v) in stack
            .merged_env(&tpl)
            .unwrap()
            .into_iter()
            .chain(moto::function_env(proxy.url(), &creds_file))
        {
            std::env::set_var(k, v);
        }
        // The sweeps make far more alerts per hour (new incidents, heartbeat transitions) than
        // the default budget lets out on their own; folding them into digests is not what this
        // test is about.
        std::env::set_var("QUOTA_ALERTS_PER_HOUR", "100000");
        let mut w = Self {
            proxy,
            ddb: aws_sdk_dynamodb::Client::new(&sdk),
            sqs: aws_sdk_sqs::Client::new(&sdk),
            stack,
            api_key: String::new(),
            log_token: String::new(),
            app_code: String::new(),
            start: as_function("start-session", start_session::Deps::from_env).await,
            add: as_function("add-event", add_event::Deps::from_env).await,
            keys: as_function("admin-issue-api-key", admin_issue_api_key::Deps::from_env).await,
            log_admin: as_function(
                "admin-issue-log-token",
                admin_issue_log_token::Deps::from_env,
            )
            .await,
            logs: as_function("send-logs", send_logs::Deps::from_env).await,
            apps: as_function("admin-register-app", admin_register_app::Deps::from_env).await,
            report: as_function("report-incident", report_incident::Deps::from_env).await,
            beat: as_function("record-heartbeat", record_heartbeat::Deps::from_env).await,
            fallback: as_function("serve-fallback", serve_fallback::Deps::from_env).await,
            crud: as_function("create-contacts", create_contacts::Deps::from_env).await,
            send: as_function("send-messages", send_messages::Deps::from_env).await,
            end: as_function("end-session", end_session::Deps::from_env).await,
            incident_admin: as_function(
                "admin-update-incident",
                admin_update_incident::Deps::from_env,
            )
            .await,
            app_update: as_function("admin-update-app", admin_update_app::Deps::from_env).await,
            app_delete: as_function("admin-delete-app", admin_delete_app::Deps::from_env).await,
            hb_admin: as_function(
                "admin-update-heartbeat-app",
                admin_update_heartbeat_app::Deps::from_env,
            )
            .await,
            contacts_delete: as_function("delete-contacts", delete_contacts::Deps::from_env).await,
            revoke: as_function("admin-revoke-api-key", admin_revoke_api_key::Deps::from_env).await,
            session_read: as_function("get-session", get_session::Deps::from_env).await,
            machine_read: as_function("get-machine-events", get_machine_events::Deps::from_env)
                .await,
            signal: as_function("record-signal", record_signal::Deps::from_env).await,
            scanner: as_function("scan-silent-apps", scan_silent_apps::Deps::from_env).await,
            swept: Mutex::new(BTreeSet::new()),
        };
        // Fixtures, through the routes themselves with moto up.
        let (s, b) = w
            .call(Op::ApiKey, json!({"tenant": "acme", "label": "faults"}))
            .await;
        assert_eq!(s, 201, "{b}");
        w.api_key = b["apiKey"].as_str().unwrap().to_owned();
        let (s, b) = w.call(Op::LogUser, json!({"user": "faulty"})).await;
        assert_eq!(s, 201, "{b}");
        w.log_token = b["x_user_token"].as_str().unwrap().to_owned();
        let (s, b) = w.call(Op::RegisterApp, json!({"name": "Faulty"})).await;
        assert_eq!(s, 201, "{b}");
        w.app_code = b["code"].as_str().unwrap().to_owned();
        w
    }

    fn request(&self, op: Op, body: &Value) -> Request {
        let t = op.target();
        let idem = body["message"]
            .as_str()
            .unwrap_or_default()
            .replace(' ', "-");
        let headers: Vec<(&str, &str)> = match t.credential {
            Credential::Admin => vec![("authorization", BEARER)],
            Credential::ApiKey => vec![("x-api-key", self.api_key.as_str())],
            Credential::ApiKeyIdempotent => vec![
                ("x-api-key", self.api_key.as_str()),
                ("idempotency-key", idem.as_str()),
            ],
            Credential::UserToken => vec![("x-user-token", self.log_token.as_str())],
            Credential::AppCodeInBody => vec![],
        };
        http_request(t.verb, t.path, &[], &headers, &body.to_string())
    }

    /// Calls the function of `op`'s route (by its binary, as template.yaml names it). Boxed:
    /// the handlers' futures are large, and debug builds give each call site its own copy on
    /// the stack.
    fn call(
        &self,
        op: Op,
        body: Value,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = (u16, Value)> + '_>> {
        Box::pin(self.call_handler(op, body))
    }

    async fn call_handler(&self, op: Op, body: Value) -> (u16, Value) {
        let req = self.request(op, &body);
        status_body(match op.target().binary {
            "admin-issue-api-key" => Box::pin(admin_issue_api_key::handle(&self.keys, req)).await,
            "admin-revoke-api-key" => {
                Box::pin(admin_revoke_api_key::handle(&self.revoke, req)).await
            }
            "admin-issue-log-token" => {
                Box::pin(admin_issue_log_token::handle(&self.log_admin, req)).await
            }
            "admin-register-app" => Box::pin(admin_register_app::handle(&self.apps, req)).await,
            "start-session" => Box::pin(start_session::handle(&self.start, req)).await,
            "add-event" => Box::pin(add_event::handle(&self.add, req)).await,
            "end-session" => Box::pin(end_session::handle(&self.end, req)).await,
            "get-session" => Box::pin(get_session::handle(&self.session_read, req)).await,
            "get-machine-events" => {
                Box::pin(get_machine_events::handle(&self.machine_read, req)).await
            }
            "send-logs" => Box::pin(send_logs::handle(&self.logs, req)).await,
            "report-incident" => Box::pin(report_incident::handle(&self.report, req)).await,
            "record-heartbeat" => Box::pin(record_heartbeat::handle(&self.beat, req)).await,
            "serve-fallback" => Box::pin(serve_fallback::handle(&self.fallback, req)).await,
            "record-signal" => Box::pin(record_signal::handle(&self.signal, req)).await,
            "create-contacts" => Box::pin(create_contacts::handle(&self.crud, req)).await,
            "send-messages" => Box::pin(send_messages::handle(&self.send, req)).await,
            "admin-update-incident" => {
                Box::pin(admin_update_incident::handle(&self.incident_admin, req)).await
            }
            "admin-update-app" => Box::pin(admin_update_app::handle(&self.app_update, req)).await,
            "admin-delete-app" => Box::pin(admin_delete_app::handle(&self.app_delete, req)).await,
            "admin-update-heartbeat-app" => {
                Box::pin(admin_update_heartbeat_app::handle(&self.hb_admin, req)).await
            }
            "delete-contacts" => {
                Box::pin(delete_contacts::handle(&self.contacts_delete, req)).await
            }
            other => panic!("{op:?}: no handler for function {other}"),
        })
    }

    /// Every item of every table, and the messages waiting in every queue.
    async fn snapshot(&self) -> Snapshot {
        let t0 = Instant::now();
        let tables =
            futures::future::join_all(self.stack.tables.values().map(|table| async move {
                let items: BTreeSet<Item> = scan_all(&self.ddb, table)
                    .await
                    .into_iter()
                    .map(|item| item.into_iter().map(|(k, v)| (k, canon(&v))).collect())
                    .collect();
                (table.clone(), items)
            }))
            .await;
        let mut out: Snapshot = tables.into_iter().collect();
        for q in self.stack.queues.values() {
            let attrs = self
                .sqs
                .get_queue_attributes()
                .queue_url(&q.url)
                .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
                .send()
                .await
                .unwrap();
            let depth: Item = attrs
                .attributes
                .unwrap_or_default()
                .into_iter()
                .filter(|(k, _)| {
                    matches!(
                        k,
                        aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages
                            | aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible
                            | aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesDelayed
                    )
                })
                .map(|(k, v)| (format!("{k:?}"), v))
                .collect();
            out.insert(format!("queue {}", q.url), BTreeSet::from([depth]));
        }
        SNAPSHOT_MICROS.fetch_add(
            u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        out
    }
}

/// One way of calling a write route: each is swept on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    ApiKey,
    RevokeKey,
    LogUser,
    RegisterApp,
    StartSession,
    AddEvent,
    /// `POST /get_session`: a read, but not a GET.
    ReadSession,
    /// `POST /get_machine_events`: a read, but not a GET.
    ReadMachine,
    SendLogs,
    Report,
    /// `POST /incidents` repeating an unresolved incident: it joins it (count, last seen).
    ReportJoin,
    /// The seed's `POST /v1/incidents/new` (not swept: `NOT_SWEPT`).
    SeedReport,
    /// The seed's `POST /api/apps/`, which reaches the heartbeat as the `$default` route: a
    /// new app's first beat.
    Heartbeat,
    /// `POST /api/apps`: a beat of an app that is down (the UP transition: its event, alert and
    /// mail, then the outbox cleared).
    BeatDown,
    /// `POST /api/apps/fail`: a failed run takes a new app down (the DOWN transition).
    Signal,
    Contacts,
    Send,
    /// `PUT /api/contacts` with an `Idempotency-Key` (the body's message).
    SendKeyed,
    EndSession,
    UpdateIncident,
    UpdateApp,
    DeleteApp,
    HeartbeatAdmin,
    ContactsDelete,
}

/// The credential a route takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Credential {
    /// `Authorization: Bearer <admin token>`.
    Admin,
    /// `X-Api-Key` of tenant `acme`.
    ApiKey,
    /// `X-Api-Key` and an `Idempotency-Key` (the body's message).
    ApiKeyIdempotent,
    /// Seed 000's `X-User-Token`.
    UserToken,
    /// An app's name and code in the body (seed 001).
    AppCodeInBody,
}

/// How the sweep calls a route of template.yaml.
#[derive(Debug, Clone, Copy)]
struct Target {
    /// The function (its `Handler` in template.yaml).
    binary: &'static str,
    /// The route as template.yaml has it.
    method: &'static str,
    route: &'static str,
    /// The request's method and path (the route's, with its parameter filled in; `$default`
    /// gets any request no other route matches).
    verb: &'static str,
    path: &'static str,
    credential: Credential,
    /// A success's status.
    ok: u16,
    /// A read: a success changes nothing.
    read: bool,
}

const fn target(
    binary: &'static str,
    method: &'static str,
    route: &'static str,
    credential: Credential,
    ok: u16,
) -> Target {
    Target {
        binary,
        method,
        route,
        verb: method,
        path: route,
        credential,
        ok,
        read: false,
    }
}

impl Op {
    /// Every operation the sweep makes: `every_write_route_of_the_template_is_in_the_sweep`
    /// checks that they cover every non-GET route of template.yaml (with `NOT_SWEPT`), and the
    /// sweep that it swept each.
    const ALL: [Op; 23] = [
        Op::ApiKey,
        Op::RevokeKey,
        Op::LogUser,
        Op::RegisterApp,
        Op::StartSession,
        Op::AddEvent,
        Op::ReadSession,
        Op::ReadMachine,
        Op::SendLogs,
        Op::Report,
        Op::ReportJoin,
        Op::Heartbeat,
        Op::BeatDown,
        Op::Signal,
        Op::Contacts,
        Op::Send,
        Op::SendKeyed,
        Op::EndSession,
        Op::UpdateIncident,
        Op::UpdateApp,
        Op::DeleteApp,
        Op::HeartbeatAdmin,
        Op::ContactsDelete,
    ];

    /// The table: which function, route and credential, and what success looks like.
    fn target(self) -> Target {
        use Credential::{Admin, ApiKey, ApiKeyIdempotent, AppCodeInBody, UserToken};
        match self {
            Op::ApiKey => target("admin-issue-api-key", "POST", "/admin/api_keys", Admin, 201),
            Op::RevokeKey => target(
                "admin-revoke-api-key",
                "DELETE",
                "/admin/api_keys",
                Admin,
                200,
            ),
            Op::LogUser => target(
                "admin-issue-log-token",
                "POST",
                "/admin/log_users",
                Admin,
                201,
            ),
            Op::RegisterApp => target("admin-register-app", "POST", "/admin/apps", Admin, 201),
            Op::StartSession => target("start-session", "POST", "/start_session", ApiKey, 200),
            Op::AddEvent => target("add-event", "POST", "/add_event", ApiKey, 200),
            Op::ReadSession => Target {
                read: true,
                ..target("get-session", "POST", "/get_session", ApiKey, 200)
            },
            Op::ReadMachine => Target {
                read: true,
                ..target(
                    "get-machine-events",
                    "POST",
                    "/get_machine_events",
                    ApiKey,
                    200,
                )
            },
            Op::SendLogs => target("send-logs", "POST", "/send_logs", UserToken, 200),
            Op::Report => target("report-incident", "POST", "/incidents", AppCodeInBody, 201),
            Op::ReportJoin => target("report-incident", "POST", "/incidents", AppCodeInBody, 200),
            Op::SeedReport => target(
                "report-incident",
                "POST",
                "/v1/incidents/new",
                AppCodeInBody,
                200,
            ),
            Op::Heartbeat => Target {
                verb: "POST",
                path: "/api/apps/",
                ..target("serve-fallback", "ANY", "$default", ApiKey, 200)
            },
            Op::BeatDown => target("record-heartbeat", "POST", "/api/apps", ApiKey, 200),
            Op::Signal => Target {
                path: "/api/apps/fail",
                ..target("record-signal", "POST", "/api/apps/{signal}", ApiKey, 200)
            },
            Op::Contacts => target("create-contacts", "POST", "/api/contacts", ApiKey, 200),
            Op::Send => target("send-messages", "PUT", "/api/contacts", ApiKey, 200),
            Op::SendKeyed => target(
                "send-messages",
                "PUT",
                "/api/contacts",
                ApiKeyIdempotent,
                200,
            ),
            Op::EndSession => target("end-session", "POST", "/end_session", ApiKey, 200),
            Op::UpdateIncident => target(
                "admin-update-incident",
                "PATCH",
                "/admin/incident",
                Admin,
                200,
            ),
            Op::UpdateApp => target("admin-update-app", "PUT", "/admin/apps", Admin, 200),
            Op::DeleteApp => target("admin-delete-app", "DELETE", "/admin/apps", Admin, 200),
            Op::HeartbeatAdmin => target(
                "admin-update-heartbeat-app",
                "POST",
                "/admin/heartbeat_apps",
                Admin,
                201,
            ),
            Op::ContactsDelete => target("delete-contacts", "DELETE", "/api/contacts", ApiKey, 200),
        }
    }
}

/// Write routes of template.yaml the sweep leaves out, each with the reason. (GET routes are
/// reads, out of this sweep; POST reads are swept as reads.)
const NOT_SWEPT: &[(&str, &str, &str, &str)] = &[
    (
        "report-incident",
        "POST",
        "/v1/incidents/new",
        "the seed's route to the same function: the same AWS calls as POST /incidents (swept: \
         Report, ReportJoin), only its replies are the seed server's; its outage answer, a 503 \
         like every route's, is checked by hung_endpoints",
    ),
    (
        "admin-issue-ping-key",
        "POST",
        "/admin/ping_keys",
        "the same one PutItem as POST /admin/api_keys (swept: ApiKey), through the same \
         lookout_keys::issue; only the scope differs",
    ),
    (
        "record-otlp-logs",
        "POST",
        "/v1/logs",
        "after its reads (the token index, the user), the same writes as POST /send_logs \
         (swept: SendLogs), through the same lookout_logs::send_logs",
    ),
    (
        "admin-create-alert-channel",
        "POST",
        "/admin/alert_channels",
        ALERT_WRITES,
    ),
    (
        "admin-delete-alert-channel",
        "DELETE",
        "/admin/alert_channels",
        ALERT_WRITES,
    ),
    (
        "admin-update-alert-routes",
        "PUT",
        "/admin/alert_routes",
        ALERT_WRITES,
    ),
    (
        "admin-send-test-alert",
        "POST",
        "/admin/alert_channels/test",
        "writes nothing: one GetItem, then the test alert to the channel's URL",
    ),
    (
        "record-alert-ack",
        "POST",
        "/ack/{token}",
        "after the token's check, the incident's read and the one write of \
         lookout_incidents::update_incident, which PATCH /admin/incident makes (swept: \
         UpdateIncident)",
    ),
    (
        "record-alert-ack",
        "POST",
        "/ack/telegram/{tenant}",
        "after the secret token's check, the incident's read and the one write of \
         lookout_incidents::update_incident, which PATCH /admin/incident makes (swept: \
         UpdateIncident)",
    ),
    ("record-ping", "HEAD", "/ping/{proxy+}", PING_WRITES),
    ("record-ping", "POST", "/ping/{proxy+}", PING_WRITES),
    ("record-ping", "PUT", "/ping/{proxy+}", PING_WRITES),
];

/// Why the alert channel and route writes are not swept.
const ALERT_WRITES: &str = "reads (the tenant's channels or routes), then one PutItem or \
     DeleteItem of one item: stored whole or not at all; DynamoDB out of reach is a StoreError, \
     which the edge's one mapping answers 503 as on every route (lookout_http's error tests)";

/// Why the ping routes are not swept.
const PING_WRITES: &str = "one write per ping, atomic by construction: the app's conditional \
     PutItem of the signal use case (swept: Signal, BeatDown), or that put and the body's item in \
     one TransactWriteItems; a transition it makes is announced from the outbox as a signal's \
     (heal_transitions); every method (GET too) runs the same code";

/// A route of template.yaml: (function, method, route).
type RouteId = (String, String, String);

/// Every non-GET route of template.yaml.
fn template_write_routes() -> BTreeSet<RouteId> {
    template()
        .functions()
        .unwrap()
        .into_iter()
        .flat_map(|f| {
            f.routes
                .into_iter()
                .filter(|r| r.method != "GET")
                .map(move |r| (f.binary.clone(), r.method, r.path))
        })
        .collect()
}

/// The routes of template.yaml the sweep misses (first) and the ones it has that the template
/// lacks (second).
fn route_coverage(ops: &[Op]) -> (BTreeSet<RouteId>, BTreeSet<RouteId>) {
    let covered: BTreeSet<RouteId> = ops
        .iter()
        .map(|op| {
            let t = op.target();
            (t.binary.to_owned(), t.method.to_owned(), t.route.to_owned())
        })
        .chain(
            NOT_SWEPT
                .iter()
                .map(|(b, m, r, _)| ((*b).to_owned(), (*m).to_owned(), (*r).to_owned())),
        )
        .collect();
    let template = template_write_routes();
    (
        template.difference(&covered).cloned().collect(),
        covered.difference(&template).cloned().collect(),
    )
}

#[test]
fn every_write_route_of_the_template_is_in_the_sweep() {
    let (missing, extra) = route_coverage(&Op::ALL);
    assert!(
        missing.is_empty(),
        "write routes of template.yaml the fault sweep does not call: {missing:?} (add an Op \
         with its target and sweep it, or list it in NOT_SWEPT with the reason)"
    );
    assert!(
        extra.is_empty(),
        "routes in the fault sweep's table that template.yaml lacks: {extra:?}"
    );
    let all: BTreeSet<Op> = Op::ALL.into_iter().collect();
    assert_eq!(all.len(), Op::ALL.len(), "Op::ALL lists each once");
    // The check itself: a route left out of the table is found missing.
    let (missing, _) = route_coverage(&Op::ALL[1..]);
    let t = Op::ALL[0].target();
    assert!(missing.contains(&(t.binary.to_owned(), t.method.to_owned(), t.route.to_owned())));
}

/// Items added per table (and queue depth changes) from `before` to `after`.
fn delta(before: &Snapshot, after: &Snapshot) -> BTreeMap<String, (usize, usize)> {
    after
        .iter()
        .filter_map(|(k, a)| {
            let b = before.get(k).cloned().unwrap_or_default();
            let added = a.difference(&b).count();
            let removed = b.difference(a).count();
            (added + removed > 0).then(|| (k.clone(), (added, removed)))
        })
        .collect()
}

/// The items `after` has and `before` had not, per table (or queue).
fn added(before: &Snapshot, after: &Snapshot) -> BTreeMap<String, Vec<Item>> {
    after
        .iter()
        .filter_map(|(k, a)| {
            let b = before.get(k).cloned().unwrap_or_default();
            let new: Vec<Item> = a.difference(&b).cloned().collect();
            (!new.is_empty()).then(|| (k.clone(), new))
        })
        .collect()
}

/// Per table, the attributes whose values differ between what two clean calls of different
/// requests stored, made over a second apart: ids, times, the requests' own values. Every
/// other attribute (which attributes there are, statuses, levels, counters, owners, ...) is
/// what any call of the route stores.
fn varying(
    a: &BTreeMap<String, Vec<Item>>,
    b: &BTreeMap<String, Vec<Item>>,
) -> BTreeMap<String, BTreeSet<String>> {
    let values = |items: Option<&Vec<Item>>, attr: &str| {
        let mut v: Vec<Option<String>> = items
            .into_iter()
            .flatten()
            .map(|i| i.get(attr).cloned())
            .collect();
        v.sort();
        v
    };
    a.keys()
        .chain(b.keys())
        .map(|table| {
            let attrs: BTreeSet<&String> = a
                .get(table)
                .into_iter()
                .chain(b.get(table))
                .flatten()
                .flat_map(|i| i.keys())
                .collect();
            let differ = attrs
                .into_iter()
                .filter(|attr| values(a.get(table), attr) != values(b.get(table), attr))
                .cloned()
                .collect();
            (table.clone(), differ)
        })
        .collect()
}

/// What a call stored, with the attributes that vary between requests blanked out.
fn contents(
    added: &BTreeMap<String, Vec<Item>>,
    varying: &BTreeMap<String, BTreeSet<String>>,
) -> BTreeMap<String, Vec<Item>> {
    added
        .iter()
        .map(|(table, items)| {
            let blank = varying.get(table).cloned().unwrap_or_default();
            let mut items: Vec<Item> = items
                .iter()
                .map(|item| {
                    item.iter()
                        .map(|(k, v)| {
                            let v = if blank.contains(k) {
                                "*".to_owned()
                            } else {
                                v.clone()
                            };
                            (k.clone(), v)
                        })
                        .collect()
                })
                .collect();
            items.sort();
            (table.clone(), items)
        })
        .collect()
}

/// Attributes that record a best-effort step after the commit (documented), so a success
/// despite a fault may store them differently: a report's admin notification
/// (`notified: false` and `notify_error` when the mail failed; docs/incidents.md).
///
/// A heartbeat transition (a beat of a down app, a failed run) is committed with its mail in
/// the item's outbox; the event, the alert and the mail go out after the commit, then the
/// outbox is cleared (a write: `version` + 1, the lease and its `dueAt` gone). A success
/// despite a fault after the commit leaves the outbox for the scanner (docs/heartbeats.md),
/// which `heal_transitions` checks.
fn best_effort(op: Op) -> &'static [&'static str] {
    match op {
        Op::Report => &["notified", "notify_error"],
        Op::BeatDown | Op::Signal => &["outbox", "leaseUntil", "dueAt", "dueShard", "version"],
        _ => &[],
    }
}

/// Items a route updates best-effort after its commit (documented): usage counts that feed
/// quotas and volume charts. A failure to count is logged and the request still succeeds, so
/// a success despite a fault at that step leaves them as they were: a log user's daily counts
/// on its item (docs/logs.md), a tenant's daily send count (docs/messenger.md). A heartbeat
/// transition's event and alert (the queues' depths) go out from its outbox after the commit.
/// An alert (a heartbeat transition's, a new incident's) is counted in its scope's hourly alert
/// budget (`BUDGET#` items) when it is sent, after the commit.
fn best_effort_item(op: Op, table: &str, item: &Item) -> bool {
    if is_budget(table, item) {
        return true;
    }
    match op {
        Op::BeatDown | Op::Signal => table.starts_with("queue "),
        Op::SendLogs => table.ends_with("LogUsersTable"),
        // The day's counter item (its `pk` may be masked as varying, its `sends` is its own).
        Op::Send | Op::SendKeyed => table.ends_with("MessengerTable") && item.contains_key("sends"),
        _ => false,
    }
}

/// An hourly alert budget item (`BUDGET#<scope>#<hour>`), recognised by its attributes: its
/// `pk` may be masked as varying.
fn is_budget(table: &str, item: &Item) -> bool {
    table.ends_with("HeartbeatTable") && item.contains_key("budget") && item.contains_key("scope")
}

/// A snapshot without the alert budget items. The first alert of an hour creates the hour's
/// item and later ones update it, so whether a request adds one or changes one depends on the
/// clock, not on the request: left out when a retry's effect is compared with a clean call's.
fn without_budgets(snapshot: &Snapshot) -> Snapshot {
    snapshot
        .iter()
        .map(|(table, items)| {
            let kept = items
                .iter()
                .filter(|i| !is_budget(table, i))
                .cloned()
                .collect();
            (table.clone(), kept)
        })
        .collect()
}

/// A snapshot without `op`'s best-effort items.
fn core_of(op: Op, snapshot: &Snapshot) -> Snapshot {
    snapshot
        .iter()
        .map(|(table, items)| {
            let kept = items
                .iter()
                .filter(|i| !best_effort_item(op, table, i))
                .cloned()
                .collect();
            (table.clone(), kept)
        })
        .collect()
}

/// `contents` without the attributes `skip`.
fn without(
    mut contents: BTreeMap<String, Vec<Item>>,
    skip: &[&str],
) -> BTreeMap<String, Vec<Item>> {
    for items in contents.values_mut() {
        for item in items.iter_mut() {
            item.retain(|k, _| !skip.contains(&k.as_str()));
        }
        items.sort();
    }
    contents
}

/// What one route's sweep saw.
struct Swept {
    report: Vec<String>,
    /// The AWS calls of a clean call, in order.
    calls: Vec<String>,
    /// The `k`s (moto gone after `calls[..k]`) whose request succeeded despite the fault.
    despite: Vec<usize>,
}

/// The fault sweep of one route. `body(i)` is the i-th distinct request of that route: 0 is
/// the clean call, 1 a control (a second clean call), 2..N+2 the faulted ones (moto gone after
/// k = i - 2 calls), N+2 another control.
async fn sweep(w: &World, op: Op, body: impl Fn(usize) -> Value) -> Vec<String> {
    // Boxed: the handlers' futures are large, and debug builds keep them on the test's stack.
    Box::pin(sweep_detailed(w, op, body)).await.report
}

async fn sweep_detailed(w: &World, op: Op, body: impl Fn(usize) -> Value) -> Swept {
    let t0 = Instant::now();
    let ok = op.target().ok;
    assert!(!op.target().read, "{op:?} is a read: sweep_read");
    w.swept.lock().unwrap().insert(op);
    let mut report = Vec::new();
    let mut despite = Vec::new();
    // A first call of the day creates the day's counters (log usage, sends, incidents opened,
    // tracker events), which later calls only update: make it before the clean call, so every
    // measured call has the same effect shape. (A repeated report's first call opens the
    // incident the others join.)
    w.proxy.up();
    if matches!(
        op,
        Op::SendLogs | Op::Send | Op::SendKeyed | Op::Report | Op::ReportJoin | Op::AddEvent
    ) {
        let (status, reply) = w.call(op, body(1000)).await;
        assert!(
            status < 300,
            "{op:?} first call of the day: {status} {reply}"
        );
    }
    // A clean call: how many AWS calls the route makes, and what a success changes.
    let before = w.snapshot().await;
    w.proxy.up();
    w.proxy.reset_log();
    let (status, reply) = w.call(op, body(0)).await;
    let clean_at = Instant::now();
    assert_eq!(status, ok, "{op:?} clean call: {reply}");
    let calls = w.proxy.forwarded();
    let clean = w.snapshot().await;
    let effect = delta(&before, &clean);
    let first = added(&before, &clean);
    let clean_before = before.clone();
    assert!(!effect.is_empty(), "{op:?} changed nothing");
    report.push(format!("{op:?}: {} AWS calls {calls:?}", calls.len()));
    // What each faulted request stored in the end (after its retry, or despite the fault),
    // compared with the clean call's contents once the control call shows what varies.
    let mut stored: Vec<(usize, bool, BTreeMap<String, Vec<Item>>)> = Vec::new();
    // The last snapshot taken: what the next request starts from (nothing writes in between).
    let mut last = clean.clone();

    for k in 0..calls.len() {
        let i = k + 2;
        let before = std::mem::take(&mut last);
        w.proxy.reset_log();
        w.proxy.fail_after(k);
        let (status, reply) = w.call(op, body(i)).await;
        let refused = w.proxy.refused();
        w.proxy.up();
        let after = w.snapshot().await;
        match status {
            500..=599 => {
                assert!(
                    is_outage_answer(status, &reply),
                    "{op:?} k={k}: an outage is a 503 with a generic body: {status} {reply}"
                );
                assert!(!refused.is_empty(), "{op:?} k={k}: 5xx without a fault");
                let left = delta(&before, &after);
                let inert = matches!(op, Op::Send | Op::SendKeyed)
                    && calls[..k]
                        .iter()
                        .any(|c| c == "BatchWriteItem" || c == "PutItem");
                if inert {
                    // Stored, then the queue and DynamoDB both went away before the undo: the
                    // send stays, inert: no job for it is queued (the queue's depth is part of
                    // the snapshot and did not change), so it is never delivered, and it
                    // expires with its TTL. With only the queue down, the undo removes it
                    // (checked at the end of this test).
                    assert_eq!(left.len(), 1, "{op:?} k={k}: {left:?}");
                    assert!(
                        left.keys().all(|t| t.ends_with("MessengerTable")),
                        "{left:?}"
                    );
                    assert!(left.values().all(|(_, removed)| *removed == 0), "{left:?}");
                    report.push(format!("  k={k}: inert leftover {left:?}"));
                } else {
                    assert_eq!(
                        left,
                        BTreeMap::new(),
                        "{op:?} k={k} (moto gone after {:?}): a failed request left writes behind",
                        &calls[..k]
                    );
                }
                // Moto is back: the client's retry of the same request succeeds, once.
                let (status, reply) = w.call(op, body(i)).await;
                assert_eq!(status, ok, "{op:?} k={k}: retry after the fault: {reply}");
                let retried = w.snapshot().await;
                stored.push((
                    k,
                    false,
                    added(
                        if inert && op == Op::Send {
                            &after
                        } else {
                            &before
                        },
                        &retried,
                    ),
                ));
                assert_eq!(
                    // Unkeyed, the retry is a new send beside the inert one; with an
                    // Idempotency-Key it completes the inert one.
                    shape(&delta(
                        &without_budgets(if inert && op == Op::Send {
                            &after
                        } else {
                            &before
                        }),
                        &without_budgets(&retried)
                    )),
                    shape(&delta(
                        &without_budgets(&clean_before),
                        &without_budgets(&clean)
                    )),
                    "{op:?} k={k}: the retry's effect differs from a clean call's"
                );
                report.push(format!("  k={k}: 5xx, then {status} on retry"));
                last = retried;
            }
            s if s == ok => {
                // Whole, but for the best-effort counts (`best_effort_item`).
                let (b, a) = (core_of(op, &before), core_of(op, &after));
                assert_eq!(
                    shape(&delta(&b, &a)),
                    shape(&delta(&core_of(op, &clean_before), &core_of(op, &clean))),
                    "{op:?} k={k}: a success despite the fault must have its whole effect"
                );
                stored.push((k, true, added(&b, &a)));
                despite.push(k);
                report.push(format!(
                    "  k={k}: {status}: committed before the fault (best-effort steps refused: {refused:?})"
                ));
                last = after;
            }
            other => panic!("{op:?} k={k}: an outage answered {other}: {reply}"),
        }
    }

    // The control: another clean call over a second after the first (so second-resolution
    // times differ too); what differs between the two is what varies by request.
    tokio::time::sleep(Duration::from_millis(1100).saturating_sub(clean_at.elapsed())).await;
    // Two controls (the second with the request after the faulted ones), so a value derived
    // from the request (a shard of the id, say) that two requests happen to share still varies.
    let mut controls = Vec::new();
    for i in [1, calls.len() + 2] {
        let before = std::mem::take(&mut last);
        let (status, reply) = w.call(op, body(i)).await;
        assert_eq!(status, ok, "{op:?} control call {i}: {reply}");
        last = w.snapshot().await;
        controls.push(added(&before, &last));
    }
    let mut varies = varying(&first, &controls[0]);
    for (table, attrs) in varying(&first, &controls[1]) {
        varies.entry(table).or_default().extend(attrs);
    }
    // A heartbeat app's due and watch shards are a hash of its id, which varies by request:
    // three clean calls share one shard in 1 of 64 runs, and a faulted call's app then lands
    // in another (seen in CI). They vary, however the controls fell.
    for (table, attrs) in varies.iter_mut() {
        if table.ends_with("HeartbeatTable") {
            attrs.extend(["dueShard".to_owned(), "watchShard".to_owned()]);
        }
    }
    let want = contents(&first, &varies);
    for control in &controls {
        assert_eq!(contents(control, &varies), want, "{op:?}: clean calls");
    }
    // What a clean call stored but for its best-effort counts.
    let want_core: BTreeMap<String, Vec<Item>> = want
        .iter()
        .map(|(table, items)| {
            let kept: Vec<Item> = items
                .iter()
                .filter(|i| !best_effort_item(op, table, i))
                .cloned()
                .collect();
            (table.clone(), kept)
        })
        .filter(|(_, items)| !items.is_empty())
        .collect();
    for (k, despite_fault, items) in &stored {
        // A success despite the fault skipped a best-effort step, which the item records.
        let skip: &[&str] = if *despite_fault { best_effort(op) } else { &[] };
        let want = if *despite_fault { &want_core } else { &want };
        assert_eq!(
            without(contents(items, &varies), skip),
            without(want.clone(), skip),
            "{op:?} k={k}: what the request stored in the end differs from a clean call's \
             contents (attributes that vary by request: {varies:?})"
        );
    }
    report.push(format!(
        "  stored contents of {} faulted requests = a clean call's (varying: {varies:?})",
        stored.len()
    ));
    report.push(format!(
        "  ({op:?} swept in {:.1?}; snapshots so far {:.1?})",
        t0.elapsed(),
        Duration::from_micros(SNAPSHOT_MICROS.load(Ordering::Relaxed))
    ));
    Swept {
        report,
        calls,
        despite,
    }
}

/// The fault sweep of a read (a POST that stores nothing): a clean call changes nothing; with
/// moto gone after any of its calls it answers the outage's 503 (never a 4xx) or, when it had
/// what it needed, its success, and it stores nothing either way.
async fn sweep_read(w: &World, op: Op, body: Value) -> Vec<String> {
    let t0 = Instant::now();
    let ok = op.target().ok;
    assert!(op.target().read, "{op:?} writes: sweep");
    w.swept.lock().unwrap().insert(op);
    w.proxy.up();
    let before = w.snapshot().await;
    w.proxy.reset_log();
    let (status, clean) = w.call(op, body.clone()).await;
    assert_eq!(status, ok, "{op:?} clean call: {clean}");
    let calls = w.proxy.forwarded();
    assert_eq!(
        delta(&before, &w.snapshot().await),
        BTreeMap::new(),
        "{op:?}: a read stored something"
    );
    let mut report = vec![format!("{op:?}: {} AWS calls {calls:?}", calls.len())];
    for k in 0..calls.len() {
        w.proxy.reset_log();
        w.proxy.fail_after(k);
        let (status, reply) = w.call(op, body.clone()).await;
        let refused = w.proxy.refused();
        w.proxy.up();
        if status == ok {
            assert_eq!(
                reply, clean,
                "{op:?} k={k}: a success answers what a clean call does"
            );
        } else {
            assert!(
                is_outage_answer(status, &reply),
                "{op:?} k={k} (moto gone after {:?}): an outage is a 503 with a generic body: \
                 {status} {reply}",
                &calls[..k]
            );
            assert!(!refused.is_empty(), "{op:?} k={k}: 5xx without a fault");
        }
        report.push(format!("  k={k}: {status}"));
    }
    assert_eq!(
        delta(&before, &w.snapshot().await),
        BTreeMap::new(),
        "{op:?}: faulted reads stored something"
    );
    report.push(format!("  ({op:?} swept in {:.1?})", t0.elapsed()));
    report
}

/// A mail sent, as the fault proxy logs it (SES v2 `SendEmail`).
const SES_SEND: &str = "POST /v2/email/outbound-emails";

/// A transition swept: its route's sweep and, per request index `i`, the app it went to.
struct Transitions<'a> {
    op: Op,
    swept: &'a Swept,
    app: &'a dyn Fn(usize) -> String,
    /// `UP` or `DOWN`, as the mails say it.
    kind: &'static str,
}

/// Whether one mail or alert (subject, text) announces `app`'s transition `kind` (`UP`,
/// `DOWN`): on its own (`[Lookout] UP: app <id> (<tenant>) is back`) or as a digest's line
/// (`UP    <id> (<tenant>) is back`).
fn announces(subject: &str, body: &str, app: &str, kind: &str) -> bool {
    subject.starts_with(&format!("[Lookout] {kind}: app {app} (acme)"))
        || body
            .lines()
            .any(|l| l.starts_with(&format!("{kind:<6}{app} (acme)")))
}

/// Every message in `queue`, received and deleted.
async fn drain(w: &World, queue: &str) -> Vec<Value> {
    let url = &w.stack.queues[queue].url;
    let mut out = Vec::new();
    loop {
        let got = w
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
        if got.is_empty() {
            return out;
        }
        for m in got {
            out.push(serde_json::from_str(m.body().unwrap_or_default()).unwrap());
            w.sqs
                .delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

/// The transitions a fault left in their app's outbox (successes despite it) are announced
/// once the outbox's lease is over, by the scanner (docs/heartbeats.md): afterwards no outbox
/// is left, and every transition of the sweeps was mailed, queued as an event and alerted.
/// Exactly once each, except what had gone out before the fault: the outbox is cleared only
/// after all three, so the scanner sends them all again. The incidents consumer tells a
/// repeated event by its `seq`; a repeated mail reaches the admin twice, and so does a repeated
/// alert when the scan folds it into a digest (which has its own alert id).
async fn heal_transitions(w: &World, swept: &[Transitions<'_>]) -> Vec<String> {
    let t0 = Instant::now();
    let after_lease = lookout_core::time::Timestamp::now()
        .plus_millis(lookout_heartbeats::MAIL_LEASE_MS + 1000)
        .unwrap();
    let event = lambda_runtime::LambdaEvent::new(
        json!({"detail-type": "Scheduled Event", "time": after_lease.to_rfc3339()}),
        lambda_runtime::Context::default(),
    );
    let scan = Box::pin(scan_silent_apps::handle(&w.scanner, event))
        .await
        .expect("the scan after the lease delivers every pending transition");
    let mut report = vec![format!("scanner after the lease: {scan:?}")];

    let apps: Vec<Item> = scan_all(&w.ddb, w.stack.table("HeartbeatTable").unwrap())
        .await
        .into_iter()
        .map(|i| i.into_iter().map(|(k, v)| (k, canon(&v))).collect())
        .collect();
    let mails = sent_mail(&moto::endpoint().unwrap()).await;
    let events = drain(w, "AppEventsQueue").await;
    let alerts = drain(w, "MessengerQueue").await;
    for t in swept {
        let n = t.swept.calls.len();
        let sends = t.swept.calls.iter().filter(|c| *c == "SendMessage").count();
        assert_eq!(sends, 2, "{:?}: an event and an alert per transition", t.op);
        let event_kind = t.kind.to_lowercase();
        for i in 0..=n + 2 {
            let app = (t.app)(i);
            // What went out before the fault, when the request succeeded despite it.
            let before_fault = t
                .swept
                .despite
                .iter()
                .find(|k| **k + 2 == i)
                .map(|k| &t.swept.calls[..*k]);
            let went_out = |op: &str, nth: usize| {
                before_fault.is_some_and(|calls| calls.iter().filter(|c| *c == op).count() >= nth)
            };
            let expected_mails = 1 + usize::from(went_out(SES_SEND, 1));
            let expected_events = 1 + usize::from(went_out("SendMessage", 1));
            // The event is the first message, the alert the second.
            let expected_alerts = 1 + usize::from(went_out("SendMessage", 2));
            let pk = format!("S(\"APP#acme#{app}\")");
            let item = apps
                .iter()
                .find(|a| a.get("pk") == Some(&pk))
                .unwrap_or_else(|| panic!("{:?} i={i}: no app {app}", t.op));
            assert!(
                !item.contains_key("outbox"),
                "{:?} i={i}: {app}'s transition is still unannounced after the scan: {item:?}",
                t.op
            );
            let mailed = mails
                .iter()
                .filter(|m| announces(&m.subject, &m.body, &app, t.kind))
                .count();
            let queued = events
                .iter()
                .filter(|e| e["app_id"] == app.as_str() && e["kind"] == event_kind.as_str())
                .count();
            let alerted = alerts
                .iter()
                .filter(|a| {
                    let text = a["text"].as_str().unwrap_or_default();
                    let (subject, body) = text.split_once("\n\n").unwrap_or((text, ""));
                    a["type"] == "alert" && announces(subject, body, &app, t.kind)
                })
                .count();
            assert_eq!(
                (mailed, queued, alerted),
                (expected_mails, expected_events, expected_alerts),
                "{:?} i={i} ({}): {app}'s {} transition: (mails, events, alerts)",
                t.op,
                match before_fault {
                    Some(calls) => format!("succeeded with moto gone after {calls:?}"),
                    None => "clean, or retried after a 503".to_owned(),
                },
                t.kind
            );
        }
        report.push(format!(
            "  {:?}: {} transitions announced after the scan ({} interrupted after the commit)",
            t.op,
            n + 3,
            t.swept.despite.len()
        ));
    }
    report.push(format!("  (healed and counted in {:.1?})", t0.elapsed()));
    report
}

/// Every AWS endpoint hangs (takes requests, answers none), as a stopped moto_server does:
/// each write route, one per family and all at once, answers the generic 5xx within the SDK's
/// operation time limit (`lookout_core::aws::OPERATION_TIMEOUT`, 7 s) plus 1 s, and stores
/// nothing.
async fn hung_endpoints(w: &World) -> Vec<String> {
    let bound = lookout_core::aws::OPERATION_TIMEOUT + Duration::from_secs(1);
    let code = w.app_code.clone();
    let requests = [
        (
            Op::StartSession,
            json!({"userId": "hung", "machineId": "m9", "startAt": "2026-01-01T00:00:00Z"}),
        ),
        (
            Op::SendLogs,
            json!({"data": {"user": "faulty", "pid": 9, "p_name": "p",
            "post_time": "2026-01-03T12:00:00+00:00", "logs": [
            {"level": "info", "msg": "hung", "event_at": "2026-01-03T12:00:00+00:00", "p_description": "d"}]}}),
        ),
        (
            Op::Report,
            json!({"app_name": "Faulty", "code": code,
            "incident": {"title": "hung", "message": "m", "level": "error"}}),
        ),
        (
            Op::SeedReport,
            json!({"app_name": "Faulty", "code": code,
            "incident": {"title": "hung seed", "message": "m", "level": "error"}}),
        ),
        (Op::Heartbeat, json!({"app_id": 9999, "message": "OK"})),
        (
            Op::Contacts,
            json!({"user_name": "hung", "contacts": [
            {"name": "h", "messangers": {"telegram": "-1001234567", "whatsApp": "", "viber": ""}}]}),
        ),
        (
            Op::Send,
            json!({"user_name": "u", "contact": ["c0"], "message": "hung"}),
        ),
        (Op::ApiKey, json!({"tenant": "hung", "label": "x"})),
    ];
    let before = w.snapshot().await;
    w.proxy.hang();
    let answers = futures::future::join_all(requests.iter().map(|(op, body)| async move {
        let t0 = Instant::now();
        let (status, reply) = w.call(*op, body.clone()).await;
        (*op, status, reply, t0.elapsed())
    }))
    .await;
    w.proxy.up();
    let mut report = vec![format!("all endpoints hung, bound {bound:?}:")];
    for (op, status, reply, waited) in answers {
        assert!(
            is_outage_answer(status, &reply),
            "{op:?} with AWS hung: a 503 with a generic body: {status} {reply}"
        );
        assert!(
            waited < bound,
            "{op:?}: a hung AWS endpoint held the request {waited:?}"
        );
        report.push(format!("  {op:?}: {status} after {waited:.1?}"));
    }
    assert_eq!(
        delta(&before, &w.snapshot().await),
        BTreeMap::new(),
        "requests to hung endpoints stored something"
    );
    report
}

/// Per table: (items added, items removed) — what "the same effect" compares.
fn shape(d: &BTreeMap<String, (usize, usize)>) -> BTreeMap<String, (usize, usize)> {
    d.clone()
}

/// What the sweep reports, and every failure it met: a failing route does not hide the routes
/// swept after it (each is reported, and the test fails at the end).
#[derive(Default)]
struct Outcome {
    report: Vec<String>,
    failures: Vec<String>,
}

impl Outcome {
    /// Runs one step of the sweep, recording its panic (if any) as a failure. (Steps are
    /// boxed: the handlers' futures are large, and debug builds keep them on the test's stack.)
    async fn step<T>(
        &mut self,
        w: &World,
        what: &str,
        f: impl std::future::Future<Output = T>,
    ) -> Option<T> {
        use futures::FutureExt as _;
        match std::panic::AssertUnwindSafe(f).catch_unwind().await {
            Ok(out) => Some(out),
            Err(panic) => {
                // A failed step may have left the proxy failing requests.
                w.proxy.up();
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                self.failures.push(format!("{what}: {msg}"));
                None
            }
        }
    }

    async fn lines(
        &mut self,
        w: &World,
        what: &str,
        f: impl std::future::Future<Output = Vec<String>>,
    ) {
        if let Some(lines) = self.step(w, what, f).await {
            self.report.extend(lines);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_route_survives_moto_stopping_between_any_two_calls() {
    let w = World::new().await;
    let mut out = Outcome::default();
    let t0 = Instant::now();
    // The API key's first use records it (`lastUsedAt`, at most once an hour): make that
    // happen before the sweep, so each route's calls have the same effect.
    let (status, body) = w
        .call(
            Op::StartSession,
            json!({"userId": "warm", "machineId": "m0", "startAt": "2026-01-01T00:00:00Z", "orgId": 1}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    out.lines(
        &w,
        "StartSession",
        sweep(&w, Op::StartSession, |i| {
            json!({"userId": format!("u{i}"), "machineId": "m1", "startAt": "2026-01-01T00:00:00Z", "orgId": 1})
        }),
    )
    .await;

    let (s, b) = w
        .call(
            Op::StartSession,
            json!({"userId": "u", "machineId": "m2", "startAt": "2026-01-01T00:00:00Z", "orgId": 1}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let session = b["sessionId"].clone();
    out.lines(
        &w,
        "AddEvent",
        sweep(&w, Op::AddEvent, |i| {
            json!({"sessionId": session, "events": [
                {"eventAt": "2026-01-01T00:01:00Z", "eventType": "tick", "payload": {"i": i}},
                {"eventAt": "2026-01-01T00:02:00Z", "eventType": "tock", "payload": {"i": i}}
            ]})
        }),
    )
    .await;
    // The tracker's reads are POSTs: swept as reads (nothing stored, 503 or the same answer).
    out.lines(
        &w,
        "ReadSession",
        Box::pin(sweep_read(
            &w,
            Op::ReadSession,
            json!({"sessionId": session}),
        )),
    )
    .await;
    out.lines(
        &w,
        "ReadMachine",
        Box::pin(sweep_read(&w, Op::ReadMachine, json!({"machineId": "m2"}))),
    )
    .await;

    out.lines(
        &w,
        "ApiKey",
        sweep(
            &w,
            Op::ApiKey,
            |i| json!({"tenant": format!("tenant{i}"), "label": "x"}),
        ),
    )
    .await;
    // Revoking: one fresh key per request.
    let mut revokable = Vec::new();
    for i in 0..POOL {
        let (s, b) = w
            .call(
                Op::ApiKey,
                json!({"tenant": "revokee", "label": format!("r{i}")}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        revokable.push(b["keyId"].as_str().unwrap().to_owned());
    }
    out.lines(
        &w,
        "RevokeKey",
        sweep(
            &w,
            Op::RevokeKey,
            |i| json!({"tenant": "revokee", "key_id": pooled(&revokable, i)}),
        ),
    )
    .await;

    out.lines(
        &w,
        "LogUser",
        sweep(&w, Op::LogUser, |i| json!({"user": format!("user{i}")})),
    )
    .await;
    out.lines(
        &w,
        "RegisterApp",
        sweep(&w, Op::RegisterApp, |i| json!({"name": format!("App{i}")})),
    )
    .await;

    let code = w.app_code.clone();
    out.lines(
        &w,
        "Report",
        sweep(&w, Op::Report, |i| {
            json!({"app_name": "Faulty", "code": code,
                   "incident": {"title": format!("disk full {i}"), "message": "m", "level": "error"}})
        }),
    )
    .await;
    // Every request repeats one unresolved incident (its first call opens it): each joins it.
    out.lines(
        &w,
        "ReportJoin",
        sweep(&w, Op::ReportJoin, |_| {
            json!({"app_name": "Faulty", "code": code,
                   "incident": {"title": "disk flapping", "message": "again", "level": "error"}})
        }),
    )
    .await;

    // Heartbeat transitions, before any other heartbeat app exists: the scanner that delivers
    // what a fault left unsent (`heal_transitions`, after the outbox's two-minute lease) then
    // has only these apps to judge. Their ids carry the stack's prefix: the mails of every
    // test are in one moto.
    let prefix = w.stack.prefix.clone();
    let down_app = |i: usize| format!("{prefix}-down{i}");
    let job_app = |i: usize| format!("{prefix}-job{i}");
    // Apps that are down (a failed run) and watched hourly, so the scan after the lease finds
    // them not silent; each beat of the sweep brings one back up.
    for i in 0..POOL {
        let (s, b) = w
            .call(
                Op::HeartbeatAdmin,
                json!({"tenant": "acme", "app_id": down_app(i), "period_seconds": 3600}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        let (s, b) = w
            .call(Op::Signal, json!({"app_id": down_app(i), "exit_code": 1}))
            .await;
        assert_eq!((s, b["state"].as_str()), (200, Some("down")), "{b}");
    }
    let signals = out
        .step(
            &w,
            "Signal",
            Box::pin(sweep_detailed(
                &w,
                Op::Signal,
                |i| json!({"app_id": job_app(i), "exit_code": 2}),
            )),
        )
        .await;
    let beats = out
        .step(
            &w,
            "BeatDown",
            Box::pin(sweep_detailed(
                &w,
                Op::BeatDown,
                |i| json!({"app_id": down_app(i), "message": "back"}),
            )),
        )
        .await;
    if let (Some(signals), Some(beats)) = (&signals, &beats) {
        out.report.extend(signals.report.iter().cloned());
        out.report.extend(beats.report.iter().cloned());
        out.lines(
            &w,
            "heal_transitions",
            Box::pin(heal_transitions(
                &w,
                &[
                    Transitions {
                        op: Op::Signal,
                        swept: signals,
                        app: &job_app,
                        kind: "DOWN",
                    },
                    Transitions {
                        op: Op::BeatDown,
                        swept: beats,
                        app: &down_app,
                        kind: "UP",
                    },
                ],
            )),
        )
        .await;
    }

    out.lines(
        &w,
        "Heartbeat",
        sweep(
            &w,
            Op::Heartbeat,
            |i| json!({"app_id": 1000 + i, "message": "OK:200"}),
        ),
    )
    .await;

    // Routes that change or remove what exists: one fresh object per attempt.
    let mut sessions = Vec::new();
    let mut doomed_apps = Vec::new();
    let mut doomed_contacts = Vec::new();
    for i in 0..POOL {
        let (s, b) = w
            .call(
                Op::StartSession,
                json!({"userId": "e", "machineId": "m3", "startAt": "2026-01-01T00:00:00Z"}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        sessions.push(b["sessionId"].as_str().unwrap().to_owned());
        let (s, b) = w
            .call(Op::RegisterApp, json!({"name": format!("Doomed{i}")}))
            .await;
        assert_eq!(s, 201, "{b}");
        doomed_apps.push(format!("Doomed{i}"));
        let (s, b) = w
            .call(
                Op::Contacts,
                json!({"user_name": "d", "contacts": [
                    {"name": format!("d{i}"), "messangers": {"telegram": "-1001234567", "whatsApp": "", "viber": ""}}
                ]}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        doomed_contacts.push(format!("d{i}"));
    }
    out.lines(
        &w,
        "EndSession",
        sweep(
            &w,
            Op::EndSession,
            |i| json!({"sessionId": pooled(&sessions, i), "endAt": "2026-01-01T01:00:00Z"}),
        ),
    )
    .await;
    let (s, incident) = w
        .call(
            Op::Report,
            json!({"app_name": "Faulty", "code": w.app_code,
                   "incident": {"title": "to triage", "message": "m", "level": "warning"}}),
        )
        .await;
    assert_eq!(s, 201, "{incident}");
    let incident_id = incident["id"].clone();
    out.lines(
        &w,
        "UpdateIncident",
        sweep(&w, Op::UpdateIncident, |i| {
            json!({"id": incident_id, "notes": format!("looked at it, round {i}"), "by": "ops"})
        }),
    )
    .await;
    out.lines(
        &w,
        "UpdateApp",
        sweep(
            &w,
            Op::UpdateApp,
            |i| json!({"name": "Faulty", "description": format!("v{i}")}),
        ),
    )
    .await;
    out.lines(
        &w,
        "DeleteApp",
        sweep(
            &w,
            Op::DeleteApp,
            |i| json!({"name": pooled(&doomed_apps, i)}),
        ),
    )
    .await;
    out.lines(
        &w,
        "HeartbeatAdmin",
        sweep(
            &w,
            Op::HeartbeatAdmin,
            |i| json!({"tenant": "acme", "app_id": 7000 + i, "period_seconds": 300}),
        ),
    )
    .await;
    out.lines(
        &w,
        "ContactsDelete",
        sweep(
            &w,
            Op::ContactsDelete,
            |i| json!({"user_name": "d", "contact": pooled(&doomed_contacts, i)}),
        ),
    )
    .await;

    // The sweeps that leave many items behind (messenger sends, log chunks) come last: every
    // snapshot scans every table, so each item stored early is read again by every later
    // snapshot.
    // The tenant's first contact creates its contacts counter (every later create updates
    // it): make that happen before the sweep, so each call of the route has the same effect.
    let (s, b) = w
        .call(
            Op::Contacts,
            json!({"user_name": "warm", "contacts": [
                {"name": "w", "messangers": {"telegram": "-1001234568", "whatsApp": "", "viber": ""}}
            ]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    out.lines(
        &w,
        "Contacts",
        sweep(&w, Op::Contacts, |i| {
            json!({"user_name": "u", "contacts": [
                {"name": format!("c{i}"), "messangers": {"telegram": "-1001234567", "whatsApp": "+15550001111", "viber": ""}}
            ]})
        }),
    )
    .await;
    // The sends go to c0 and c1, which the Contacts sweep made (made here too should it have
    // failed before its control calls).
    let (s, b) = w
        .call(
            Op::Contacts,
            json!({"user_name": "u", "contacts": [
                {"name": "c0", "messangers": {"telegram": "-1001234567", "whatsApp": "+15550001111", "viber": ""}},
                {"name": "c1", "messangers": {"telegram": "-1001234567", "whatsApp": "+15550001111", "viber": ""}}
            ]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");

    out.lines(
        &w,
        "Send",
        sweep(
            &w,
            Op::Send,
            |i| json!({"user_name": "u", "contact": ["c0", "c1"], "message": format!("hello {i}")}),
        ),
    )
    .await;
    out.lines(
        &w,
        "SendKeyed",
        sweep(
            &w,
            Op::SendKeyed,
            |i| json!({"user_name": "u", "contact": ["c0", "c1"], "message": format!("keyed {i}")}),
        ),
    )
    .await;

    // A small batch (one BatchWriteItem) and one of 30 chunks (one TransactWriteItems).
    out.lines(
        &w,
        "SendLogs (1 line)",
        sweep(&w, Op::SendLogs, |i| {
            json!({"data": {"user": "faulty", "pid": 2, "p_name": "p",
                   "post_time": "2026-01-03T12:00:00+00:00", "logs": [
                {"level": "info", "msg": format!("small {i}"), "event_at": "2026-01-03T12:00:00+00:00", "p_description": "d"}
            ]}})
        }),
    )
    .await;
    out.lines(
        &w,
        "SendLogs (60 lines)",
        sweep(&w, Op::SendLogs, |i| {
            let logs: Vec<Value> = (0..60)
                .map(|h| {
                    json!({"level": "info", "msg": format!("line {h} of batch {i}"),
                           "event_at": format!("2026-01-0{}T{:02}:00:00+00:00", 1 + h / 24, h % 24),
                           "p_description": "d"})
                })
                .collect();
            json!({"data": {"user": "faulty", "pid": 1, "p_name": "p",
                           "post_time": "2026-01-03T12:00:00+00:00", "logs": logs}})
        }),
    )
    .await;

    out.lines(&w, "hung endpoints", Box::pin(hung_endpoints(&w)))
        .await;

    // Only SQS down (DynamoDB up): the stored send is taken back before the 5xx.
    out.lines(
        &w,
        "Send with only SQS down",
        Box::pin(async {
            let before = w.snapshot().await;
            w.proxy.fail_ops(&["SendMessage"]);
            let body = json!({"user_name": "u", "contact": ["c0"], "message": "queue down"});
            let (status, reply) = w.call(Op::Send, body.clone()).await;
            w.proxy.up();
            assert!(is_outage_answer(status, &reply), "{status} {reply}");
            assert_eq!(delta(&before, &w.snapshot().await), BTreeMap::new());
            let (status, reply) = w.call(Op::Send, body).await;
            assert_eq!(status, 200, "{reply}");
            vec!["Send with only SQS down: 503, nothing stored; retry 200".to_owned()]
        }),
    )
    .await;

    // Every route of the table was swept (and the table covers template.yaml's write routes:
    // `every_write_route_of_the_template_is_in_the_sweep`).
    let swept = w.swept.lock().unwrap().clone();
    let unswept: Vec<Op> = Op::ALL
        .into_iter()
        .filter(|op| !swept.contains(op))
        .collect();
    if !unswept.is_empty() {
        out.failures
            .push(format!("operations of the table never swept: {unswept:?}"));
    }
    out.report
        .push(format!("whole sweep: {:.1?}", t0.elapsed()));
    eprintln!("{}", out.report.join("\n"));
    assert!(
        out.failures.is_empty(),
        "{} of the sweep's steps failed:\n{}",
        out.failures.len(),
        out.failures.join("\n")
    );
}

/// Fresh objects per sweep of a route that changes or removes one: more than any route's
/// AWS calls + 3 (the requests of its sweep).
const POOL: usize = 12;

/// The `i`-th fresh object of a pool.
fn pooled(pool: &[String], i: usize) -> &str {
    pool.get(i).unwrap_or_else(|| {
        panic!(
            "request {i} of a sweep, but only {} fresh objects: raise POOL",
            pool.len()
        )
    })
}

/// The real moto_server process stops (SIGSTOP) while a client is using the stack.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_moto_gives_bounded_5xx_and_work_resumes_when_it_returns() {
    let own = moto::OwnMoto::start().unwrap();
    let sdk = moto::sdk_config(&own.url).await;
    let tpl = template();
    let params = BTreeMap::from([(
        "AdminTokenSha256".to_owned(),
        sha256_hex(ADMIN_TOKEN.as_bytes()),
    )]);
    let stack = provision::provision(&tpl, &sdk, "stop", &params)
        .await
        .unwrap();
    // The production client settings (time limits included), pointed at this moto.
    let sdk = sdk
        .into_builder()
        .timeout_config(lookout_core::aws::timeouts())
        .build();
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let keys = lookout_keys::ApiKeys::new(ddb.clone(), stack.table("ApiKeysTable").unwrap());
    // The handler signs as start-session's own role, with the production time limits.
    let role_ddb = aws_sdk_dynamodb::Client::new(
        &moto::function_config(&own.url, "start-session")
            .await
            .expect("the function's local IAM role"),
    );
    let tracker = lookout_tracker::Deps {
        store: lookout_tracker::TrackerStore::new(
            role_ddb.clone(),
            stack.table("TrackerTable").unwrap(),
            Some(90),
        ),
        keys: lookout_keys::ApiKeys::new(role_ddb, stack.table("ApiKeysTable").unwrap()),
    };
    let key = keys
        .issue(&lookout_core::auth::Tenant::parse("acme").unwrap(), "t")
        .await
        .unwrap()
        .api_key;
    let start = |i: usize| {
        http_request(
            "POST",
            "/start_session",
            &[],
            &[("x-api-key", &key)],
            &json!({"userId": format!("u{i}"), "machineId": "m", "startAt": "2026-01-01T00:00:00Z"})
                .to_string(),
        )
    };
    let sessions = || async {
        ddb.scan()
            .table_name(stack.table("TrackerTable").unwrap())
            .send()
            .await
            .unwrap()
            .count
    };
    let (s, b) = status_body(start_session::handle(&tracker, start(0)).await);
    assert_eq!(s, 200, "{b}");
    let before = sessions().await;

    let pid = own.pid().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-STOP", &pid])
        .status()
        .unwrap()
        .success());
    let t0 = Instant::now();
    let (s, b) = status_body(start_session::handle(&tracker, start(1)).await);
    let waited = t0.elapsed();
    assert!(std::process::Command::new("kill")
        .args(["-CONT", &pid])
        .status()
        .unwrap()
        .success());
    assert!(is_outage_answer(s, &b), "{s} {b}");
    assert!(
        waited < lookout_core::aws::OPERATION_TIMEOUT + Duration::from_secs(1),
        "a stopped moto held the request for {waited:?}"
    );

    // Resumed: the same client works again, and the timed-out attempt wrote nothing.
    let (s, b) = status_body(start_session::handle(&tracker, start(1)).await);
    assert_eq!(s, 200, "{b}");
    assert_eq!(sessions().await, before + 1);
    eprintln!("moto stopped: 5xx after {waited:?}; resumed: 200");
}
