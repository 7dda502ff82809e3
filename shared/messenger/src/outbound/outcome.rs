//! Reading each messenger's answer (pure): delivered, rejected for good, or worth a retry.

use serde_json::Value;

use crate::outbound::error::{Delivered, MessengerError};
use crate::outbound::kind::MessengerKind;

/// How much of a provider's error body is kept in an error text.
const DETAIL_CHARS: usize = 300;

pub(crate) fn detail(body: &Value, pointer: &str) -> String {
    let text = body
        .pointer(pointer)
        .and_then(Value::as_str)
        .map_or_else(|| body.to_string(), str::to_owned);
    text.chars().take(DETAIL_CHARS).collect()
}

/// HTTP 429 and 5xx are worth retrying; other failures are not.
pub(crate) fn by_status(kind: MessengerKind, status: u16, detail: String) -> MessengerError {
    if status == 429 || status == 408 || status >= 500 {
        MessengerError::Unavailable {
            kind,
            status: Some(status),
            detail,
        }
    } else {
        MessengerError::Rejected {
            kind,
            status,
            detail,
        }
    }
}

pub(crate) fn telegram_outcome(status: u16, body: &Value) -> Result<Delivered, MessengerError> {
    let kind = MessengerKind::Telegram;
    if (200..300).contains(&status) && body["ok"] == Value::Bool(true) {
        return Ok(Delivered {
            provider_id: body
                .pointer("/result/message_id")
                .filter(|v| !v.is_null())
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
        });
    }
    let code = body["error_code"]
        .as_u64()
        .and_then(|c| u16::try_from(c).ok())
        .filter(|_| !(200..300).contains(&status))
        .unwrap_or(status);
    Err(by_status(kind, code, detail(body, "/description")))
}

pub(crate) fn whatsapp_outcome(status: u16, body: &Value) -> Result<Delivered, MessengerError> {
    let kind = MessengerKind::WhatsApp;
    if (200..300).contains(&status) {
        return match body.pointer("/messages/0/id").and_then(Value::as_str) {
            Some(id) => Ok(Delivered {
                provider_id: Some(id.to_owned()),
            }),
            None => Err(MessengerError::Rejected {
                kind,
                status,
                detail: format!("unexpected reply {}", detail(body, "")),
            }),
        };
    }
    Err(by_status(kind, status, detail(body, "/error/message")))
}

/// Viber's `status` codes that may pass: 12 tooManyRequests.
pub(crate) const VIBER_TRANSIENT: [u64; 1] = [12];

pub(crate) fn viber_outcome(status: u16, body: &Value) -> Result<Delivered, MessengerError> {
    let kind = MessengerKind::Viber;
    if !(200..300).contains(&status) {
        return Err(by_status(kind, status, detail(body, "/status_message")));
    }
    match body["status"].as_u64() {
        Some(0) => Ok(Delivered {
            provider_id: body
                .get("message_token")
                .filter(|v| !v.is_null())
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
        }),
        Some(code) => {
            let detail = format!("status {code} {}", detail(body, "/status_message"));
            if VIBER_TRANSIENT.contains(&code) {
                Err(MessengerError::Unavailable {
                    kind,
                    status: Some(status),
                    detail,
                })
            } else {
                Err(MessengerError::Rejected {
                    kind,
                    status,
                    detail,
                })
            }
        }
        None => Err(MessengerError::Rejected {
            kind,
            status,
            detail: format!("unexpected reply {}", detail(body, "")),
        }),
    }
}
