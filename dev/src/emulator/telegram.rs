//! Telegram Bot API `sendMessage` (`POST /telegram/bot{token}/sendMessage`): `403` "bot was
//! blocked by the user" when the chat id contains `blocked`, `404` without a token, `400` for an
//! empty chat id or text or a text over the limit; injected failures answer with
//! `retry_after: 1`. And `setWebhook` (`POST /telegram/bot{token}/setWebhook`), recorded as
//! `telegram_webhook` so a test can play Telegram's side: post an update to that URL with its
//! `secret_token`.

use serde_json::{json, Value};

use super::limits::{text_len, TELEGRAM_MAX_TEXT};
use super::recorder::{record, Shared};
use super::request::{as_text, json_body, Request};

/// Answers and records one `setWebhook` of the bot `token` (as `telegram_webhook`, the
/// webhook's URL as its address): `401` "Unauthorized" for a token containing `revoked`,
/// `400` "bad webhook: An HTTPS URL must be provided for webhook" for a URL that is neither
/// https nor the local stack's loopback http.
pub(crate) fn set_webhook(req: &Request, token: &str, state: &Shared) -> (u16, Value) {
    let body = json_body(req).unwrap_or(Value::Null);
    let url = as_text(&body["url"]);
    record(
        state,
        "telegram_webhook",
        url.clone(),
        "setWebhook".to_owned(),
        token.to_owned(),
        body.clone(),
        |_, _| {
            if token.is_empty() || token.contains("revoked") {
                return (
                    401,
                    false,
                    json!({"ok": false, "error_code": 401, "description": "Unauthorized"}),
                );
            }
            let loopback =
                url.starts_with("http://127.0.0.1") || url.starts_with("http://localhost");
            if !url.starts_with("https://") && !loopback {
                return (
                    400,
                    false,
                    json!({"ok": false, "error_code": 400, "description": "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"}),
                );
            }
            (
                200,
                true,
                json!({"ok": true, "result": true, "description": "Webhook was set"}),
            )
        },
    )
}

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
