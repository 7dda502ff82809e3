//! Envelope framing, item dispatch, errors, and the repairs of what sentry-types rejects.

use serde_json::json;

use crate::envelope::{parse_envelope, parse_store, EnvelopeError, Item, MAX_ITEMS};
use crate::protocol::{Level, MonitorCheckInStatus};
use crate::tests::support::{envelope, event};

const HEADER: &str =
    r#"{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","sent_at":"2026-01-01T00:00:00.000000Z"}"#;
const EVENT: &[u8] = br#"{"message":"hello","level":"info"}"#;
const CHECK_IN: &[u8] =
    br#"{"check_in_id":"83a7c03ed0a04e1b97e2e3b18d38f244","monitor_slug":"backup","status":"ok"}"#;
const LOGS: &[u8] =
    br#"{"items":[{"timestamp":1700000000.5,"level":"info","body":"hi","attributes":{}}]}"#;

fn with_length(item_type: &str, payload: &[u8]) -> String {
    format!(r#"{{"type":"{item_type}","length":{}}}"#, payload.len())
}

fn types(bytes: &[u8]) -> Vec<String> {
    parse_envelope(bytes)
        .unwrap()
        .items
        .iter()
        .map(|i| i.item_type().to_owned())
        .collect()
}

#[test]
fn items_with_lengths_are_framed_by_them() {
    let bytes = envelope(
        HEADER,
        &[
            (&with_length("event", EVENT), EVENT),
            (&with_length("check_in", CHECK_IN), CHECK_IN),
            (&with_length("log", LOGS), LOGS),
        ],
    );
    let parsed = parse_envelope(&bytes).unwrap();
    assert_eq!(
        parsed.event_id.as_deref(),
        Some("9ec79c33ec9942ab8353589fcb2e04dc")
    );
    assert_eq!(parsed.dsn, None);
    let [Item::Event(e), Item::CheckIn(c), Item::Logs(logs)] = parsed.items.as_slice() else {
        panic!("{:?}", parsed.items);
    };
    assert_eq!(e.message.as_deref(), Some("hello"));
    assert_eq!(e.level, Level::Info);
    assert_eq!(
        (c.monitor_slug.as_str(), c.status),
        ("backup", MonitorCheckInStatus::Ok)
    );
    assert_eq!(logs.len(), 1);
}

#[test]
fn items_without_lengths_end_at_the_newline() {
    let bytes = envelope(
        HEADER,
        &[
            (r#"{"type":"event"}"#, EVENT),
            (r#"{"type":"check_in"}"#, CHECK_IN),
        ],
    );
    assert_eq!(types(&bytes), ["event", "check_in"]);
}

#[test]
fn the_last_newline_is_optional_and_blank_lines_are_tolerated() {
    let mut bytes = envelope(HEADER, &[(&with_length("event", EVENT), EVENT)]);
    bytes.pop();
    assert_eq!(types(&bytes), ["event"]);

    let mut bytes = envelope(HEADER, &[(r#"{"type":"event"}"#, EVENT)]);
    bytes.pop();
    assert_eq!(types(&bytes), ["event"]);

    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"\n\n{\"type\":\"event\"}\n");
    bytes.extend_from_slice(EVENT);
    bytes.extend_from_slice(b"\n\n\r\n{\"type\":\"session\"}\r\n{}\n\n\n");
    assert_eq!(types(&bytes), ["event", "session"]);
}

#[test]
fn an_envelope_may_have_no_items() {
    for bytes in [
        HEADER.to_owned(),
        format!("{HEADER}\n"),
        format!("{HEADER}\n\n"),
        "{}".to_owned(),
    ] {
        assert_eq!(
            parse_envelope(bytes.as_bytes()).unwrap().items,
            [],
            "{bytes}"
        );
    }
}

#[test]
fn the_header_keeps_event_id_and_dsn() {
    let header = r#"{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://abc@lookout.example.com/42","sdk":{"name":"sentry.javascript.browser","version":"8.0.0"}}"#;
    let parsed = parse_envelope(header.as_bytes()).unwrap();
    assert_eq!(
        parsed.dsn.as_deref(),
        Some("https://abc@lookout.example.com/42")
    );
    let parsed = parse_envelope(br#"{"event_id":null,"dsn":5}"#).unwrap();
    assert_eq!((parsed.event_id, parsed.dsn), (None, None));
}

#[test]
fn unknown_item_types_are_dropped_unread() {
    let attachment: &[u8] = b"\x00\x01binary\nwith newlines\n\xff";
    let bytes = envelope(
        HEADER,
        &[
            (
                r#"{"type":"client_report"}"#,
                br#"{"timestamp":1700000000,"discarded_events":[{"reason":"queue_overflow","category":"error","quantity":3}]}"#,
            ),
            (
                &format!(
                    r#"{{"type":"attachment","length":{},"filename":"dump.bin"}}"#,
                    attachment.len()
                ),
                attachment,
            ),
            (r#"{"type":"transaction"}"#, b"not even json"),
            (r#"{"type":"sessions"}"#, br#"{"aggregates":[]}"#),
            (r#"{"type":"a_type_from_the_future","length":0}"#, b""),
            (&with_length("event", EVENT), EVENT),
        ],
    );
    let parsed = parse_envelope(&bytes).unwrap();
    assert_eq!(
        types(&bytes),
        [
            "client_report",
            "attachment",
            "transaction",
            "sessions",
            "a_type_from_the_future",
            "event"
        ]
    );
    assert_eq!(
        parsed.items[0],
        Item::Dropped {
            item_type: "client_report".to_owned()
        }
    );
}

#[test]
fn malformed_envelopes_are_errors_that_say_why() {
    let cases: Vec<(Vec<u8>, EnvelopeError)> = vec![
        (b"".to_vec(), EnvelopeError::Empty),
        (b" \n ".to_vec(), EnvelopeError::Empty),
        (
            b"[1,2]\n".to_vec(),
            EnvelopeError::Header("not a JSON object".to_owned()),
        ),
        (
            format!("{HEADER}\n{{\"length\":2}}\n{{}}\n").into_bytes(),
            EnvelopeError::ItemHeader {
                index: 0,
                reason: "no string `type`".to_owned(),
            },
        ),
        (
            format!("{HEADER}\n{{\"type\":\"event\",\"length\":-1}}\n{{}}\n").into_bytes(),
            EnvelopeError::ItemHeader {
                index: 0,
                reason: "`length` -1 is not a byte count".to_owned(),
            },
        ),
        (
            format!("{HEADER}\n{{\"type\":\"session\"}}\n{{}}\n{{\"type\":\"event\",\"length\":500}}\n{{}}\n")
                .into_bytes(),
            EnvelopeError::Truncated {
                index: 1,
                item_type: "event".to_owned(),
                length: 500,
            },
        ),
        (
            format!("{HEADER}\n{{\"type\":\"event\",\"length\":2}}\n{{}}xx\n").into_bytes(),
            EnvelopeError::MissingNewline {
                index: 0,
                item_type: "event".to_owned(),
                length: 2,
            },
        ),
    ];
    for (bytes, expected) in cases {
        assert_eq!(
            parse_envelope(&bytes),
            Err(expected),
            "{}",
            String::from_utf8_lossy(&bytes)
        );
    }
    for bytes in [
        b"{\"event_id\":".to_vec(),
        b"{} trailing\n".to_vec(),
        b"not json\n".to_vec(),
    ] {
        let err = parse_envelope(&bytes).unwrap_err();
        assert!(matches!(err, EnvelopeError::Header(_)), "{err:?}");
    }
    let err = parse_envelope(format!("{HEADER}\n{{\"type\":\n").as_bytes()).unwrap_err();
    assert!(
        matches!(err, EnvelopeError::ItemHeader { index: 0, .. }),
        "{err:?}"
    );
}

#[test]
fn a_known_item_that_does_not_parse_fails_the_envelope() {
    let cases: [(&str, &[u8]); 5] = [
        ("event", b"{not json"),
        ("event", b"[1]"),
        ("check_in", br#"{"status":"ok"}"#),
        ("log", br#"{"logs":[]}"#),
        ("log", br#"{"items":[{"level":"info","timestamp":1}]}"#),
    ];
    for (item_type, payload) in cases {
        let bytes = envelope(HEADER, &[(&with_length(item_type, payload), payload)]);
        let err = parse_envelope(&bytes).unwrap_err();
        let EnvelopeError::Payload {
            index: 0,
            item_type: t,
            reason,
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(t, item_type);
        assert!(!reason.is_empty());
        assert!(err
            .to_string()
            .starts_with(&format!("item 0 ({item_type}): bad payload: ")));
    }
}

#[test]
fn at_most_a_thousand_items() {
    let report: &[u8] = br#"{"discarded_events":[]}"#;
    let item = (r#"{"type":"client_report"}"#, report);
    let full = envelope(HEADER, &vec![item; MAX_ITEMS]);
    assert_eq!(parse_envelope(&full).unwrap().items.len(), MAX_ITEMS);
    let over = envelope(HEADER, &vec![item; MAX_ITEMS + 1]);
    assert_eq!(
        parse_envelope(&over),
        Err(EnvelopeError::TooManyItems { limit: MAX_ITEMS })
    );
    assert_eq!(
        EnvelopeError::TooManyItems { limit: MAX_ITEMS }.to_string(),
        "more than 1000 items in one envelope"
    );
}

#[test]
fn store_bodies_are_one_event() {
    let e = parse_store(br#"{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","message":"legacy"}"#)
        .unwrap();
    assert_eq!(e.message.as_deref(), Some("legacy"));
    assert_eq!(
        e.event_id.as_simple().to_string(),
        "9ec79c33ec9942ab8353589fcb2e04dc"
    );
    assert!(matches!(
        parse_store(b"\"text\""),
        Err(EnvelopeError::Event(_))
    ));
    assert!(matches!(parse_store(b""), Err(EnvelopeError::Event(_))));
}

/// What the Python SDK (and others) send that sentry-types' structs alone would reject.
#[test]
fn real_sdk_quirks_are_repaired_not_rejected() {
    let e = event(json!({
        "event_id": "not-a-uuid",
        "timestamp": "2026-01-01T10:00:00.123456",
        "level": "notset",
        "tags": {"shard": 3, "canary": true, "tenant": "acme", "nothing": null},
        "user": {"id": 42, "ip_address": "{{auto}}", "segment": "pro"},
        "request": {
            "url": "/relative/only",
            "method": "POST",
            "data": {"amount": 1250},
            "cookies": {"session": "s1", "theme": "dark"},
            "query_string": [["a", "1"], ["b", "2"]],
            "headers": [["Host", "shop.example.com"], ["X-Count", 2]],
            "env": {"SERVER_PORT": 8000}
        },
        "contexts": {
            "trace": {"trace_id": "not-hex", "span_id": "aea139ae0147811a"},
            "culture": {"type": "culture", "locale": "de-DE"},
            "celery": {"task": "billing.charge"},
            "broken": "not an object"
        },
        "breadcrumbs": [
            {"timestamp": 1_700_000_000.5, "level": "critical", "message": "disk"},
            {"timestamp": "yesterday", "level": "success", "message": 5},
            "not a breadcrumb"
        ],
        "exception": [{
            "type": "ValueError",
            "value": 12,
            "mechanism": {"handled": "no", "help_link": "not a url"},
            "stacktrace": {"frames": [
                {"function": "f", "lineno": "12", "colno": -1, "in_app": "yes",
                 "pre_context": ["a", null, 3], "post_context": "nope",
                 "vars": {"password": "hunter2"}},
                "not a frame",
                {"function": "g", "lineno": 7.0, "instruction_addr": "not hex"}
            ]}
        }],
        "fingerprint": ["{{ default }}", 7],
        "sdk": {"name": "sentry.python", "version": 2, "integrations": ["a", 1], "packages": [{"name": "x"}]},
        "modules": {"django": 5},
        "extra": {"anything": [1, {"goes": null}]},
        "logger": null,
        "release": 1.5
    }));
    assert_eq!(e.level, Level::Debug);
    assert_eq!(e.tags["shard"], "3");
    assert_eq!(e.tags["canary"], "true");
    assert!(!e.tags.contains_key("nothing"));
    let user = e.user.as_ref().unwrap();
    assert_eq!(user.id.as_deref(), Some("42"));
    assert_eq!(user.other["segment"], "pro");
    let request = e.request.as_ref().unwrap();
    assert_eq!(request.url, None);
    assert_eq!(request.data.as_deref(), Some(r#"{"amount":1250}"#));
    assert_eq!(request.cookies.as_deref(), Some("session=s1; theme=dark"));
    assert_eq!(request.query_string.as_deref(), Some("a=1&b=2"));
    assert_eq!(request.headers["X-Count"], "2");
    assert_eq!(request.env["SERVER_PORT"], "8000");
    assert_eq!(e.contexts.len(), 3);
    assert_eq!(e.contexts["trace"].type_name(), "unknown");
    assert_eq!(e.contexts["culture"].type_name(), "unknown");
    assert_eq!(e.breadcrumbs.len(), 2);
    assert_eq!(e.breadcrumbs[0].level, Level::Fatal);
    assert_eq!(e.breadcrumbs[1].level, Level::Info);
    assert_eq!(e.breadcrumbs[1].message.as_deref(), Some("5"));
    let x = &e.exception[0];
    assert_eq!(
        (x.ty.as_str(), x.value.as_deref()),
        ("ValueError", Some("12"))
    );
    let mechanism = x.mechanism.as_ref().unwrap();
    assert_eq!(
        (mechanism.ty.as_str(), mechanism.handled),
        ("generic", None)
    );
    let frames = &x.stacktrace.as_ref().unwrap().frames;
    assert_eq!(frames.len(), 2);
    assert_eq!(
        (frames[0].lineno, frames[0].colno, frames[0].in_app),
        (Some(12), None, None)
    );
    assert_eq!(frames[0].pre_context, ["a", "", "3"]);
    assert!(frames[0].post_context.is_empty());
    assert!(frames[0].vars.is_empty(), "local variables are never kept");
    assert_eq!(
        (frames[1].lineno, frames[1].instruction_addr),
        (Some(7), None)
    );
    assert_eq!(e.fingerprint.as_ref(), ["{{ default }}", "7"]);
    let sdk = e.sdk.as_ref().unwrap();
    assert_eq!(sdk.version, "2");
    assert_eq!(sdk.integrations, ["a"]);
    assert!(sdk.packages.is_empty());
    assert_eq!(e.modules["django"], "5");
    assert_eq!(e.release.as_deref(), Some("1.5"));
    assert_eq!(
        crate::snapshot::MAX_SNAPSHOT_BYTES,
        64 * 1024,
        "the bound the incident item is sized for"
    );
}

#[test]
fn timestamps_levels_and_messages_get_sentrys_defaults() {
    let e = event(json!({"timestamp": "2026-01-01T10:00:00.5", "message": "m"}));
    assert_eq!(crate::logs::unix_millis(e.timestamp), 1_767_261_600_500);
    assert_eq!(e.level, Level::Info, "a message without a level is info");
    let e = event(json!({"exception": {"values": [{"type": "E"}]}}));
    assert_eq!(
        e.level,
        Level::Error,
        "an exception without a level is an error"
    );
    let e = event(json!({"level": "warn", "logentry": "plain text"}));
    assert_eq!(e.level, Level::Warning);
    assert_eq!(e.logentry.as_ref().unwrap().message, "plain text");
    let e = event(
        json!({"message": {"message": "user %s failed", "params": ["bob"], "formatted": "user bob failed"}}),
    );
    assert_eq!(e.message.as_deref(), Some("user bob failed"));
    assert_eq!(e.logentry.as_ref().unwrap().message, "user %s failed");
    let e = event(json!({"logentry": {"formatted": "only formatted", "params": {"named": 1}}}));
    assert_eq!(e.message.as_deref(), Some("only formatted"));
    assert_eq!(e.logentry.as_ref().unwrap().params, [json!({"named": 1})]);
}
