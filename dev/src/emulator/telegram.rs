//! Telegram Bot API `sendMessage` (`POST /telegram/bot{token}/sendMessage`): `403` "bot was
//! blocked by the user" when the chat id contains `blocked`, `404` without a token, `400` for an
//! empty chat id or text or a text over the limit; injected failures answer with
//! `retry_after: 1`.

use serde_json::{json, Value};

use super::limits::{text_len, TELEGRAM_MAX_TEXT};
use super::recorder::{record, Shared};
use super::request::{as_text, json_body, Request};

/// Answers and records one `sendMessage` with the bot token `token`.
pub(crate) fn telegram(req: &Request, token: &str, state: &Shared) -> (u16, Value) {
    let body = json_body(req).unwrap_or(Value::Null);
    let chat = as_text(&body["chat_id"]);
    let text = as_text(&body["text"]);
    let bad = |description: &str| json!({"ok": false, "error_code": 400, "description": format!("Bad Request: {description}")});
    record(
        state,
        "telegram",
        chat.clone(),
        text.clone(),
        token.to_owned(),
        body.clone(),
        |injected, id| {
            if let Some(status) = injected {
                let description = if status == 429 {
                    "Too Many Requests: retry after 1"
                } else {
                    "Internal Server Error"
                };
                return (
                    status,
                    false,
                    json!({"ok": false, "error_code": status, "description": description, "parameters": {"retry_after": 1}}),
                );
            }
            if token.is_empty() {
                return (
                    404,
                    false,
                    json!({"ok": false, "error_code": 404, "description": "Not Found"}),
                );
            }
            if chat.is_empty() {
                return (400, false, bad("chat_id is empty"));
            }
            if text.trim().is_empty() {
                return (400, false, bad("message text is empty"));
            }
            if text_len(&text) > TELEGRAM_MAX_TEXT {
                return (400, false, bad("message is too long"));
            }
            if chat.contains("blocked") {
                return (
                    403,
                    false,
                    json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
                );
            }
            (
                200,
                true,
                json!({"ok": true, "result": {
                    "message_id": id,
                    "date": chrono::Utc::now().timestamp(),
                    "chat": {"id": body["chat_id"]},
                    "text": text,
                }}),
            )
        },
    )
}
