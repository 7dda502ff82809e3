//! One representative, valid, authenticated request per function of template.yaml, the
//! fixtures it needs (created through the shared stores, straight against moto), the Lambda
//! event that carries it and the answer it must get.
//!
//! Requests that consume what they act on (ending a session, deleting an app or a contact,
//! delivering a message) get a fresh fixture per call, so a warm process can be invoked any
//! number of times and every invocation does the same work.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, ensure, Context, Result};
use lookout_core::auth::{ApiKeys, Tenant};
use lookout_core::time::Timestamp;
use lookout_dev::provision::{Stack, LOCAL_ACCOUNT};
use lookout_dev::template::Function;
use lookout_heartbeats::{HeartbeatIn, HeartbeatStore};
use lookout_incidents::{AppIn, Enrichment, IncidentStore, NewIncident};
use lookout_logs::{self as logs, LogStore, SendLogs};
use lookout_messenger::{BroadcastStore, ContactName, CreateContacts, Job, UserName};
use lookout_tracker::{AddEvents, StartSession, TrackerStore};
use serde_json::{json, Value};

pub const TENANT: &str = "bench";
const MACHINE: &str = "bench-machine";
const LOG_USER: &str = "bench-logger";
const MSG_USER: &str = "ann";
const HEARTBEAT_APP: &str = "42";

/// Endpoint families (README's parts), for baselines and the cost model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    Tracker,
    Logs,
    Incidents,
    Heartbeats,
    Messenger,
    Admin,
    Console,
}

impl Family {
    pub const ALL: [Self; 7] = [
        Self::Tracker,
        Self::Logs,
        Self::Incidents,
        Self::Heartbeats,
        Self::Messenger,
        Self::Admin,
        Self::Console,
    ];

    pub fn of(binary: &str) -> Option<Self> {
        Some(match binary {
            "start-session" | "add-event" | "end-session" | "get-session"
            | "get-machine-events" => Self::Tracker,
            "send-logs" | "query-logs" | "admin-log-users" => Self::Logs,
            "report-incident" | "register-app" | "update-app" | "delete-app" | "list-apps"
            | "list-incidents" | "get-incident" | "update-incident" | "app-incidents" => {
                Self::Incidents
            }
            "heartbeat"
            | "heartbeat-signal"
            | "heartbeat-badge"
            | "admin-heartbeat-apps"
            | "admin-list-heartbeat-apps"
            | "silent-app-scanner" => Self::Heartbeats,
            "contacts-create" | "contacts-delete" | "contacts-list" | "contacts-send"
            | "get-failed-mess" | "messenger-deliver" => Self::Messenger,
            "admin-api-keys"
            | "admin-list-api-keys"
            | "admin-revoke-api-key"
            | "admin-overview" => Self::Admin,
            "console" | "openapi" => Self::Console,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Tracker => "tracker",
            Self::Logs => "logs",
            Self::Incidents => "incidents",
            Self::Heartbeats => "heartbeats",
            Self::Messenger => "messenger",
            Self::Admin => "admin",
            Self::Console => "console",
        }
    }

    /// The family's representative operation: the function its Python baseline mirrors and
    /// the cost model prices.
    pub fn representative(self) -> &'static str {
        match self {
            Self::Tracker => "start-session",
            Self::Logs => "send-logs",
            Self::Incidents => "report-incident",
            Self::Heartbeats => "heartbeat",
            Self::Messenger => "contacts-create",
            Self::Admin => "admin-api-keys",
            Self::Console => "console",
        }
    }
}

/// What a Lambda is invoked with.
#[derive(Debug, Clone)]
pub enum Request {
    /// An API Gateway HTTP API (payload v2) request.
    Http {
        method: String,
        path: String,
        query: Vec<(String, String)>,
        headers: Vec<(String, String)>,
        body: Option<String>,
    },
    /// An SQS event source batch.
    Sqs {
        queue_arn: String,
        bodies: Vec<String>,
    },
    /// The EventBridge "Scheduled Event".
    Scheduled { time: String },
}

/// The answer a call must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Status(u16),
    /// An `SqsBatchResponse` without failures.
    NoBatchFailures,
    /// Any JSON object that is not an error.
    Object,
}

#[derive(Debug, Clone)]
pub struct Call {
    pub request: Request,
    pub expect: Expect,
}

