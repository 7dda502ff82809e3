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

use lambda_http::{http::StatusCode, Body, Error, Request, Response};
use lookout_core::{
    aws, config,
    error::error_chain,
    http::{canonical_path, json_response, parse_json},
    time::{system_clock, SharedClock},
    AppError,
};
use lookout_heartbeats::{AppId, HeartbeatStore};
use lookout_incidents::{mail_text, Enrichment, Incident, IncidentStore, NewIncident, Reported};
use lookout_logs::{LogStore, UserName};
use lookout_mail::{AdminMail, AdminMailer};
use lookout_messenger::messenger::{LazyMessenger, MessengerApi, MessengerKind};
use std::sync::Arc;

/// Lines of the app's own log attached to a new incident.
pub const RECENT_LINES: usize = 20;

#[derive(Debug, Clone)]
pub struct Deps {
    pub store: IncidentStore,
    /// Admin mail; `None` when `ADMIN_EMAIL` is not configured.
    pub mail: Option<Arc<dyn AdminMailer>>,
    /// Log store for enrichment; `None` when `LOGS_TABLE` is not configured.
    pub logs: Option<LogStore>,
    /// Heartbeat store for enrichment; `None` when `HEARTBEAT_TABLE` is not configured.
    pub heartbeats: Option<HeartbeatStore>,
    /// URL of the web console, linked from the mail (`CONSOLE_URL`). When unset, the mail links
    /// to the console on the API host the report came to.
    pub console_url: Option<String>,
    /// Telegram admin chat; `None` unless `TELEGRAM_ADMIN_CHAT_ID` is set.
    pub telegram: Option<TelegramAdmin>,
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
        Ok(Self {
            store: IncidentStore::from_env(ddb.clone())?,
            mail: match config::optional(config::names::ADMIN_EMAIL) {
                Some(_) => Some(Arc::new(AdminMail::from_env(&sdk)?)),
                None => None,
            },
            logs: match config::optional(config::names::LOGS_TABLE) {
                Some(_) => Some(LogStore::from_env(ddb.clone())?),
                None => None,
            },
            heartbeats: match config::optional(config::names::HEARTBEAT_TABLE) {
                Some(_) => {
                    Some(HeartbeatStore::from_env(ddb)?.with_alert_budget(
                        lookout_core::quota::Quotas::from_env()?.alerts_per_hour,
                    ))
                }
                None => None,
            },
            console_url: config::optional(config::names::CONSOLE_URL),
            // The bot token is read from the messenger secret on the first new incident, not
            // during init; without it the chat message fails (logged) and the mail still goes.
            telegram: config::optional(config::names::TELEGRAM_ADMIN_CHAT_ID).map(|chat_id| {
                TelegramAdmin {
                    messenger: Arc::new(LazyMessenger::new(&sdk)),
                    chat_id,
                }
            }),
            clock: system_clock(),
        })
    }

    async fn enrich(&self, links: &lookout_incidents::AppLinks) -> Enrichment {
        let mut e = Enrichment::default();
        if let (Some(store), Some(user)) = (&self.logs, links.log_user.as_deref()) {
            match UserName::parse(user) {
                Ok(user) => match store
                    .recent(&user, links.log_process.as_deref(), RECENT_LINES)
                    .await
                {
                    Ok(lines) => {
                        e.recent_logs = lines
                            .into_iter()
                            .filter_map(|l| serde_json::to_value(l).ok())
                            .collect();
                    }
                    // Enrichment is best effort: the incident itself must not be lost.
                    Err(err) => {
                        tracing::warn!(error = %error_chain(&err), "recent logs unavailable")
                    }
                },
                Err(err) => tracing::warn!(error = %err, "app links an invalid log user"),
            }
        }
        if let (Some(store), Some(tenant), Some(app_id)) = (
            &self.heartbeats,
            links.heartbeat_tenant.as_deref(),
            links.heartbeat_app_id.as_deref(),
        ) {
            match AppId::parse_str(app_id) {
                Ok(id) => match store.app_view(tenant, &id).await {
                    Ok(view) => e.heartbeat = view.and_then(|v| serde_json::to_value(v).ok()),
                    Err(err) => {
                        tracing::warn!(error = %error_chain(&err), "heartbeat state unavailable")
                    }
                },
                Err(err) => tracing::warn!(error = %err, "app links an invalid heartbeat app id"),
            }
        }
        e
    }

    async fn notify(&self, incident: &Incident, console_url: Option<&str>) {
        // Each incident app's alert budget (its items live in the heartbeat table, where the
        // scanner sends the hourly digest of what was held back).
        if let Some(budget) = &self.heartbeats {
            let scope = lookout_heartbeats::incident_app_scope(&incident.app_name);
            let line = format!(
                "{} [{}] {} (id {})",
                incident.app_name,
                incident.level.as_str(),
                incident.title,
                incident.id
            );
            match budget.spend_alert(&scope, &line, self.clock.now()).await {
                Ok(lookout_heartbeats::Spend::Folded) => {
                    let held = Some(
                        "held back: the app's alert budget for the hour is used up; listed in \
                         the hourly digest"
                            .to_owned(),
                    );
                    if let Err(err) = self.store.mark_notified(&incident.id, held).await {
                        tracing::error!(error = %error_chain(&err), id = incident.id, "recording notification failed");
                    }
                    return;
                }
                Ok(lookout_heartbeats::Spend::Allowed) => {}
                // Never silence an alert because its count could not be kept.
                Err(err) => {
                    tracing::warn!(error = %error_chain(&err), "alert budget not counted; sending")
                }
            }
        }
        let Some(outcome) = announce(
            self.mail.as_deref(),
            self.telegram.as_ref(),
            incident,
            console_url,
        )
        .await
        else {
            return;
        };
        if let Err(err) = self.store.mark_notified(&incident.id, outcome).await {
            tracing::error!(error = %error_chain(&err), id = incident.id, "recording notification failed");
        }
    }
}

