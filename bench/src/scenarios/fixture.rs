//! The shared setup: the [`Fixture`] every request refers to (created through the shared
//! stores, straight against moto), the HTTP call builder the domains share ([`Http`]) and
//! the dispatch from a function to its domain's scenario ([`Fixture::call`]).

use anyhow::{anyhow, bail, Context, Result};
use lookout_core::auth::Tenant;
use lookout_dev::provision::Stack;
use lookout_dev::template::{Function, Route};
use lookout_heartbeats::{HeartbeatIn, HeartbeatStore};
use lookout_incidents::{AppIn, Enrichment, IncidentStore, NewIncident};
use lookout_keys::ApiKeys;
use lookout_logs::{LogStore, SendLogs, UserName as LogUserName};
use lookout_messenger::BroadcastStore;
use lookout_tracker::{AddEvents, TrackerStore};
use serde_json::{json, Value};

use super::call::{Call, Expect, Request};
use super::heartbeats::HEARTBEAT_APP;
use super::incidents::incident_body;
use super::logs::{send_logs_body, LOG_USER};
use super::tracker::new_session;
use super::{admin, heartbeats, incidents, logs, messenger, tracker};
use super::{now, unique, TENANT};

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
    pub(super) log_token: String,
    pub(super) incidents: IncidentStore,
    pub(super) app_name: String,
    pub(super) app_code: String,
    /// The incident app's Sentry DSN: its public key and project id.
    pub(super) dsn_key: String,
    pub(super) project_id: String,
    pub(super) incident_id: String,
    pub(super) broadcast: BroadcastStore,
    pub(super) queue_arn: String,
    pub(super) app_events_arn: String,
    pub(super) keys: ApiKeys,
    /// The ping checks' UUIDs (their Healthchecks ping URLs `/ping/<uuid>`), taken in turn.
    pub(super) ping_ids: Vec<String>,
    pub(super) next_ping: std::sync::atomic::AtomicUsize,
}

/// Checks the benchmark's Healthchecks pings go round: 205 pings within a minute stay under
/// 30 a check (`PINGS_PER_MINUTE`).
const PING_CHECKS: usize = 10;

impl Fixture {
    /// How many different requests `f`'s scenario goes round: a warm process has seen each
    /// once after that many (record-ping: one a check; every other scenario: 1).
    pub fn rounds(&self, f: &Function) -> usize {
        match f.binary.as_str() {
            "record-ping" => self.ping_ids.len().max(1),
            _ => 1,
        }
    }

    /// The next ping check's UUID.
    pub(super) fn ping_id(&self) -> &str {
        let i = self
            .next_ping
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.ping_ids
            .get(i % self.ping_ids.len().max(1))
            .map_or("", String::as_str)
    }
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
        let user = LogUserName::parse(LOG_USER).map_err(|e| anyhow!(e))?;
        let issued = logs
            .issue_token(&user, false)
            .await
            .context("creating the log user")?;
        let batch: SendLogs = serde_json::from_value(send_logs_body(20))?;
        logs.store(batch.data, now())
            .await
            .context("storing fixture logs")?;

        // Heartbeats: an app that is up, watched, with a real app's history (see
        // `heartbeats::make_realistic`).
        let heartbeats = HeartbeatStore::new(ddb.clone(), stack.table("HeartbeatTable")?);
        let beat: HeartbeatIn =
            serde_json::from_value(json!({"app_id": HEARTBEAT_APP, "message": "OK:200"}))?;
        heartbeats
            .heartbeat(&tenant, &beat, now())
            .await
            .context("registering the heartbeat app")?;
        heartbeats::make_realistic(&heartbeats, ddb, tenant.as_str())
            .await
            .context("giving the heartbeat app its history")?;
        // The checks the Healthchecks pings go to, each a month-old app like the one above:
        // one check takes `PINGS_PER_MINUTE` pings a minute (more are answered and not
        // recorded), so the benchmark's pings go round these.
        let mut ping_ids = Vec::new();
        for i in 0..PING_CHECKS {
            let app_id = format!("ping-check-{i}");
            heartbeats::make_realistic_app(&heartbeats, ddb, tenant.as_str(), &app_id)
                .await
                .context("a check for the pings")?;
            let ping_id = ddb
                .get_item()
                .table_name(heartbeats.table())
                .key(
                    "pk",
                    aws_sdk_dynamodb::types::AttributeValue::S(format!("APP#{TENANT}#{app_id}")),
                )
                .send()
                .await
                .context("reading a ping check")?
                .item
                .and_then(|item| item.get("pingId")?.as_s().ok().cloned())
                .context("a check's UUID")?;
            ping_ids.push(ping_id);
        }

