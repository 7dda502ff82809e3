//! Which route answers a request: the three messengers, the Slack, Discord and generic
//! webhooks, and the emulator's own `/_received`, `/_fail` and `/_health`; `405` for other
//! methods on those, `404` for anything else.

use serde::Deserialize;
use serde_json::{json, Value};

use super::discord::discord;
use super::recorder::{lock, queue_failures, Shared};
use super::reply::Reply;
use super::request::Request;
use super::slack::slack;
use super::telegram::{set_webhook, telegram};
use super::viber::viber;
use super::webhook::webhook;
use super::whatsapp::whatsapp;

/// The services `/_fail` can fail.
const SERVICES: [&str; 6] = [
    "telegram", "whatsapp", "viber", "slack", "discord", "webhook",
];

/// The answer to `req`.
pub(crate) fn route(req: &Request, state: &Shared) -> Reply {
    let segments: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    match (req.method.as_str(), segments.as_slice()) {
        ("POST", ["telegram", bot, "sendMessage"]) if bot.starts_with("bot") => {
            telegram(req, bot.strip_prefix("bot").unwrap_or_default(), state).into()
        }
        ("POST", ["telegram", bot, "setWebhook"]) if bot.starts_with("bot") => {
            set_webhook(req, bot.strip_prefix("bot").unwrap_or_default(), state).into()
        }
        ("POST", ["whatsapp", _phone_number_id, "messages"]) => whatsapp(req, state).into(),
        ("POST", ["viber", "pa", "send_message"]) => viber(req, state).into(),
        ("POST", ["slack", "services", team, bot, secret]) => slack(req, team, bot, secret, state),
        ("POST", ["discord", "api", "webhooks", id, token]) => discord(req, id, token, state),
        ("POST", ["webhook", name]) if !name.is_empty() => webhook(req, name, state),
        ("GET", ["_received"]) => (200, json!(lock(state).received)).into(),
        ("DELETE", ["_received"]) => {
            lock(state).received.clear();
            (200, json!({"ok": true})).into()
        }
        ("POST", ["_fail"]) => inject(req, state).into(),
        ("GET", ["_health"]) => (200, json!({"ok": true})).into(),
        (
            _,
            ["telegram" | "whatsapp" | "viber" | "slack" | "discord" | "webhook" | "_received"
            | "_fail", ..],
        ) => Reply::json(
            405,
            json!({"error": format!("{} {} is not emulated", req.method, req.path)}),
        ),
        _ => Reply::json(
            404,
            json!({"error": format!("no route {} {}", req.method, req.path)}),
        ),
    }
}

/// The body of `POST /_fail`.
#[derive(Deserialize)]
struct FailIn {
    messenger: String,
    status: u16,
    #[serde(default = "one")]
    times: usize,
}

fn one() -> usize {
    1
}

/// `POST /_fail`: queues the failures, or `400` for a body it cannot take.
fn inject(req: &Request, state: &Shared) -> (u16, Value) {
    match serde_json::from_slice::<FailIn>(&req.body) {
        Ok(f)
            if SERVICES.contains(&f.messenger.as_str())
                && (400..600).contains(&f.status)
                && f.times <= 1000 =>
        {
            queue_failures(state, &f.messenger, f.status, f.times);
            (200, json!({"ok": true}))
        }
        _ => (
            400,
            json!({"error": "expected {\"messenger\": telegram|whatsapp|viber|slack|discord|webhook, \"status\": 400..599, \"times\": n}"}),
        ),
    }
}
