//! Which route answers a request: the three services, and the emulator's own `/_received`,
//! `/_fail` and `/_health`; `405` for other methods on those, `404` for anything else.

use serde::Deserialize;
use serde_json::{json, Value};

use super::recorder::{lock, queue_failures, Shared};
use super::request::Request;
use super::telegram::telegram;
use super::viber::viber;
use super::whatsapp::whatsapp;

/// The status and JSON body answering `req`.
pub(crate) fn route(req: &Request, state: &Shared) -> (u16, Value) {
    let segments: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    match (req.method.as_str(), segments.as_slice()) {
        ("POST", ["telegram", bot, "sendMessage"]) if bot.starts_with("bot") => {
            telegram(req, bot.strip_prefix("bot").unwrap_or_default(), state)
        }
        ("POST", ["whatsapp", _phone_number_id, "messages"]) => whatsapp(req, state),
        ("POST", ["viber", "pa", "send_message"]) => viber(req, state),
        ("GET", ["_received"]) => (200, json!(lock(state).received)),
        ("DELETE", ["_received"]) => {
            lock(state).received.clear();
            (200, json!({"ok": true}))
        }
        ("POST", ["_fail"]) => inject(req, state),
        ("GET", ["_health"]) => (200, json!({"ok": true})),
        (_, ["telegram" | "whatsapp" | "viber" | "_received" | "_fail", ..]) => (
            405,
            json!({"error": format!("{} {} is not emulated", req.method, req.path)}),
        ),
        _ => (
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
            if matches!(f.messenger.as_str(), "telegram" | "whatsapp" | "viber")
                && (400..600).contains(&f.status)
                && f.times <= 1000 =>
        {
            queue_failures(state, &f.messenger, f.status, f.times);
            (200, json!({"ok": true}))
        }
        _ => (
            400,
            json!({"error": "expected {\"messenger\": telegram|whatsapp|viber, \"status\": 400..599, \"times\": n}"}),
        ),
    }
}