impl Call {
    /// `POST /start_session` style label.
    pub fn label(&self) -> String {
        match &self.request {
            Request::Http { method, path, .. } => format!("{method} {path}"),
            Request::Sqs { bodies, .. } => format!("SQS batch of {}", bodies.len()),
            Request::Scheduled { .. } => "Scheduled Event".into(),
        }
    }

    /// The event JSON Lambda would hand the function.
    pub fn event(&self) -> Value {
        match &self.request {
            Request::Http {
                method,
                path,
                query,
                headers,
                body,
            } => {
                let headers: serde_json::Map<String, Value> = headers
                    .iter()
                    .map(|(k, v)| (k.to_lowercase(), json!(v)))
                    .chain([
                        ("content-type".to_owned(), json!("application/json")),
                        ("user-agent".to_owned(), json!("lookout-bench")),
                    ])
                    .collect();
                let raw_query = query
                    .iter()
                    .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                let route = format!("{method} {path}");
                let mut ev = json!({
                    "version": "2.0",
                    "routeKey": route,
                    "rawPath": path,
                    "rawQueryString": raw_query,
                    "headers": headers,
                    "requestContext": {
                        "accountId": LOCAL_ACCOUNT,
                        "apiId": "local",
                        "domainName": "local",
                        "domainPrefix": "local",
                        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "lookout-bench"},
                        "requestId": uuid::Uuid::new_v4().to_string(),
                        "routeKey": route,
                        "stage": "$default",
                        "time": "01/Jan/2026:00:00:00 +0000",
                        "timeEpoch": 1_767_225_600_000_u64
                    },
                    "isBase64Encoded": false
                });
                if !query.is_empty() {
                    let params: serde_json::Map<String, Value> =
                        query.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                    ev["queryStringParameters"] = Value::Object(params);
                }
                if let Some(b) = body {
                    ev["body"] = json!(b);
                }
                ev
            }
            Request::Sqs { queue_arn, bodies } => {
                let records: Vec<Value> = bodies
                    .iter()
                    .map(|b| {
                        json!({
                            "messageId": uuid::Uuid::new_v4().to_string(),
                            "receiptHandle": format!("bench-{}", uuid::Uuid::new_v4().simple()),
                            "body": b,
                            "attributes": {
                                "ApproximateReceiveCount": "1",
                                "SentTimestamp": "1767225600000",
                                "SenderId": LOCAL_ACCOUNT,
                                "ApproximateFirstReceiveTimestamp": "1767225600000"
                            },
                            "messageAttributes": {},
                            "md5OfBody": "",
                            "eventSource": "aws:sqs",
                            "eventSourceARN": queue_arn,
                            "awsRegion": lookout_dev::moto::REGION
                        })
                    })
                    .collect();
                json!({ "Records": records })
            }
            Request::Scheduled { time } => json!({
                "version": "0",
                "id": uuid::Uuid::new_v4().to_string(),
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": LOCAL_ACCOUNT,
                "time": time,
                "region": lookout_dev::moto::REGION,
                "resources": [],
                "detail": {},
            }),
        }
    }

    /// Fails unless `response` (what the function posted to the Runtime API) is the expected
    /// answer.
    pub fn check(&self, response: &Value) -> Result<()> {
        let short = || {
            let t = response.to_string();
            t.chars().take(400).collect::<String>()
        };
        match self.expect {
            Expect::Status(want) => {
                let got = response.get("statusCode").and_then(Value::as_u64);
                ensure!(
                    got == Some(u64::from(want)),
                    "{} answered {got:?}, expected {want}: {}",
                    self.label(),
                    short()
                );
            }
            Expect::NoBatchFailures => {
                let failures = response
                    .get("batchItemFailures")
                    .and_then(Value::as_array)
                    .ok_or_else(|| anyhow!("not an SqsBatchResponse: {}", short()))?;
                ensure!(failures.is_empty(), "batch item failures: {}", short());
            }
            Expect::Object => {
                ensure!(
                    response.is_object() && response.get("errorType").is_none(),
                    "unexpected answer: {}",
                    short()
                );
            }
        }
        Ok(())
    }
}

