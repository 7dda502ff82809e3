//! The credential sweep's table: every route of template.yaml, which credential it takes and how
//! to call it with an input that is valid but for the credentials, so that they are the only
//! thing wrong. [`uncovered`] compares the table with template.yaml's routes: a route added to
//! the template and not to the table (or to [`EXEMPT`], with the reason) fails the sweep.

use std::collections::BTreeSet;

use lambda_http::{Body, Request, Response};
use lookout_core::auth::{sha256_hex, AdminAuth, Tenant};
use lookout_core::time::system_clock;
use lookout_heartbeats::HeartbeatStore;
use lookout_incidents::IncidentStore;
use lookout_mail::{AdminMail, Mailer};
use lookout_messenger::BroadcastStore;
use lookout_tests::support::{http_request, template, ADMIN_TOKEN};
use serde_json::{json, Value};

use crate::fixture::{valid_incident, valid_logs, Fixture, APP, LOG_USER, MACHINE, MSG_USER};
use Credential::{Admin, ApiKey, AppCode, LogReader, LogToken, OtlpToken};

/// What a route takes as credentials, and so how it refuses others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// An API key (`X-Api-Key`, `Authorization: Bearer`, or Basic): anything else is a 401.
    ApiKey,
    /// The admin token (`Authorization: Bearer`): anything else is a 401.
    Admin,
    /// Seed 000's `X-User-Token` of the batch's user: anything else is the seed's 403.
    LogToken,
    /// A log user's `X-User-Token`, or the admin token: none is a 401, a wrong token a 403.
    LogReader,
    /// An app's name and code in the body (seed 001): anything else is one 403 (the seed's
    /// route: its server's 400).
    AppCode,
    /// OTLP's `X-User-Token` alone (no user in the body): anything else is a 401 with a
    /// `google.rpc.Status` of code 16 (unauthenticated).
    OtlpToken,
}

/// A route of template.yaml as the sweep calls it.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// The function (its `Handler` in template.yaml).
    pub function: &'static str,
    /// The route as template.yaml has it.
    pub method: &'static str,
    pub route: &'static str,
    pub credential: Credential,
}

const fn r(
    function: &'static str,
    method: &'static str,
    route: &'static str,
    credential: Credential,
) -> Route {
    Route {
        function,
        method,
        route,
        credential,
    }
}

