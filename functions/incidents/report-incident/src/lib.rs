//! `POST /incidents` with the seed's body
//! `{"incident":{"title","message","level","logs"},"app_name","code"}`.
//!
//! - 201 `{"id","status":"open","count":1,"grouped":false}` for a new incident: the admin gets a
//!   mail (SES), enriched with the app's latest log lines and heartbeat state when linked.
//! - 200 `{"id","status","count","grouped":true}` when it repeats an unresolved incident with the
//!   same app, title and level: count and last_seen grow, no new mail.
//! - 400 bad input, 403 unknown app or wrong code.
//!
//! Replies carry `"ok": true`, which the seed's client (`dispatcher_maker`) reads. It posts to
//! the URL it is given; the seed server's route `POST /v1/incidents/new` is served here too,
//! with that server's answers: 200 `{"ok": true, …}` (new or grouped), 400
//! `{"detail": "Required app fields are incorrect"}` for an unknown app or wrong code, 422
//! `{"detail": [{"type", "loc", "msg"}]}` for invalid input. Logs beyond 500 lines or 64 KB
//! never cost the incident: the newest lines are kept and `logs_truncated` says so (the record
//! keeps `logs_dropped`).
//!
//! A new incident is also posted to the Telegram admin chat when `TELEGRAM_ADMIN_CHAT_ID` is set:
//! its title, message (up to 10,000 characters) and id, in numbered parts when that is longer
//! than one Telegram message holds (the messenger port's `MessengerApi::send`, as broadcasts).

use std::sync::Arc;

use lambda_http::{
    http::StatusCode, request::RequestContext, run, service_fn, Body, Error, Request, RequestExt,
    Response,
};
use lookout_core::{
    aws, config,
    quota::Quotas,
    time::{system_clock, SharedClock, Timestamp},
    BoxFuture,
};
use lookout_heartbeats::{incident_app_scope, AppId, HeartbeatStore};
use lookout_http::{canonical_path, json_response, parse_json, AppError, MAX_BODY_LIMIT};
use lookout_incidents::{
    report, AdminChat, AlertBudget, AppContext, IncidentStore, NewIncident, PortError, ReportPorts,
    Reported, Spend, SqsTenantAlerts, TenantAlerts,
};
use lookout_logs::{LogStore, UserName};
use lookout_mail::{AdminMail, AdminMailer};
use lookout_messenger::messenger::{LazyMessenger, MessengerApi, MessengerKind};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Deps {
    pub store: IncidentStore,
    /// Admin mail; `None` when `ADMIN_EMAIL` is not configured.
    pub mail: Option<Arc<dyn AdminMailer>>,
    /// Log store for enrichment; `None` when `LOGS_TABLE` is not configured.
    pub logs: Option<LogStore>,
    /// Heartbeat store for enrichment and the alert budget; `None` when `HEARTBEAT_TABLE` is
    /// not configured.
    pub heartbeats: Option<HeartbeatStore>,
    /// URL of the web console, linked from the mail (`CONSOLE_URL`). When unset, the mail links
    /// to the console on the API host the report came to.
    pub console_url: Option<String>,
    /// Telegram admin chat; `None` unless `TELEGRAM_ADMIN_CHAT_ID` is set.
    pub telegram: Option<TelegramAdmin>,
    /// The tenants' alerts queue (`ALERTS_QUEUE_URL`), for incidents of apps linked to a
    /// tenant.
    pub alerts: Option<SqsTenantAlerts>,
    pub clock: SharedClock,
}