/// Percent-encoding for query strings (unreserved characters kept).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn now() -> Timestamp {
    Timestamp::now()
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// Everything the requests refer to.
#[derive(Debug)]
pub struct Fixture {
    pub admin_token: String,
    /// The stack's badge signing secret (`BadgeSigningSecret`).
    pub badge_secret: String,
    pub api_key: String,
    pub tenant: Tenant,
    pub tracker: TrackerStore,
    pub session_id: String,
    log_token: String,
    incidents: IncidentStore,
    app_name: String,
    app_code: String,
    incident_id: String,
    broadcast: BroadcastStore,
    queue_arn: String,
    app_events_arn: String,
    keys: ApiKeys,
}

impl Fixture {
    pub async fn setup(
        ddb: &aws_sdk_dynamodb::Client,
        stack: &Stack,
        admin_token: String,
        badge_secret: String,
    ) -> Result<Self> {
        let tenant = Tenant::parse(TENANT).map_err(|e| anyhow!(e))?;
        let keys = ApiKeys::new(ddb.clone(), stack.table("ApiKeysTable")?);
        let api_key = keys
            .issue(&tenant, "bench")
            .await
            .context("issuing the benchmark's API key")?
            .api_key;

        // Tracker: a long-lived session with an event.
        let tracker = TrackerStore::new(ddb.clone(), stack.table("TrackerTable")?, Some(1));
        let session_id = new_session(&tracker, &tenant).await?;
        let events: AddEvents = serde_json::from_value(json!({
            "sessionId": session_id,
            "events": [{"eventAt": "2026-01-01T00:00:30Z", "eventType": "boot", "payload": {"n": 0}}]
        }))?;
        tracker
            .add_events(&tenant, events)
            .await
            .context("adding the fixture's event")?;

        // Logs: a user with a token and one batch of lines.
        let logs = LogStore::new(
            ddb.clone(),
            stack.table("LogUsersTable")?,
            stack.table("LogsTable")?,
            30,
        );
        let user = logs::UserName::parse(LOG_USER).map_err(|e| anyhow!(e))?;
        let issued = logs
            .issue_token(&user, false)
            .await
            .context("creating the log user")?;
        let batch: SendLogs = serde_json::from_value(send_logs_body(20))?;
        logs.store(batch.data, now())
            .await
            .context("storing fixture logs")?;

        // Heartbeats: an app that is up.
        let heartbeats = HeartbeatStore::new(ddb.clone(), stack.table("HeartbeatTable")?);
        let beat: HeartbeatIn =
            serde_json::from_value(json!({"app_id": HEARTBEAT_APP, "message": "OK:200"}))?;
        heartbeats
            .heartbeat(&tenant, &beat, now())
            .await
            .context("registering the heartbeat app")?;

        // Incidents: an app linked to the log user and heartbeat app, one incident.
        let incidents = IncidentStore::new(ddb.clone(), stack.table("IncidentsTable")?);
        let app_name = unique("bench-app");
        let app: AppIn = serde_json::from_value(json!({
            "name": app_name, "description": "benchmark app", "log_user": LOG_USER,
            "heartbeat_tenant": TENANT, "heartbeat_app_id": HEARTBEAT_APP
        }))?;
        let app_code = incidents
            .register_app(app)
            .await
            .context("registering the incident app")?
            .code;
        let first: NewIncident =
            serde_json::from_value(incident_body(&app_name, &app_code, "disk full"))?;
        let (reported, _) = incidents
            .report(&first, now(), || async { Enrichment::default() })
            .await
            .context("reporting the fixture incident")?;

        // Messenger: a contact with a Telegram address.
        let broadcast = BroadcastStore::new(ddb.clone(), stack.table("MessengerTable")?, 30);
        let fx = Self {
            admin_token,
            badge_secret,
            api_key,
            tenant,
            tracker,
            session_id,
            log_token: issued.x_user_token,
            incidents,
            app_name,
            app_code,
            incident_id: reported.id,
            broadcast,
            queue_arn: stack.queue("MessengerQueue")?.arn.clone(),
            app_events_arn: stack.queue("AppEventsQueue")?.arn.clone(),
            keys,
        };
        fx.put_contact("bob").await?;
        Ok(fx)
    }

    async fn put_contact(&self, name: &str) -> Result<()> {
        let input = CreateContacts::from_json(contact_body(name).to_string().as_bytes())
            .map_err(|e| anyhow!("{e}"))?;
        self.broadcast
            .put_contacts(&self.tenant, &input.user_name, &input.contacts, None, now())
            .await
            .context("creating a contact")
    }