/// Every route the credential sweep calls.
pub const ROUTES: &[Route] = &[
    // tracker (seed 004)
    r("start-session", "POST", "/start_session", ApiKey),
    r("add-event", "POST", "/add_event", ApiKey),
    r("end-session", "POST", "/end_session", ApiKey),
    r("get-session", "POST", "/get_session", ApiKey),
    r("get-machine-events", "POST", "/get_machine_events", ApiKey),
    // heartbeats (seed 002): the seed's `POST /api/apps/` reaches the heartbeat as `$default`
    r("record-heartbeat", "POST", "/api/apps", ApiKey),
    r("serve-fallback", "ANY", "$default", ApiKey),
    r("record-signal", "POST", "/api/apps/{signal}", ApiKey),
    // messenger (seed 003)
    r("create-contacts", "POST", "/api/contacts", ApiKey),
    r("delete-contacts", "DELETE", "/api/contacts", ApiKey),
    r("list-contacts", "GET", "/api/contacts", ApiKey),
    r("send-messages", "PUT", "/api/contacts", ApiKey),
    r(
        "list-failed-messages",
        "GET",
        "/api/get_failed_mess",
        ApiKey,
    ),
    // admin
    r("admin-issue-api-key", "POST", "/admin/api_keys", Admin),
    r("admin-list-api-keys", "GET", "/admin/api_keys", Admin),
    r("admin-revoke-api-key", "DELETE", "/admin/api_keys", Admin),
    r("admin-get-overview", "GET", "/admin/overview", Admin),
    r("admin-issue-ping-key", "POST", "/admin/ping_keys", Admin),
    r(
        "admin-get-ping-output",
        "GET",
        "/admin/heartbeat_apps/output",
        Admin,
    ),
    r(
        "admin-update-heartbeat-app",
        "POST",
        "/admin/heartbeat_apps",
        Admin,
    ),
    r(
        "admin-list-heartbeat-apps",
        "GET",
        "/admin/heartbeat_apps",
        Admin,
    ),
    r("admin-issue-log-token", "POST", "/admin/log_users", Admin),
    r(
        "admin-create-alert-channel",
        "POST",
        "/admin/alert_channels",
        Admin,
    ),
    r(
        "admin-list-alert-channels",
        "GET",
        "/admin/alert_channels",
        Admin,
    ),
    r(
        "admin-delete-alert-channel",
        "DELETE",
        "/admin/alert_channels",
        Admin,
    ),
    r(
        "admin-send-test-alert",
        "POST",
        "/admin/alert_channels/test",
        Admin,
    ),
    r(
        "admin-get-alert-routes",
        "GET",
        "/admin/alert_routes",
        Admin,
    ),
    r(
        "admin-update-alert-routes",
        "PUT",
        "/admin/alert_routes",
        Admin,
    ),
    r(
        "admin-list-failed-alerts",
        "GET",
        "/admin/alert_failures",
        Admin,
    ),
    r("admin-register-app", "POST", "/admin/apps", Admin),
    r("admin-list-apps", "GET", "/admin/apps", Admin),
    r("admin-update-app", "PUT", "/admin/apps", Admin),
    r("admin-delete-app", "DELETE", "/admin/apps", Admin),
    r("admin-list-incidents", "GET", "/admin/incidents", Admin),
    r("admin-get-incident", "GET", "/admin/incident", Admin),
    r("admin-update-incident", "PATCH", "/admin/incident", Admin),
    // logs (seed 000)
    r("send-logs", "POST", "/send_logs", LogToken),
    r("query-logs", "GET", "/logs", LogReader),
    r("record-otlp-logs", "POST", "/v1/logs", OtlpToken),
    // incidents (seed 001)
    r("report-incident", "POST", "/incidents", AppCode),
    r("report-incident", "POST", "/v1/incidents/new", AppCode),
];

/// Why the Healthchecks ping URLs take no credential headers.
const PING_URL: &str =
    "Healthchecks' ping URLs: the check UUID, or the tenant's ping key (an API key \
     of the `ping` scope alone), in the path is the credential, as Healthchecks has it; an \
     unknown UUID or key is a 404 that stores nothing (tests/heartbeats/pings.rs)";

/// Why the alerts' acknowledgement links take no credential headers.
const ACK_LINK: &str = "the signed, expiring token in the path is the credential (HMAC under \
     the stack's AlertsSecret, naming one incident): a link in a Slack or Discord message or a \
     mail, opened by whoever is on call; a token that does not verify is a 404 that reads and \
     writes nothing (tests/heartbeats/alerts.rs, lookout-alerts unit tests)";

/// Routes of template.yaml that take no credentials, each with the reason.
pub const EXEMPT: &[(&str, &str, &str, &str)] = &[
    (
        "serve-console",
        "GET",
        "/console",
        "public: the console's page, the same for everyone; the browser then calls the admin \
         routes (swept) with the token the admin types in",
    ),
    (
        "serve-console",
        "GET",
        "/console/{asset}",
        "public: the console's static assets",
    ),
    (
        "serve-openapi",
        "GET",
        "/openapi.json",
        "public: the API's description",
    ),
    ("record-alert-ack", "GET", "/ack/{token}", ACK_LINK),
    ("record-alert-ack", "POST", "/ack/{token}", ACK_LINK),
    (
        "record-alert-ack",
        "POST",
        "/ack/telegram/{tenant}",
        "Telegram's webhook call: the credential is the tenant's secret token in \
         X-Telegram-Bot-Api-Secret-Token (HMAC under the stack's AlertsSecret, told to the bot at \
         setWebhook), and each button's data is signed for its tenant; without the token it is a \
         401 that reads and writes nothing (tests/heartbeats/alerts.rs, lookout-alerts unit tests)",
    ),
    ("record-ping", "GET", "/ping/{proxy+}", PING_URL),
    ("record-ping", "HEAD", "/ping/{proxy+}", PING_URL),
    ("record-ping", "POST", "/ping/{proxy+}", PING_URL),
    ("record-ping", "PUT", "/ping/{proxy+}", PING_URL),
    (
        "get-badge",
        "GET",
        "/badge/{token}",
        "public by design: the unguessable badge token in the path is the credential \
         (tests/heartbeats)",
    ),
];