/// Where new incidents are also announced: a Telegram chat, through the messenger adapter.
#[derive(Debug, Clone)]
pub struct TelegramAdmin {
    pub messenger: Arc<dyn MessengerApi>,
    pub chat_id: String,
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        let ddb = aws::dynamodb(&sdk);
        Self::from_sdk(&sdk, ddb)
    }

    /// [`from_env`](Self::from_env) with an SDK configuration and DynamoDB client the
    /// function already made (`serve-fallback` makes one of each for all it holds).
    pub fn from_sdk(
        sdk: &aws::SdkConfig,
        ddb: aws_sdk_dynamodb::Client,
    ) -> Result<Self, config::ConfigError> {
        Ok(Self {
            store: IncidentStore::from_env(ddb.clone())?,
            mail: match config::optional(config::names::ADMIN_EMAIL) {
                Some(_) => Some(Arc::new(AdminMail::from_env(sdk)?)),
                None => None,
            },
            logs: match config::optional(config::names::LOGS_TABLE) {
                Some(_) => Some(LogStore::from_env(ddb.clone())?),
                None => None,
            },
            heartbeats: match config::optional(config::names::HEARTBEAT_TABLE) {
                Some(_) => Some(
                    HeartbeatStore::from_env(ddb)?
                        .with_alert_budget(Quotas::from_env()?.alerts_per_hour),
                ),
                None => None,
            },
            console_url: config::optional(config::names::CONSOLE_URL),
            // The bot token is read from the messenger secret on the first new incident, not
            // during init; without it the chat message fails (logged) and the mail still goes.
            telegram: config::optional(config::names::TELEGRAM_ADMIN_CHAT_ID).map(|chat_id| {
                TelegramAdmin {
                    messenger: Arc::new(LazyMessenger::new(sdk)),
                    chat_id,
                }
            }),
            alerts: SqsTenantAlerts::from_env(sdk),
            clock: system_clock(),
        })
    }

    /// The report's ports: the incidents table, the logs and heartbeat stores (context and
    /// alert budget), the admin's mail and chat.
    pub fn ports(&self) -> ReportPorts<'_> {
        ReportPorts {
            store: &self.store,
            context: self,
            budget: self,
            mail: self.mail.as_deref(),
            chat: self.telegram.as_ref().map(|t| t as &dyn AdminChat),
            alerts: self.alerts.as_ref().map(|a| a as &dyn TenantAlerts),
            clock: self.clock.as_ref(),
        }
    }
}

/// The logs and heartbeats domains as a new incident's context.
impl AppContext for Deps {
    fn recent_logs<'a>(
        &'a self,
        user: &'a str,
        process: Option<&'a str>,
        lines: usize,
    ) -> BoxFuture<'a, Result<Vec<Value>, PortError>> {
        Box::pin(async move {
            let Some(store) = &self.logs else {
                return Ok(Vec::new());
            };
            let user = UserName::parse(user)
                .map_err(|err| format!("app links an invalid log user: {err}"))?;
            let lines = store.recent(&user, process, lines).await?;
            Ok(lines
                .into_iter()
                .filter_map(|l| serde_json::to_value(l).ok())
                .collect())
        })
    }

    fn heartbeat<'a>(
        &'a self,
        tenant: &'a str,
        app_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Value>, PortError>> {
        Box::pin(async move {
            let Some(store) = &self.heartbeats else {
                return Ok(None);
            };
            let id = AppId::parse_str(app_id)
                .map_err(|err| format!("app links an invalid heartbeat app id: {err}"))?;
            let view = store.app_view(tenant, &id).await?;
            Ok(view.and_then(|v| serde_json::to_value(v).ok()))
        })
    }
}

/// Each incident app's alert budget: its items live in the heartbeat table, where the scanner
/// sends the hourly digest of what was held back. Without the heartbeat table, every alert
/// goes out.
impl AlertBudget for Deps {
    fn spend<'a>(
        &'a self,
        app: &'a str,
        line: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Spend, PortError>> {
        Box::pin(async move {
            let Some(store) = &self.heartbeats else {
                return Ok(Spend::Allowed);
            };
            Ok(
                match store
                    .spend_alert(&incident_app_scope(app), line, now)
                    .await?
                {
                    lookout_heartbeats::Spend::Allowed => Spend::Allowed,
                    lookout_heartbeats::Spend::Folded => Spend::Folded,
                },
            )
        })
    }
}

/// The admin's chat through the messenger port, which sends a text longer than Telegram's
/// limit as numbered parts.
impl AdminChat for TelegramAdmin {
    fn send<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<(), PortError>> {
        Box::pin(async move {
            self.messenger
                .send(MessengerKind::Telegram, &self.chat_id, text)
                .await?;
            Ok(())
        })
    }
}

/// `https://{API host}/console` for a request that came through API Gateway.
pub fn console_on_host(req: &Request) -> Option<String> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx
            .domain_name
            .as_deref()
            .filter(|d| !d.is_empty())
            .map(|d| format!("https://{d}/console")),
        _ => None,
    }
}

/// The seed-001 server's route, answered in that server's terms.
pub const SEED_ROUTE: &str = "/v1/incidents/new";

/// Bodies up to this size are read (Lambda's synchronous payload limit is 6 MB); logs beyond
/// the stored limits are cut, never a reason to refuse the incident.
pub const BODY_LIMIT: usize = MAX_BODY_LIMIT;

