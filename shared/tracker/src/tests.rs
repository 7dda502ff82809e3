//! Unit tests: the use cases over the in-memory stores (one file each under `tests/`), and
//! the pure parts (ids, input rules, page tokens) here.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use lookout_core::{auth::Tenant, ddb, time::Timestamp};
use serde_json::{json, Value};

use crate::input::{AddEvents, NewEvent, OrgId, StartSession};
use crate::limits::MAX_PAYLOAD_BYTES;
use crate::records::{event_id, TOKEN_KEYS};
use crate::start_session::start_session;
use crate::store::memory::MemoryTracker;

mod add_events;
mod end_session;
mod get_machine_events;
mod get_session;
mod start_session;

// ------------------------------------------------------------------ fixtures

pub(crate) fn tenant(name: &str) -> Tenant {
    Tenant::parse(name).unwrap()
}

pub(crate) fn ts(text: &str) -> Timestamp {
    Timestamp::parse_str(text).unwrap()
}

/// A `start_session` request of machine `machine` starting at `start_at`.
pub(crate) fn start(machine: &str, start_at: &str) -> StartSession {
    serde_json::from_value(json!({
        "userId": "u1", "machineId": machine, "startAt": start_at, "orgId": 7
    }))
    .unwrap()
}

/// A session of `tenant`'s machine `machine` started at `start_at`, in `store`: its id.
pub(crate) async fn started(
    store: &MemoryTracker,
    tenant: &Tenant,
    machine: &str,
    start_at: &str,
) -> String {
    start_session(&store.sessions, tenant, start(machine, start_at))
        .await
        .unwrap()
}

/// An `add_event` request for session `session` of `events` (JSON).
pub(crate) fn add(session: &str, events: Value) -> AddEvents {
    serde_json::from_value(json!({"sessionId": session, "events": events})).unwrap()
}

/// `n` distinct events a second apart from `2026-01-01T00:00:00Z`, of type `click` with
/// payload `{"n": i}`.
pub(crate) fn clicks(n: usize) -> Value {
    let at = ts("2026-01-01T00:00:00Z");
    (0..n)
        .map(|i| {
            let ms = 1000 * i64::try_from(i).unwrap();
            json!({"eventAt": at.plus_millis(ms).unwrap(), "eventType": "click", "payload": {"n": i}})
        })
        .collect()
}

// ------------------------------------------------------------------ pure parts

#[test]
fn event_ids_are_stable_and_distinct() {
    // Pinned: stored event keys carry it, so a change of the derivation would duplicate every
    // retried event instead of overwriting it.
    let a = event_id("s", "t", "x", "{}", 0);
    assert_eq!(a, "4266085dc725c04085e50fd1");
    assert_ne!(a, event_id("s", "t", "x", "{}", 1));
    assert_ne!(a, event_id("s", "t", "x", "{\"a\":1}", 0));
    // Length-prefixing keeps field boundaries unambiguous.
    assert_ne!(
        event_id("s", "tx", "", "{}", 0),
        event_id("s", "t", "x", "{}", 0)
    );
}

#[test]
fn input_validation_explains_itself() {
    let err = serde_json::from_value::<StartSession>(
        json!({"userId":"", "machineId":"m", "startAt":"2023-01-01"}),
    )
    .unwrap_err();
    assert!(err.to_string().contains("must not be empty"), "{err}");
    let err = serde_json::from_value::<StartSession>(
        json!({"userId":"u", "machineId":"m", "startAt":"2023-01-01", "orgId": [1]}),
    )
    .unwrap_err();
    assert!(err.to_string().contains("orgId"), "{err}");
    let big = "x".repeat(MAX_PAYLOAD_BYTES);
    let err = serde_json::from_value::<NewEvent>(
        json!({"eventAt":"2023-01-01","eventType":"t","payload":{"a":big}}),
    )
    .unwrap_err();
    assert!(err.to_string().contains("payload is"), "{err}");
    let ok = serde_json::from_value::<StartSession>(
        json!({"userId":"u", "machineId":"m", "startAt":"2023-01-01", "orgId": 11232}),
    )
    .unwrap();
    assert_eq!(ok.org_id, Some(OrgId(json!(11232))));
}

#[test]
fn page_tokens_roundtrip_and_are_bound_to_their_query() {
    let key: HashMap<String, AttributeValue> = TOKEN_KEYS
        .iter()
        .map(|k| ((*k).to_owned(), AttributeValue::S(format!("{k}-v"))))
        .chain([("gsi1pk".to_owned(), AttributeValue::S("MACHINE#t#m".into()))])
        .collect();
    let decode =
        |t: &str, pk: &str| ddb::decode_page_token(t, &TOKEN_KEYS, ("gsi1pk", pk), "nextToken");
    let token = ddb::encode_page_token(&key, &TOKEN_KEYS);
    assert_eq!(decode(&token, "MACHINE#t#m").unwrap(), key);
    assert!(decode(&token, "MACHINE#other#m").is_err());
    assert!(decode("zz", "MACHINE#t#m").is_err());
}