    /// A fresh pending delivery (to bob's Telegram address).
    async fn new_delivery(&self) -> Result<String> {
        let user = UserName::parse(MSG_USER).map_err(|e| anyhow!(e))?;
        let bob = ContactName::parse("bob").map_err(|e| anyhow!(e))?;
        let (contacts, _) = self
            .broadcast
            .get_contacts(&self.tenant, &user, std::slice::from_ref(&bob))
            .await
            .context("reading bob")?;
        let addresses = contacts
            .get("bob")
            .cloned()
            .ok_or_else(|| anyhow!("the fixture contact is missing"))?;
        let t = now();
        let (_, _, deliveries) = self
            .broadcast
            .create_send(&self.tenant, &user, &[(bob, addresses)], "bench", t, t)
            .await
            .context("creating a send")?;
        let delivery = deliveries
            .first()
            .ok_or_else(|| anyhow!("a send without deliveries"))?;
        Ok(Job::Deliver {
            delivery_id: delivery.id().map_err(|e| anyhow!("{e}"))?,
        }
        .to_json())
    }

    /// The request for `f`, fresh fixtures included.
    pub async fn call(&self, f: &Function) -> Result<Call> {
        let admin = vec![(
            "authorization".to_owned(),
            format!("Bearer {}", self.admin_token),
        )];
        let key = vec![("x-api-key".to_owned(), self.api_key.clone())];
        let route = f
            .routes
            .iter()
            .find(|r| !r.path.contains('{'))
            .or_else(|| f.routes.first());
        // At `path` (a route with a path variable: the handler reads the raw path).
        let http_at = |path: Option<String>,
                       headers: Vec<(String, String)>,
                       query: Vec<(&str, &str)>,
                       body: Option<Value>,
                       status: u16|
         -> Result<Call> {
            let route = route.ok_or_else(|| anyhow!("{} has no HttpApi route", f.binary))?;
            Ok(Call {
                request: Request::Http {
                    method: route.method.to_uppercase(),
                    path: path.unwrap_or_else(|| route.path.clone()),
                    query: query
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .collect(),
                    headers,
                    body: body.map(|b| b.to_string()),
                },
                expect: Expect::Status(status),
            })
        };
        let http = |headers: Vec<(String, String)>,
                    query: Vec<(&str, &str)>,
                    body: Option<Value>,
                    status: u16| http_at(None, headers, query, body, status);
        match f.binary.as_str() {
            // ---------------------------------------------------------- tracker
            "start-session" => http(
                key,
                vec![],
                Some(
                    json!({"userId": "bench-user", "machineId": MACHINE, "startAt": "2026-01-01T00:00:00Z", "orgId": 1}),
                ),
                200,
            ),
            "add-event" => http(
                key,
                vec![],
                Some(json!({"sessionId": self.session_id, "events": [
                    {"eventAt": "2026-01-01T00:01:00Z", "eventType": "tick", "payload": {"n": 1}}
                ]})),
                200,
            ),
            "end-session" => {
                let sid = new_session(&self.tracker, &self.tenant).await?;
                http(
                    key,
                    vec![],
                    Some(json!({"sessionId": sid, "endAt": "2026-01-01T01:00:00Z"})),
                    200,
                )
            }
            "get-session" => http(
                key,
                vec![],
                Some(json!({"sessionId": self.session_id})),
                200,
            ),
            "get-machine-events" => http(
                key,
                vec![],
                Some(json!({"machineId": MACHINE, "limit": 100})),
                200,
            ),
            // ---------------------------------------------------------- admin
            "admin-api-keys" => http(
                admin,
                vec![],
                Some(json!({"tenant": TENANT, "label": "bench"})),
                201,
            ),
            "console" => http(vec![], vec![], None, 200),
            "openapi" => http(vec![], vec![], None, 200),
            "admin-overview" => http(admin, vec![], None, 200),
            "admin-list-api-keys" => http(admin, vec![("tenant", TENANT)], None, 200),
            "admin-revoke-api-key" => {
                let issued = self
                    .keys
                    .issue(&self.tenant, "to revoke")
                    .await
                    .context("issuing a key to revoke")?;
                http(
                    admin,
                    vec![],
                    Some(json!({"tenant": TENANT, "key_id": issued.key_id})),
                    200,
                )
            }
            // ---------------------------------------------------------- logs
            "send-logs" => http(
                vec![("x-user-token".to_owned(), self.log_token.clone())],
                vec![],
                Some(send_logs_body(20)),
                200,
            ),
            "query-logs" => http(
                vec![("x-user-token".to_owned(), self.log_token.clone())],
                vec![("user", LOG_USER), ("limit", "100")],
                None,
                200,
            ),
            "admin-log-users" => http(
                admin,
                vec![],
                Some(json!({"user": unique("bench-user")})),
                201,
            ),
            // ---------------------------------------------------------- incidents
            "report-incident" => http(
                vec![],
                vec![],
                Some(incident_body(
                    &self.app_name,
                    &self.app_code,
                    &unique("disk full on host"),
                )),
                201,
            ),
            "register-app" => http(
                admin,
                vec![],
                Some(
                    json!({"name": unique("bench-app"), "description": "registered by the benchmark"}),
                ),
                201,
            ),
            "update-app" => http(
                admin,
                vec![],
                Some(json!({"name": self.app_name, "description": unique("updated")})),
                200,
            ),
            "delete-app" => {
                let name = unique("bench-doomed");
                let app: AppIn = serde_json::from_value(json!({ "name": name }))?;
                self.incidents
                    .register_app(app)
                    .await
                    .context("registering an app to delete")?;
                http(admin, vec![], Some(json!({ "name": name })), 200)
            }
            "list-apps" => http(admin, vec![], None, 200),
            "list-incidents" => http(admin, vec![("limit", "50")], None, 200),
            "get-incident" => http(admin, vec![("id", self.incident_id.as_str())], None, 200),
            "update-incident" => {
                // A fresh incident per call: the same one would grow a longer history each time.
                let fresh: NewIncident = serde_json::from_value(incident_body(
                    &self.app_name,
                    &self.app_code,
                    &unique("to triage"),
                ))?;
                let (reported, _) = self
                    .incidents
                    .report(&fresh, now(), || async { Enrichment::default() })
                    .await
                    .context("reporting an incident to update")?;
                http(
                    admin,
                    vec![],
                    Some(
                        json!({"id": reported.id, "status": "acknowledged", "notes": "looking", "by": "bench"}),
                    ),
                    200,
                )
            }
            // ---------------------------------------------------------- heartbeats
            "heartbeat" => http(
                key,
                vec![],
                Some(json!({"app_id": HEARTBEAT_APP, "message": "OK:200"})),
                200,
            ),
            "heartbeat-signal" => http_at(
                Some("/api/apps/success".into()),
                key,
                vec![],
                Some(json!({"app_id": HEARTBEAT_APP})),
                200,
            ),
            "heartbeat-badge" => {
                let badge = lookout_heartbeats::BadgeKey::from_secret(&self.badge_secret);
                http_at(
                    Some(badge.path(TENANT, HEARTBEAT_APP)),
                    vec![],
                    vec![],
                    None,
                    200,
                )
            }
            "app-incidents" => {
                // A fresh app per call: each event opens its incident (the same app's repeat
                // would be dropped as already seen).
                let event = lookout_core::events::AppTransition {
                    tenant: TENANT.into(),
                    app_id: unique("bench-job"),
                    kind: lookout_core::events::TransitionKind::Down,
                    seq: 1,
                    at: now(),
                    reason: Some("silent: overdue".into()),
                    app: None,
                };
                Ok(Call {
                    request: Request::Sqs {
                        queue_arn: self.app_events_arn.clone(),
                        bodies: vec![serde_json::to_string(&event)?],
                    },
                    expect: Expect::NoBatchFailures,
                })
            }
            "admin-heartbeat-apps" => http(
                admin,
                vec![],
                Some(
                    json!({"tenant": TENANT, "app_id": HEARTBEAT_APP, "period_seconds": 60, "grace_seconds": 30}),
                ),
                200,
            ),
            "admin-list-heartbeat-apps" => {
                http(admin, vec![("tenant", TENANT), ("limit", "100")], None, 200)
            }
            "silent-app-scanner" => Ok(Call {
                request: Request::Scheduled {
                    time: now().to_rfc3339(),
                },
                expect: Expect::Object,
            }),
            // ---------------------------------------------------------- messenger
            "contacts-create" => http(key, vec![], Some(contact_body("carol")), 200),
            "contacts-delete" => {
                let name = unique("tmp");
                self.put_contact(&name).await?;
                http(
                    key,
                    vec![],
                    Some(json!({"user_name": MSG_USER, "contact": name})),
                    200,
                )
            }
            "contacts-list" => http(key, vec![("user_name", MSG_USER)], None, 200),
            "contacts-send" => http(
                key,
                vec![],
                Some(
                    json!({"user_name": MSG_USER, "contacts": ["bob"], "message": "hello from the benchmark"}),
                ),
                200,
            ),
            "get-failed-mess" => http(
                key,
                vec![("user_name", MSG_USER), ("limit", "100")],
                None,
                200,
            ),
            "messenger-deliver" => Ok(Call {
                request: Request::Sqs {
                    queue_arn: self.queue_arn.clone(),
                    bodies: vec![self.new_delivery().await?],
                },
                expect: Expect::NoBatchFailures,
            }),
            other => bail!("no scenario for {other}"),
        }
    }
}

