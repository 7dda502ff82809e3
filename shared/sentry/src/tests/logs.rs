//! Log drafts, and the repairs of attributes sentry-types rejects.

use serde_json::json;

use crate::envelope::{parse_envelope, Item};
use crate::logs::log_drafts;
use crate::protocol::Log;

fn logs(items: serde_json::Value) -> Vec<Log> {
    let payload = json!({ "items": items }).to_string();
    let bytes = format!("{{}}\n{{\"type\":\"log\",\"item_count\":1}}\n{payload}\n");
    match parse_envelope(bytes.as_bytes()).unwrap().items.as_slice() {
        [Item::Logs(logs)] => logs.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn logs_become_drafts_with_flat_attributes() {
    let drafts = log_drafts(&logs(json!([
        {"timestamp": 1_700_000_000.123_456, "level": "info", "body": "Invoice 42 paid",
         "trace_id": "6710f5cdc571470fbae1bef9ae48abb3", "severity_number": 9,
         "attributes": {
            "sentry.message.template": {"value": "Invoice {invoice_id} paid", "type": "string"},
            "sentry.message.parameter.invoice_id": {"value": 42, "type": "integer"},
            "ratio": {"value": 0.5, "type": "double"},
            "ok": {"value": true, "type": "boolean"},
            "ids": {"value": [1, 2, 3], "type": "array"},
            "count": {"value": 2, "type": "double"},
            "bare": "plain",
            "odd": {"value": "x", "type": "uuid"},
            "empty": {"value": null, "type": "string"}
         }},
        {"timestamp": "2023-11-14T22:13:20Z", "level": "warning", "body": 5},
        {"timestamp": 1_700_000_000, "level": "critical", "body": "down", "trace_id": "nope"}
    ])));
    assert_eq!(drafts.len(), 3);
    let first = &drafts[0];
    assert_eq!(
        (first.level, first.body.as_str()),
        ("info", "Invoice 42 paid")
    );
    assert_eq!(first.timestamp_ms, 1_700_000_000_123);
    assert_eq!(
        first.trace_id.as_deref(),
        Some("6710f5cdc571470fbae1bef9ae48abb3")
    );
    assert_eq!(
        serde_json::Value::Object(first.attributes.clone()),
        json!({"sentry.message.template": "Invoice {invoice_id} paid",
               "sentry.message.parameter.invoice_id": 42, "ratio": 0.5, "ok": true,
               "ids": [1, 2, 3], "count": 2, "bare": "plain", "odd": "x"})
    );
    assert_eq!(
        (
            drafts[1].level,
            drafts[1].body.as_str(),
            drafts[1].timestamp_ms
        ),
        ("warn", "5", 1_700_000_000_000)
    );
    assert!(drafts[1].attributes.is_empty());
    assert_eq!(
        (drafts[2].level, drafts[2].trace_id.as_deref()),
        ("fatal", None)
    );
}

#[test]
fn every_level_has_its_name() {
    let levels = ["trace", "debug", "info", "warn", "error", "fatal"];
    let items: Vec<_> = levels
        .iter()
        .map(|l| json!({"timestamp": 1, "level": l, "body": "b"}))
        .collect();
    let drafts = log_drafts(&logs(json!(items)));
    assert_eq!(drafts.iter().map(|d| d.level).collect::<Vec<_>>(), levels);
}