/// Parses the report, reports it, and answers 201 for a new incident, 200 for a repeat.
async fn accept(deps: &Deps, req: &Request) -> Result<(StatusCode, Reported), AppError> {
    let input: NewIncident = parse_json(req, BODY_LIMIT)?;
    let console = deps.console_url.clone().or_else(|| console_on_host(req));
    let reported = report(&deps.ports(), input, console.as_deref()).await?;
    let status = if reported.grouped {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, reported))
}

/// The seed server's (FastAPI's) error body: `{"detail": …}`.
#[derive(Debug, Serialize)]
pub struct SeedDetail<T> {
    pub detail: T,
}

/// One of FastAPI's validation errors.
#[derive(Debug, Serialize)]
pub struct SeedValueError {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub loc: [&'static str; 1],
    pub msg: String,
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let outcome = accept(deps, &req).await;
    if canonical_path(req.uri().path()) != SEED_ROUTE {
        return Ok(match outcome {
            Ok((status, reported)) => json_response(status, &reported),
            Err(err) => err.into_response(),
        });
    }
    // The seed server's answers (FastAPI): 200 for every accepted report, `detail` otherwise.
    Ok(match outcome {
        Ok((_, reported)) => json_response(StatusCode::OK, &reported),
        Err(AppError::Forbidden(_) | AppError::Unauthorized(_) | AppError::NotFound(_)) => {
            json_response(
                StatusCode::BAD_REQUEST,
                &SeedDetail {
                    detail: "Required app fields are incorrect",
                },
            )
        }
        Err(AppError::Validation(msg) | AppError::PayloadTooLarge(msg)) => json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SeedDetail {
                detail: [SeedValueError {
                    kind: "value_error",
                    loc: ["body"],
                    msg,
                }],
            },
        ),
        Err(err) => err.into_response(),
    })
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`incidents-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_http::Error> {
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use lookout_incidents::{announce, Incident, MAX_MESSAGE};
    use lookout_mail::MemoryMail;
    use lookout_messenger::messenger::{text_units, MemoryMessenger, TELEGRAM_MAX_TEXT};
    use serde_json::json;

    /// A new incident, its stored fields left at their defaults.
    fn incident() -> Incident {
        let at = "2030-01-01T00:00:00.000Z";
        serde_json::from_value(json!({
            "id": "0b3c", "app_name": "billing", "title": "DB down", "message": "timeout",
            "level": "crit", "status": "open", "count": 1, "first_seen": at, "last_seen": at
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn a_new_incident_reaches_the_telegram_admin_chat() {
        let chat = MemoryMessenger::default();
        let tg = TelegramAdmin {
            messenger: Arc::new(chat.clone()),
            chat_id: "-100777".into(),
        };
        let outcome = announce(None, Some(&tg), &incident(), None).await;
        assert_eq!(outcome, None, "no mail configured");
        let msgs = chat.sent();
        assert_eq!(msgs.len(), 1);
        assert_eq!(
            (msgs[0].kind, msgs[0].address.as_str()),
            (MessengerKind::Telegram, "-100777")
        );
        assert_eq!(
            msgs[0].text,
            "[Lookout] CRIT in billing: DB down\ntimeout\nid: 0b3c"
        );
    }

    #[tokio::test]
    async fn a_10000_character_incident_reaches_the_admin_chat_whole_in_parts_that_fit() {
        let mail = MemoryMail::default();
        let chat = MemoryMessenger::default();
        let tg = TelegramAdmin {
            messenger: Arc::new(chat.clone()),
            chat_id: "-100777".into(),
        };
        let mut i = incident();
        i.message = (0..250)
            .map(|n| format!("{n:03} Ошибка: connection reset by peer (db-1:5432)\n"))
            .collect::<String>()
            .chars()
            .take(MAX_MESSAGE)
            .collect();
        assert_eq!(i.message.chars().count(), 10_000);
        assert_eq!(announce(Some(&mail), Some(&tg), &i, None).await, Some(None));
        let parts = chat.sent();
        assert_eq!(parts.len(), 3, "{parts:#?}");
        let mut whole = String::new();
        for (n, part) in parts.iter().enumerate() {
            assert_eq!(part.address, "-100777");
            assert!(
                text_units(&part.text) <= TELEGRAM_MAX_TEXT,
                "part {n}: {} units",
                text_units(&part.text)
            );
            let number = format!("({}/3) ", n + 1);
            whole.push_str(part.text.strip_prefix(&number).unwrap());
        }
        assert_eq!(
            whole,
            format!(
                "[Lookout] CRIT in billing: DB down\n{}\nid: 0b3c",
                i.message
            ),
            "title, the whole message and the id, in order"
        );
        assert_eq!(mail.sent().len(), 1);
    }
}