async fn new_session(store: &TrackerStore, tenant: &Tenant) -> Result<String> {
    let input: StartSession = serde_json::from_value(json!({
        "userId": "bench-user", "machineId": MACHINE, "startAt": "2026-01-01T00:00:00Z", "orgId": 1
    }))?;
    store
        .start_session(tenant, input)
        .await
        .context("creating a session")
}

/// A seed-000 batch of `lines` log lines of ~120 bytes.
pub fn send_logs_body(lines: usize) -> Value {
    let t = now().to_rfc3339();
    let logs: Vec<Value> = (0..lines)
        .map(|i| {
            json!({
                "level": if i % 10 == 0 { "error" } else { "info" },
                "msg": format!("GET /api/orders/{i} 200 12ms user=4711 region=eu-west-1 trace=ab12cd34ef56"),
                "event_at": t,
                "p_description": "web worker"
            })
        })
        .collect();
    json!({"data": {"user": LOG_USER, "pid": 4242, "p_name": "web", "post_time": t, "logs": logs}})
}

fn incident_body(app: &str, code: &str, title: &str) -> Value {
    json!({
        "incident": {
            "title": title,
            "message": "/var is 100% full on web-1",
            "level": "critical",
            "logs": ["df: /var 100%", "write failed: ENOSPC"]
        },
        "app_name": app,
        "code": code
    })
}

