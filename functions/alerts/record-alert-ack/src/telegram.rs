//! `POST /ack/telegram/{tenant}`: the webhook a tenant's Telegram bots send button presses to
//! (set by `setWebhook` when a Telegram channel is created). An update is taken only with the
//! tenant's `X-Telegram-Bot-Api-Secret-Token` (which only Telegram was told); a press of an
//! alert's "Acknowledge" button (`callback_data` `a:<incident>:<signature>`, bound to the
//! tenant) acknowledges the incident, recorded in its history as `<name> (Telegram)`. The
//! answer is Telegram's webhook reply: an `answerCallbackQuery` that tells the presser what
//! happened. Other updates are answered `200 {}` and ignored.

use lambda_http::{http::StatusCode, Body, Request, Response};
use lookout_core::auth::Tenant;
use lookout_http::{body_bytes, header, AppError};
use lookout_incidents::{IncidentError, IncidentTable, Status};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{acknowledge, Deps};

/// The header Telegram sends the webhook's `secret_token` in.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// Largest update read (a callback query with its message is a few KB).
const MAX_UPDATE: usize = 64 * 1024;

#[derive(Deserialize)]
struct Update {
    callback_query: Option<CallbackQuery>,
}

#[derive(Deserialize)]
struct CallbackQuery {
    id: String,
    from: User,
    data: Option<String>,
}

#[derive(Deserialize)]
struct User {
    id: i64,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    username: Option<String>,
}

impl User {
    /// How the history names the presser: `Ana Lima @ana (Telegram)`.
    fn label(&self) -> String {
        let mut name = self.first_name.trim().to_owned();
        if let Some(last) = self
            .last_name
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            name = format!("{name} {last}");
        }
        if let Some(user) = self.username.as_deref().filter(|u| !u.is_empty()) {
            name = format!("{name} @{user}");
        }
        let name: String = name
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(64)
            .collect();
        if name.is_empty() {
            format!("Telegram user {} (Telegram)", self.id)
        } else {
            format!("{name} (Telegram)")
        }
    }
}

fn json_reply(status: StatusCode, body: &Value) -> Response<Body> {
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        "content-type",
        lambda_http::http::HeaderValue::from_static("application/json"),
    );
    resp
}

/// The reply that shows `text` to whoever pressed the button.
fn answer(query_id: &str, text: &str) -> Response<Body> {
    json_reply(
        StatusCode::OK,
        &json!({"method": "answerCallbackQuery", "callback_query_id": query_id, "text": text}),
    )
}

pub async fn handle(deps: &Deps, req: &Request, tenant: &str) -> Response<Body> {
    let Ok(tenant) = Tenant::parse(tenant) else {
        return AppError::NotFound("no such tenant".into()).into_response();
    };
    let given = header(req, SECRET_HEADER).unwrap_or_default();
    if !deps.sealer.telegram_secret_matches(tenant.as_str(), given) {
        tracing::warn!(
            tenant = tenant.as_str(),
            "telegram update without the tenant's secret token"
        );
        return AppError::Unauthorized("missing or wrong X-Telegram-Bot-Api-Secret-Token".into())
            .into_response();
    }
    let body = body_bytes(req);
    if body.len() > MAX_UPDATE {
        return AppError::PayloadTooLarge(format!("an update is at most {MAX_UPDATE} bytes"))
            .into_response();
    }
    let update: Update = match serde_json::from_slice(body) {
        Ok(u) => u,
        Err(err) => {
            return AppError::Validation(format!("not a Telegram update: {err}")).into_response()
        }
    };
    let Some(query) = update.callback_query else {
        return json_reply(StatusCode::OK, &json!({}));
    };
    let Some(incident_id) = query
        .data
        .as_deref()
        .and_then(|d| deps.sealer.open_telegram_callback(tenant.as_str(), d))
    else {
        return answer(&query.id, "This button is not one of Lookout's.");
    };
    let by = query.from.label();
    let detail = match deps.store.incidents().get(&incident_id).await {
        Ok(d) => d,
        Err(IncidentError::IncidentNotFound) => {
            return answer(&query.id, "That incident no longer exists.")
        }
        Err(err) => return fault(err),
    };
    match detail.incident.status {
        Status::Acknowledged => return answer(&query.id, "Already acknowledged."),
        Status::Resolved => return answer(&query.id, "Already resolved."),
        Status::Open => {}
    }
    match acknowledge(deps, &detail, &by).await {
        Ok(_) => {
            tracing::info!(
                tenant = tenant.as_str(),
                incident = incident_id,
                "incident acknowledged from Telegram"
            );
            answer(
                &query.id,
                "Acknowledged. The alert stops repeating and escalating.",
            )
        }
        Err(IncidentError::Changed(_)) => answer(&query.id, "It changed meanwhile; press again."),
        Err(err) => fault(err),
    }
}

/// A store fault: a generic 5xx (503 for an outage), so Telegram delivers the update again
/// later.
fn fault(err: IncidentError) -> Response<Body> {
    tracing::error!(error = %lookout_core::error::error_chain(&err), "telegram acknowledgement failed");
    AppError::from(err).into_response()
}
