//! Viber REST API `send_message` (`POST /viber/pa/send_message`, `X-Viber-Auth-Token`). Like
//! the seed's emulator it always fails, in a `200` body as Viber reports errors: the rate limit
//! `12 tooManyRequests`, or `3 badData` (permanent) for a text over the limit.

use serde_json::{json, Value};

use super::limits::{text_len, VIBER_MAX_TEXT};
use super::recorder::{record, Shared};
use super::request::{as_text, json_body, Request};

/// Answers and records one `send_message`.
pub(crate) fn viber(req: &Request, state: &Shared) -> (u16, Value) {
    let body = json_body(req).unwrap_or(Value::Null);
    let token = req
        .headers
        .get("x-viber-auth-token")
        .cloned()
        .unwrap_or_default();
    let text = as_text(&body["text"]);
    let too_long = text_len(&text) > VIBER_MAX_TEXT;
    record(
        state,
        "viber",
        as_text(&body["receiver"]),
        text,
        token,
        body.clone(),
        |injected, _| {
            if let Some(status) = injected {
                return (
                    status,
                    false,
                    json!({"status": 13, "status_message": "emulated outage"}),
                );
            }
            if too_long {
                // A request Viber cannot take: permanent, unlike the rate limit below.
                return (
                    200,
                    false,
                    json!({"status": 3, "status_message": "badData", "chat_hostname": "emulator"}),
                );
            }
            // The seed's emulator: Viber always fails. Viber reports failures in a 200 body.
            (
                200,
                false,
                json!({"status": 12, "status_message": "tooManyRequests", "chat_hostname": "emulator"}),
            )
        },
    )
}
