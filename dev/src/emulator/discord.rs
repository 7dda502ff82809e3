//! Discord webhooks (`POST /discord/api/webhooks/{id}/{token}`): `204 No Content`, or `200`
//! with the message with `?wait=true`; `404 Unknown Webhook` (`10015`) when the token contains
//! `deleted`; `400` `50109` for a body that is not JSON, `50006` "Cannot send an empty
//! message" with neither `content` nor `embeds` (as Discord answers it), and `50035` "Invalid
//! Form Body" with the offending field for `content` over 2,000 characters, more than 10
//! embeds, or an embed over its limits. An injected `429` answers Discord's rate-limit body
//! (`retry_after: 1.5`) with `Retry-After: 2` (Discord rounds the header up).

use serde_json::{json, Value};

use super::limits::{
    char_len, DISCORD_MAX_AUTHOR, DISCORD_MAX_CONTENT, DISCORD_MAX_DESCRIPTION, DISCORD_MAX_EMBEDS,
    DISCORD_MAX_EMBED_TOTAL, DISCORD_MAX_FIELDS, DISCORD_MAX_FIELD_NAME, DISCORD_MAX_FIELD_VALUE,
    DISCORD_MAX_FOOTER, DISCORD_MAX_TITLE,
};
use super::recorder::{record, Shared};
use super::reply::Reply;
use super::request::{as_text, has_query, json_body, Request};

/// Answers and records one message to the webhook `{id}/{token}`.
pub(crate) fn discord(req: &Request, id: &str, token: &str, state: &Shared) -> Reply {
    let parsed = json_body(req);
    let body = parsed.clone().unwrap_or(Value::Null);
    let content = as_text(&body["content"]);
    let verdict = match &parsed {
        Some(v) if v.is_object() => check(v, &content),
        _ => Err(json!({"code": 50109, "message": "The request body contains invalid JSON."})),
    };
    let wait = has_query(req, "wait", "true");
    let (_, reply) = record(
        state,
        "discord",
        id.to_owned(),
        content.clone(),
        token.to_owned(),
        body.clone(),
        |injected, n| {
            if let Some(status) = injected {
                let reply = if status == 429 {
                    Reply::json(
                        429,
                        json!({"message": "You are being rate limited.", "retry_after": 1.5, "global": false}),
                    )
                    .with_header("Retry-After", "2")
                } else {
                    Reply::json(status, json!({"message": "Service Unavailable", "code": 0}))
                };
                return (status, false, reply);
            }
            if token.contains("deleted") {
                return (
                    404,
                    false,
                    Reply::json(404, json!({"message": "Unknown Webhook", "code": 10015})),
                );
            }
            if let Err(error) = verdict {
                return (400, false, Reply::json(400, error));
            }
            if !wait {
                return (204, true, Reply::empty(204));
            }
            let message = json!({
                "id": format!("{}", 1_300_000_000_000_000_000_u64 + n),
                "type": 0,
                "channel_id": "1200000000000000000",
                "webhook_id": id,
                "content": content,
                "embeds": body.get("embeds").cloned().unwrap_or_else(|| json!([])),
                "timestamp": chrono::Utc::now().to_rfc3339(),
            });
            (200, true, Reply::json(200, message))
        },
    );
    reply
}

/// A `50035 Invalid Form Body` naming the field (a path into the body) and what is wrong.
fn invalid(path: &[&str], code: &str, message: String) -> Value {
    let mut errors = json!({"_errors": [{"code": code, "message": message}]});
    for key in path.iter().rev() {
        errors = json!({ (*key): errors });
    }
    json!({"code": 50035, "message": "Invalid Form Body", "errors": errors})
}

/// A field longer than `max`.
fn too_long(path: &[&str], max: usize) -> Value {
    invalid(
        path,
        "BASE_TYPE_MAX_LENGTH",
        format!("Must be {max} or fewer in length."),
    )
}

/// Whether Discord takes the message, or its error body.
fn check(body: &Value, content: &str) -> Result<(), Value> {
    let embeds = body["embeds"].as_array().cloned().unwrap_or_default();
    if content.trim().is_empty() && embeds.is_empty() {
        return Err(json!({"code": 50006, "message": "Cannot send an empty message"}));
    }
    if char_len(content) > DISCORD_MAX_CONTENT {
        return Err(too_long(&["content"], DISCORD_MAX_CONTENT));
    }
    if embeds.len() > DISCORD_MAX_EMBEDS {
        return Err(too_long(&["embeds"], DISCORD_MAX_EMBEDS));
    }
    let mut total = 0;
    for (i, embed) in embeds.iter().enumerate() {
        let i = i.to_string();
        let len = |v: &Value| v.as_str().map_or(0, char_len);
        for (field, max) in [
            ("title", DISCORD_MAX_TITLE),
            ("description", DISCORD_MAX_DESCRIPTION),
        ] {
            if len(&embed[field]) > max {
                return Err(too_long(&["embeds", &i, field], max));
            }
            total += len(&embed[field]);
        }
        if len(&embed["footer"]["text"]) > DISCORD_MAX_FOOTER {
            return Err(too_long(
                &["embeds", &i, "footer", "text"],
                DISCORD_MAX_FOOTER,
            ));
        }
        if len(&embed["author"]["name"]) > DISCORD_MAX_AUTHOR {
            return Err(too_long(
                &["embeds", &i, "author", "name"],
                DISCORD_MAX_AUTHOR,
            ));
        }
        total += len(&embed["footer"]["text"]) + len(&embed["author"]["name"]);
        let fields = embed["fields"].as_array().cloned().unwrap_or_default();
        if fields.len() > DISCORD_MAX_FIELDS {
            return Err(too_long(&["embeds", &i, "fields"], DISCORD_MAX_FIELDS));
        }
        for (j, f) in fields.iter().enumerate() {
            let j = j.to_string();
            for (part, max) in [
                ("name", DISCORD_MAX_FIELD_NAME),
                ("value", DISCORD_MAX_FIELD_VALUE),
            ] {
                if len(&f[part]) > max {
                    return Err(too_long(&["embeds", &i, "fields", &j, part], max));
                }
                if len(&f[part]) == 0 {
                    return Err(invalid(
                        &["embeds", &i, "fields", &j, part],
                        "BASE_TYPE_REQUIRED",
                        "This field is required".to_owned(),
                    ));
                }
                total += len(&f[part]);
            }
        }
    }
    if total > DISCORD_MAX_EMBED_TOTAL {
        return Err(invalid(
            &["embeds"],
            "MAX_EMBED_SIZE_EXCEEDED",
            format!("Embed size exceeds maximum size of {DISCORD_MAX_EMBED_TOTAL}"),
        ));
    }
    Ok(())
}