fn contact_body(name: &str) -> Value {
    json!({"user_name": MSG_USER, "contact": {"name": name,
        "messangers": {"telegram": "12345", "whatsApp": "", "viber": ""}}})
}

/// Template parameters the benchmark's stack gets besides the admin token: the messengers
/// point at `emulator` (a [`lookout_dev::emulator::Emulator`]) so deliveries succeed (the
/// token is stored in the messenger secret: [`BENCH_TOKENS`]).
pub fn stack_params(admin_sha256: String, emulator: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("AdminTokenSha256".to_owned(), admin_sha256),
        ("TelegramApiBase".to_owned(), format!("{emulator}/telegram")),
    ])
}

/// The messenger secret's value for benchmarks.
pub const BENCH_TOKENS: &str = r#"{"telegram_bot_token":"bench-bot-token"}"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_events_carry_method_query_and_body() {
        let call = Call {
            request: Request::Http {
                method: "GET".into(),
                path: "/logs".into(),
                query: vec![("user".into(), "a b".into())],
                headers: vec![("X-User-Token".into(), "t".into())],
                body: None,
            },
            expect: Expect::Status(200),
        };
        let ev = call.event();
        assert_eq!(ev["routeKey"], "GET /logs");
        assert_eq!(ev["rawQueryString"], "user=a%20b");
        assert_eq!(ev["queryStringParameters"]["user"], "a b");
        assert_eq!(ev["headers"]["x-user-token"], "t");
        assert!(ev.get("body").is_none());
        assert!(call.check(&json!({"statusCode": 200})).is_ok());
        assert!(call.check(&json!({"statusCode": 403})).is_err());
    }

    #[test]
    fn every_family_has_a_representative_of_its_own() {
        for f in Family::ALL {
            assert_eq!(Family::of(f.representative()), Some(f));
        }
    }
}
