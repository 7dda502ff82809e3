//! WhatsApp Cloud API text messages (`POST /whatsapp/{phone_number_id}/messages`): `401`
//! without a bearer token, `400` `(#100)` for another shape or a text over the limit; errors in
//! the Graph API's `{"error":{…}}` form.

use serde_json::{json, Value};

use super::limits::{text_len, WHATSAPP_MAX_TEXT};
use super::recorder::{record, Shared};
use super::request::{as_text, json_body, Request};

/// Answers and records one text message.
pub(crate) fn whatsapp(req: &Request, state: &Shared) -> (u16, Value) {
    let body = json_body(req).unwrap_or(Value::Null);
    let bearer = req
        .headers
        .get("authorization")
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .unwrap_or_default()
        .trim()
        .to_owned();
    let to = as_text(&body["to"]);
    let text = as_text(&body["text"]["body"]);
    let error = |status: u16, code: u32, message: &str| {
        (
            status,
            false,
            json!({"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "emulator"}}),
        )
    };
    let shape_ok = body["messaging_product"] == "whatsapp"
        && body["type"] == "text"
        && !to.is_empty()
        && !text.trim().is_empty();
    record(
        state,
        "whatsapp",
        to.clone(),
        text.clone(),
        bearer.clone(),
        body.clone(),
        |injected, id| {
            if let Some(status) = injected {
                return error(status, 2, "Service temporarily unavailable");
            }
            if bearer.is_empty() {
                return error(401, 190, "Invalid OAuth access token.");
            }
            if !shape_ok {
                return error(400, 100, "(#100) Invalid parameter");
            }
            if text_len(&text) > WHATSAPP_MAX_TEXT {
                let details = format!(
                    "Param text['body'] must be at most {WHATSAPP_MAX_TEXT} characters long."
                );
                return (
                    400,
                    false,
                    json!({"error": {
                        "message": format!("(#100) {details}"),
                        "type": "OAuthException",
                        "code": 100,
                        "error_data": {"messaging_product": "whatsapp", "details": details},
                        "fbtrace_id": "emulator",
                    }}),
                );
            }
            (
                200,
                true,
                json!({
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": to, "wa_id": to.trim_start_matches('+')}],
                    "messages": [{"id": format!("wamid.emulator{id}")}],
                }),
            )
        },
    )
}