/// (function, method, route) of a table's routes.
type RouteId = (String, String, String);

fn id(function: &str, method: &str, route: &str) -> RouteId {
    (function.to_owned(), method.to_owned(), route.to_owned())
}

/// The routes of template.yaml neither swept nor exempt (first), and the table's routes that
/// template.yaml lacks (second).
pub fn uncovered(routes: &[Route]) -> (BTreeSet<RouteId>, BTreeSet<RouteId>) {
    let template: BTreeSet<RouteId> = template()
        .functions()
        .unwrap()
        .into_iter()
        .flat_map(|f| {
            f.routes
                .into_iter()
                .map(move |r| id(&f.binary, &r.method, &r.path))
        })
        .collect();
    let table: BTreeSet<RouteId> = routes
        .iter()
        .map(|r| id(r.function, r.method, r.route))
        .chain(EXEMPT.iter().map(|(f, m, r, _)| id(f, m, r)))
        .collect();
    (
        template.difference(&table).cloned().collect(),
        table.difference(&template).cloned().collect(),
    )
}

/// Fails when template.yaml has a route the table lacks, or the other way round.
pub fn assert_table_is_the_template() {
    let (missing, extra) = uncovered(ROUTES);
    assert!(
        missing.is_empty(),
        "routes of template.yaml the credential sweep does not call: {missing:?} (add them to \
         tests/tests/tenancy/routes.rs ROUTES, with a valid input in `Handlers::request`, or to \
         EXEMPT with the reason)"
    );
    assert!(
        extra.is_empty(),
        "routes of the credential sweep that template.yaml lacks: {extra:?}"
    );
}