/// Tells the admin about a new incident: a message to the Telegram admin chat (best effort;
/// the port sends a text longer than Telegram's limit as numbered parts) and the mail.
/// Returns the mail's outcome to record (`None` inside: sent; `Some(reason)`: not sent), or
/// `None` when no mail is configured.
pub async fn announce(
    mail: Option<&dyn AdminMailer>,
    telegram: Option<&TelegramAdmin>,
    incident: &Incident,
    console_url: Option<&str>,
) -> Option<Option<String>> {
    let (subject, text) = mail_text(incident, console_url);
    if let Some(tg) = telegram {
        let short = format!("{subject}\n{}\nid: {}", incident.message, incident.id);
        if let Err(err) = tg
            .messenger
            .send(MessengerKind::Telegram, &tg.chat_id, &short)
            .await
        {
            tracing::error!(error = %err, id = incident.id, "telegram admin message failed");
        }
    }
    let mail = mail?;
    Some(match mail.send_admin(&subject, &text).await {
        Ok(_) => None,
        Err(err) => {
            tracing::error!(error = %error_chain(&err), id = incident.id, "incident mail failed");
            Some("mail could not be sent".to_owned())
        }
    })
}

/// `https://{API host}/console` for a request that came through API Gateway.
pub fn console_on_host(req: &Request) -> Option<String> {
    use lambda_http::{request::RequestContext, RequestExt};
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
pub const BODY_LIMIT: usize = lookout_core::http::MAX_BODY_LIMIT;

async fn report(deps: &Deps, req: &Request) -> Result<(StatusCode, Reported), AppError> {
    let mut input: NewIncident = parse_json(req, BODY_LIMIT)?;
    input.validate()?;
    let app = deps
        .store
        .authenticate_app(&input.app_name, &input.code)
        .await?;
    let (reported, created) = deps
        .store
        .report(&input, deps.clock.now(), || deps.enrich(&app.links))
        .await?;
    let status = match &created {
        Some(incident) => {
            let console = deps.console_url.clone().or_else(|| console_on_host(req));
            deps.notify(incident, console.as_deref()).await;
            StatusCode::CREATED
        }
        None => StatusCode::OK,
    };
    Ok((status, reported))
}

/// The seed server's (FastAPI's) error body: `{"detail": …}`.
#[derive(Debug, serde::Serialize)]
pub struct SeedDetail<T> {
    pub detail: T,
}

/// One of FastAPI's validation errors.
#[derive(Debug, serde::Serialize)]
pub struct SeedValueError {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub loc: [&'static str; 1],
    pub msg: String,
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let outcome = report(deps, &req).await;
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
    use lambda_http::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use lookout_mail::MemoryMail;
    use lookout_messenger::messenger::{MemoryMessenger, SendError};
    use serde_json::json;

    fn incident() -> Incident {
        serde_json::from_value(json!({
            "id": "0b3c", "app_name": "billing", "title": "DB down", "message": "timeout",
            "level": "critical", "status": "open", "assignee": "", "notes": "", "logs": [],
            "logs_dropped": 0, "count": 1, "first_seen": "2030-01-01T00:00:00.000Z",
            "last_seen": "2030-01-01T00:00:00.000Z", "recent_logs": [], "notified": false
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn a_new_incident_is_mailed_and_sent_to_the_admin_chat() {
        let mail = MemoryMail::default();
        let chat = MemoryMessenger::default();
        let tg = TelegramAdmin {
            messenger: Arc::new(chat.clone()),
            chat_id: "-100777".into(),
        };
        let i = incident();
        let outcome = announce(Some(&mail), Some(&tg), &i, Some("https://x/console")).await;
        assert_eq!(outcome, Some(None), "mailed");
        let sent = mail.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].subject, "[Lookout] CRIT in billing: DB down");
        assert!(sent[0]
            .text
            .contains("Console: https://x/console#incident/0b3c"));
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
        use lookout_messenger::messenger::{text_units, TELEGRAM_MAX_TEXT};
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
            .take(lookout_incidents::MAX_MESSAGE)
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

    #[tokio::test]
    async fn a_failed_chat_message_does_not_stop_the_mail_and_a_failed_mail_is_recorded() {
        let mail = MemoryMail::default();
        let chat = MemoryMessenger::default();
        chat.then(Err(SendError::NotConfigured(MessengerKind::Telegram)));
        let tg = TelegramAdmin {
            messenger: Arc::new(chat),
            chat_id: "-1".into(),
        };
        assert_eq!(
            announce(Some(&mail), Some(&tg), &incident(), None).await,
            Some(None)
        );
        assert_eq!(mail.sent().len(), 1);
        mail.set_failing(true);
        assert_eq!(
            announce(Some(&mail), None, &incident(), None).await,
            Some(Some("mail could not be sent".into()))
        );
        assert_eq!(
            announce(None, None, &incident(), None).await,
            None,
            "no mail configured"
        );
    }
}
