//! Slack incoming webhooks (`POST /slack/services/{T}/{B}/{secret}`), answering in text as
//! Slack does: `200 ok`; `404 no_service` when the secret contains `deleted` (a removed
//! webhook); `400 invalid_payload` for a body that is not a JSON object or has neither `text`
//! nor `blocks`; `400 invalid_blocks` for blocks over Block Kit's limits (50 blocks, header
//! 150, section text 3,000); `400 msg_too_long` for a `text` over 40,000 characters. An
//! injected `429` answers `rate_limited` with `Retry-After: 1`.

use serde_json::Value;

use super::limits::{
    char_len, SLACK_MAX_BLOCKS, SLACK_MAX_HEADER, SLACK_MAX_SECTION, SLACK_MAX_TEXT,
};
use super::recorder::{record, Shared};
use super::reply::Reply;
use super::request::{as_text, json_body, Request};

/// Answers and records one message to the webhook `{team}/{bot}/{secret}`.
pub(crate) fn slack(req: &Request, team: &str, bot: &str, secret: &str, state: &Shared) -> Reply {
    let body = json_body(req).unwrap_or(Value::Null);
    let text = as_text(&body["text"]);
    let verdict = check(&body, &text);
    let (_, reply) = record(
        state,
        "slack",
        format!("{team}/{bot}"),
        text,
        secret.to_owned(),
        body.clone(),
        |injected, _| {
            if let Some(status) = injected {
                let reply = if status == 429 {
                    Reply::text(429, "rate_limited").with_header("Retry-After", "1")
                } else {
                    Reply::text(status, "service_unavailable")
                };
                return (status, false, reply);
            }
            if secret.contains("deleted") {
                return (404, false, Reply::text(404, "no_service"));
            }
            match verdict {
                Err(error) => (400, false, Reply::text(400, error)),
                Ok(()) => (200, true, Reply::text(200, "ok")),
            }
        },
    );
    reply
}

/// Whether Slack takes the message, or the error it answers.
fn check(body: &Value, text: &str) -> Result<(), &'static str> {
    if !body.is_object() {
        return Err("invalid_payload");
    }
    let blocks = &body["blocks"];
    if text.trim().is_empty() && blocks.as_array().is_none_or(Vec::is_empty) {
        return Err("invalid_payload");
    }
    if char_len(text) > SLACK_MAX_TEXT {
        return Err("msg_too_long");
    }
    if blocks.is_null() {
        return Ok(());
    }
    let Some(blocks) = blocks.as_array() else {
        return Err("invalid_blocks");
    };
    if blocks.len() > SLACK_MAX_BLOCKS {
        return Err("invalid_blocks");
    }
    let over = |v: &Value, max: usize| v.as_str().is_some_and(|s| char_len(s) > max);
    let bad_block = blocks.iter().any(|b| match b["type"].as_str() {
        Some("header") => {
            over(&b["text"]["text"], SLACK_MAX_HEADER)
                || b["text"]["text"].as_str().is_none_or(str::is_empty)
        }
        Some("section") => over(&b["text"]["text"], SLACK_MAX_SECTION),
        Some(_) => false,
        None => true,
    });
    if bad_block {
        return Err("invalid_blocks");
    }
    Ok(())
}