/// A request to one route, valid but for its credentials.
pub struct Call {
    pub method: &'static str,
    pub path: &'static str,
    pub query: Vec<(&'static str, String)>,
    pub body: Value,
}

/// The functions the fuzz fixture does not build, and the objects their requests name.
#[allow(missing_debug_implementations)] // Deps of the functions have no Debug in common
pub struct Handlers {
    fx: &'static Fixture,
    list_keys: admin_list_api_keys::Deps,
    revoke_key: admin_revoke_api_key::Deps,
    overview: admin_get_overview::Deps,
    signal: record_signal::Deps,
    issue_ping_key: admin_issue_ping_key::Deps,
    otlp: record_otlp_logs::Deps,
    ping_output: admin_get_ping_output::Deps,
    alert_channels: lookout_alerts::ChannelDeps,
    alert_deps: std::collections::BTreeMap<&'static str, lookout_alerts::AlertAdminDeps>,
    /// A channel of tenant `acme` the delete and test requests name.
    channel_id: String,
    /// A key of tenant `acme` the revoke request names (a real one: were the admin check
    /// gone, the request would revoke it).
    pub doomed_key_id: String,
}

impl Handlers {
    /// Builds the missing functions over `fx`'s stack, each signed as its own role.
    pub async fn new(fx: &'static Fixture) -> Self {
        let app = &fx.app;
        let table = |id: &str| app.stack.table(id).unwrap().to_owned();
        let admin = AdminAuth::from_sha256_hex(&sha256_hex(ADMIN_TOKEN.as_bytes())).unwrap();
        let admin_for_pings = admin.clone();
        let overview_ddb = app.ddb_for("admin-get-overview").await;
        let signal_sdk = app.sdk_for("record-signal").await;
        let alerts_for = |function: &'static str| {
            let admin = admin.clone();
            let table = table("AlertsTable");
            async move {
                lookout_alerts::AlertAdminDeps {
                    admin,
                    store: lookout_alerts::DynamoAlerts::new(app.ddb_for(function).await, table),
                    clock: system_clock(),
                }
            }
        };
        let alert_channels = lookout_alerts::ChannelDeps {
            base: alerts_for("admin-create-alert-channel").await,
            sealer: lookout_alerts::Sealer::from_secret("tenancy sweep sealing key, 32+ chars"),
            sender: lookout_alerts::WebhookSender::new(lookout_webhooks::Policy::default()),
            console_url: None,
        };
        let mut alert_deps = std::collections::BTreeMap::new();
        for f in [
            "admin-list-alert-channels",
            "admin-delete-alert-channel",
            "admin-get-alert-routes",
            "admin-update-alert-routes",
            "admin-list-failed-alerts",
        ] {
            alert_deps.insert(f, alerts_for(f).await);
        }
        let channel = lookout_alerts::create_channel(
            &lookout_alerts::DynamoAlerts::new(app.ddb.clone(), table("AlertsTable")),
            &alert_channels.sealer,
            &Tenant::parse("acme").unwrap(),
            &lookout_alerts::NewChannel::parse(
                "webhook",
                "deleted if the admin check were gone",
                "https://example.com/hook",
                lookout_webhooks::Policy::default(),
            )
            .unwrap(),
            lookout_alerts::ChannelSetup {
                sender: &alert_channels.sender,
                origin: None,
                public_base: "https://example.com",
            },
            lookout_core::time::Timestamp::now(),
        )
        .await
        .unwrap();
        let doomed = app
            .keys
            .issue(
                &Tenant::parse("acme").unwrap(),
                "revoked if the admin check were gone",
            )
            .await
            .unwrap();
        Self {
            fx,
            list_keys: admin_list_api_keys::Deps {
                admin: admin.clone(),
                keys: app.keys_for("admin-list-api-keys").await,
                clock: system_clock(),
            },
            revoke_key: admin_revoke_api_key::Deps {
                admin: admin.clone(),
                keys: app.keys_for("admin-revoke-api-key").await,
                clock: system_clock(),
            },
            overview: admin_get_overview::Deps {
                admin,
                heartbeats: HeartbeatStore::new(overview_ddb.clone(), table("HeartbeatTable")),
                incidents: IncidentStore::new(overview_ddb.clone(), table("IncidentsTable")),
                messenger: BroadcastStore::new(overview_ddb, table("MessengerTable"), 30),
                clock: system_clock(),
            },
            signal: record_signal::Deps {
                keys: app.keys_for("record-signal").await,
                store: HeartbeatStore::new(
                    aws_sdk_dynamodb::Client::new(&signal_sdk),
                    table("HeartbeatTable"),
                ),
                mail: AdminMail::new(
                    Mailer::from_sdk(&signal_sdk, app.stack.params["SenderEmail"].clone()),
                    format!("admin-{}@lookout.example.com", app.stack.prefix),
                ),
                events: None,
                clock: system_clock(),
            },
            issue_ping_key: admin_issue_ping_key::Deps {
                admin: admin_for_pings.clone(),
                keys: app.keys_for("admin-issue-ping-key").await,
                clock: system_clock(),
                public_url: None,
            },
            otlp: record_otlp_logs::Deps {
                store: lookout_logs::LogStore::new(
                    app.ddb_for("record-otlp-logs").await,
                    table("LogUsersTable"),
                    table("LogsTable"),
                    30,
                ),
                quotas: lookout_core::quota::Quotas::default(),
                clock: system_clock(),
            },
            ping_output: admin_get_ping_output::Deps {
                admin: admin_for_pings,
                store: HeartbeatStore::new(
                    app.ddb_for("admin-get-ping-output").await,
                    table("HeartbeatTable"),
                ),
            },
            alert_channels,
            alert_deps,
            channel_id: channel.channel.id,
            doomed_key_id: doomed.key_id,
        }
    }

