//! A generic webhook receiver (`POST /webhook/{name}`), standing in for a tenant's endpoint:
//! `200 {"ok":true}` for a JSON body, `400` for another, `410` when the name contains
//! `deleted`. It records the headers a receiver checks (`Lookout-Signature`,
//! `Lookout-Event-Id`, `Content-Type`) so a test can verify the signature over the body. An
//! injected `429` comes with `Retry-After: 1`.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::recorder::{record_with, Incoming, Shared};
use super::reply::Reply;
use super::request::{as_text, json_body, Request};

/// The headers recorded (lower case).
const KEPT_HEADERS: [&str; 3] = ["lookout-signature", "lookout-event-id", "content-type"];

/// Answers and records one delivery to the receiver `name`.
pub(crate) fn webhook(req: &Request, name: &str, state: &Shared) -> Reply {
    let parsed = json_body(req);
    let body = parsed.clone().unwrap_or(Value::Null);
    let headers: BTreeMap<String, String> = KEPT_HEADERS
        .iter()
        .filter_map(|h| req.headers.get(*h).map(|v| ((*h).to_owned(), v.clone())))
        .collect();
    let incoming = Incoming {
        messenger: "webhook",
        address: name.to_owned(),
        text: as_text(&body["text"]),
        credential: String::new(),
        body: body.clone(),
        headers: Some(headers),
    };
    let (_, reply) = record_with(state, incoming, |injected, _| {
        if let Some(status) = injected {
            let reply = Reply::json(status, json!({"error": "emulated outage"}));
            let reply = if status == 429 {
                reply.with_header("Retry-After", "1")
            } else {
                reply
            };
            return (status, false, reply);
        }
        if name.contains("deleted") {
            return (410, false, Reply::json(410, json!({"error": "gone"})));
        }
        if parsed.is_none() {
            return (
                400,
                false,
                Reply::json(400, json!({"error": "body is not JSON"})),
            );
        }
        (200, true, Reply::json(200, json!({"ok": true})))
    });
    reply
}