        // Incidents: an app linked to the log user and heartbeat app, one incident.
        let incidents = IncidentStore::new(ddb.clone(), stack.table("IncidentsTable")?);
        let app_name = unique("bench-app");
        let app: AppIn = serde_json::from_value(json!({
            "name": app_name, "description": "benchmark app", "log_user": LOG_USER,
            "heartbeat_tenant": TENANT, "heartbeat_app_id": HEARTBEAT_APP
        }))?;
        let registered = incidents
            .register_app(app)
            .await
            .context("registering the incident app")?;
        let app_code = registered.code.clone().context("a new app's code")?;
        // Its Sentry DSN, `https://<key>@<host>/<project id>`.
        let dsn = serde_json::to_value(registered.at("https://bench.invalid"))?["dsn"]
            .as_str()
            .map(str::to_owned)
            .context("a new app's DSN")?;
        let (dsn_key, project_id) = dsn
            .strip_prefix("https://")
            .and_then(|rest| rest.split_once("@bench.invalid/"))
            .map(|(key, project)| (key.to_owned(), project.to_owned()))
            .context("the DSN's key and project id")?;
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
            dsn_key,
            project_id,
            incident_id: reported.id,
            broadcast,
            queue_arn: stack.queue("MessengerQueue")?.arn.clone(),
            app_events_arn: stack.queue("AppEventsQueue")?.arn.clone(),
            keys,
            ping_ids,
            next_ping: std::sync::atomic::AtomicUsize::new(0),
        };
        fx.put_contact("bob").await?;
        Ok(fx)
    }

    /// The request for `f`, fresh fixtures included.
    pub async fn call(&self, f: &Function) -> Result<Call> {
        let http = Http::new(f);
        let binary = f.binary.as_str();
        if let Some(call) = tracker::call(self, &http, binary).await? {
            return Ok(call);
        }
        if let Some(call) = admin::call(self, &http, binary).await? {
            return Ok(call);
        }
        if let Some(call) = logs::call(self, &http, binary)? {
            return Ok(call);
        }
        if let Some(call) = incidents::call(self, &http, binary).await? {
            return Ok(call);
        }
        if let Some(call) = heartbeats::call(self, &http, binary)? {
            return Ok(call);
        }
        if let Some(call) = messenger::call(self, &http, binary).await? {
            return Ok(call);
        }
        bail!("no scenario for {binary}")
    }

    /// The admin bearer token header.
    pub(super) fn admin(&self) -> Vec<(String, String)> {
        vec![(
            "authorization".to_owned(),
            format!("Bearer {}", self.admin_token),
        )]
    }

    /// The tenant's API key header.
    pub(super) fn key(&self) -> Vec<(String, String)> {
        vec![("x-api-key".to_owned(), self.api_key.clone())]
    }
}

/// Builds a function's HTTP calls on its first route without a path variable (else its first
/// route).
#[derive(Debug)]
pub(super) struct Http<'a> {
    binary: &'a str,
    route: Option<&'a Route>,
}

impl<'a> Http<'a> {
    fn new(f: &'a Function) -> Self {
        Self {
            binary: &f.binary,
            route: f
                .routes
                .iter()
                .find(|r| !r.path.contains('{'))
                .or_else(|| f.routes.first()),
        }
    }

    /// At `path` (a route with a path variable: the handler reads the raw path).
    pub(super) fn at(
        &self,
        path: Option<String>,
        headers: Vec<(String, String)>,
        query: Vec<(&str, &str)>,
        body: Option<Value>,
        status: u16,
    ) -> Result<Call> {
        let route = self
            .route
            .ok_or_else(|| anyhow!("{} has no HttpApi route", self.binary))?;
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
    }

    /// At the route's own path.
    pub(super) fn call(
        &self,
        headers: Vec<(String, String)>,
        query: Vec<(&str, &str)>,
        body: Option<Value>,
        status: u16,
    ) -> Result<Call> {
        self.at(None, headers, query, body, status)
    }
}