    /// A request to `route` that would succeed with the right credentials.
    pub fn request(&self, route: &Route) -> Call {
        let fx = self.fx;
        let sid = fx.session_id.as_str();
        let call = |path: &'static str, body: Value| Call {
            method: route.method,
            path,
            query: vec![],
            body,
        };
        let get = |path: &'static str, query: &[(&'static str, &str)]| Call {
            method: "GET",
            path,
            query: query.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
            body: Value::Null,
        };
        match (route.function, route.route) {
            ("start-session", _) => call(
                "/start_session",
                json!({"userId": "u", "machineId": "m", "startAt": "2023-02-02 16:22:15"}),
            ),
            ("add-event", _) => call(
                "/add_event",
                json!({"sessionId": sid, "events": [{"eventAt": "2023-02-09 01:08:55", "eventType": "exe"}]}),
            ),
            ("end-session", _) => call(
                "/end_session",
                json!({"sessionId": sid, "endAt": "2023-02-10 00:00:00"}),
            ),
            ("get-session", _) => call("/get_session", json!({"sessionId": sid})),
            ("get-machine-events", _) => call("/get_machine_events", json!({"machineId": MACHINE})),
            ("serve-fallback", _) => Call {
                method: "POST",
                ..call("/api/apps/", json!({"app_id": 23, "message": "OK"}))
            },
            ("record-heartbeat", _) => call("/api/apps", json!({"app_id": 23, "message": "OK"})),
            ("record-signal", _) => call(
                "/api/apps/start",
                json!({"app_id": "backup", "run_id": "r-1"}),
            ),
            ("create-contacts", _) => call(
                "/api/contacts",
                json!({"user_name": MSG_USER, "contact": {"name": "zed", "messangers": {"telegram": "12345"}}}),
            ),
            ("delete-contacts", _) => call(
                "/api/contacts",
                json!({"user_name": MSG_USER, "contact": "bob"}),
            ),
            ("list-contacts", _) => get("/api/contacts", &[("user_name", MSG_USER)]),
            ("send-messages", _) => call(
                "/api/contacts",
                json!({"user_name": MSG_USER, "contact": ["bob"], "message": "hi"}),
            ),
            ("list-failed-messages", _) => get("/api/get_failed_mess", &[("user_name", MSG_USER)]),
            ("admin-issue-api-key", _) => call("/admin/api_keys", json!({"tenant": "mallory"})),
            ("admin-list-api-keys", _) => get("/admin/api_keys", &[("tenant", "acme")]),
            ("admin-revoke-api-key", _) => call(
                "/admin/api_keys",
                json!({"tenant": "acme", "key_id": self.doomed_key_id}),
            ),
            ("admin-get-overview", _) => get("/admin/overview", &[]),
            ("admin-issue-ping-key", _) => call("/admin/ping_keys", json!({"tenant": "mallory"})),
            ("admin-get-ping-output", _) => get(
                "/admin/heartbeat_apps/output",
                &[
                    ("tenant", "acme"),
                    ("app_id", "23"),
                    ("output", "0123456789abcdef0123456789abcdef"),
                ],
            ),
            ("admin-update-heartbeat-app", _) => call(
                "/admin/heartbeat_apps",
                json!({"tenant": "acme", "app_id": 23, "action": "retire"}),
            ),
            ("admin-list-heartbeat-apps", _) => get("/admin/heartbeat_apps", &[("tenant", "acme")]),
            ("admin-create-alert-channel", _) => call(
                "/admin/alert_channels",
                json!({"tenant": "mallory", "kind": "webhook", "name": "m", "url": "https://example.com/m"}),
            ),
            ("admin-list-alert-channels", _) => get("/admin/alert_channels", &[("tenant", "acme")]),
            ("admin-delete-alert-channel", _) => call(
                "/admin/alert_channels",
                json!({"tenant": "acme", "id": self.channel_id}),
            ),
            ("admin-send-test-alert", _) => call(
                "/admin/alert_channels/test",
                json!({"tenant": "acme", "id": self.channel_id}),
            ),
            ("admin-get-alert-routes", _) => get("/admin/alert_routes", &[("tenant", "acme")]),
            ("admin-update-alert-routes", _) => call(
                "/admin/alert_routes",
                json!({"tenant": "acme", "default": [self.channel_id]}),
            ),
            ("admin-list-failed-alerts", _) => get("/admin/alert_failures", &[("tenant", "acme")]),
            ("admin-issue-log-token", _) => call(
                "/admin/log_users",
                json!({"user": LOG_USER, "rotate": true}),
            ),
            ("admin-register-app", _) => call("/admin/apps", json!({"name": "MalloryApp"})),
            ("admin-list-apps", _) => get("/admin/apps", &[]),
            ("admin-update-app", _) => {
                call("/admin/apps", json!({"name": APP, "rotate_code": true}))
            }
            ("admin-delete-app", _) => call("/admin/apps", json!({"name": APP})),
            ("admin-list-incidents", _) => get("/admin/incidents", &[]),
            ("admin-get-incident", _) => get("/admin/incident", &[("id", &fx.incident_id)]),
            ("admin-update-incident", _) => call(
                "/admin/incident",
                json!({"id": fx.incident_id, "status": "resolved"}),
            ),
            ("send-logs", _) => call("/send_logs", valid_logs()),
            ("query-logs", _) => get("/logs", &[("user", LOG_USER)]),
            ("record-otlp-logs", _) => call(
                "/v1/logs",
                json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [
                    {"severityNumber": 9, "body": {"stringValue": "tenancy sweep"}}
                ]}]}]}),
            ),
            ("report-incident", "/v1/incidents/new") => {
                call("/v1/incidents/new", valid_incident(&fx.code))
            }
            ("report-incident", _) => call("/incidents", valid_incident(&fx.code)),
            (function, path) => panic!(
                "no request for {function} {path}: give it a valid input here (ROUTES has it)"
            ),
        }
    }

    /// Calls `route`'s function with `body` (instead of the call's, when given) and `headers`;
    /// the status and the JSON body.
    pub async fn call(
        &self,
        route: &Route,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> (u16, Value) {
        let c = self.request(route);
        let query: Vec<(&str, &str)> = c.query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let body = match body.unwrap_or(&c.body) {
            Value::Null => String::new(),
            b => b.to_string(),
        };
        let req = http_request(c.method, c.path, &query, headers, &body);
        // Boxed: the handlers' futures are large, and debug builds keep them on the test's stack.
        lookout_tests::support::read(Box::pin(self.dispatch(route.function, req)).await)
    }

    async fn dispatch(
        &self,
        function: &str,
        req: Request,
    ) -> Result<Response<Body>, lambda_http::Error> {
        match function {
            "admin-list-api-keys" => admin_list_api_keys::handle(&self.list_keys, req).await,
            "admin-revoke-api-key" => admin_revoke_api_key::handle(&self.revoke_key, req).await,
            "admin-get-overview" => admin_get_overview::handle(&self.overview, req).await,
            "record-signal" => record_signal::handle(&self.signal, req).await,
            "record-otlp-logs" => record_otlp_logs::handle(&self.otlp, req).await,
            "admin-issue-ping-key" => admin_issue_ping_key::handle(&self.issue_ping_key, req).await,
            "admin-get-ping-output" => admin_get_ping_output::handle(&self.ping_output, req).await,
            "admin-create-alert-channel" => {
                admin_create_alert_channel::handle(&self.alert_channels, req).await
            }
            "admin-send-test-alert" => {
                admin_send_test_alert::handle(&self.alert_channels, req).await
            }
            f if self.alert_deps.contains_key(f) => {
                let deps = &self.alert_deps[f];
                match f {
                    "admin-list-alert-channels" => {
                        admin_list_alert_channels::handle(deps, req).await
                    }
                    "admin-delete-alert-channel" => {
                        admin_delete_alert_channel::handle(deps, req).await
                    }
                    "admin-get-alert-routes" => admin_get_alert_routes::handle(deps, req).await,
                    "admin-update-alert-routes" => {
                        admin_update_alert_routes::handle(deps, req).await
                    }
                    _ => admin_list_failed_alerts::handle(deps, req).await,
                }
            }
            other => self.fx.call(other, req).await,
        }
    }
}

/// The table's routes that take `credential`.
pub fn taking(credential: Credential) -> impl Iterator<Item = &'static Route> {
    ROUTES.iter().filter(move |r| r.credential == credential)
}

#[test]
fn every_route_of_the_template_is_in_the_credential_sweep() {
    assert_table_is_the_template();
    let (missing, _) = uncovered(&ROUTES[1..]);
    assert!(
        missing.contains(&id(ROUTES[0].function, ROUTES[0].method, ROUTES[0].route)),
        "a route left out of the table is found missing"
    );
}
