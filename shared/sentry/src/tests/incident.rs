//! Event drafts: title, message, level and group key rules.

use std::borrow::Cow;

use serde_json::{json, Value};

use crate::incident::{event_draft, MAX_MESSAGE_CHARS, MAX_TITLE_CHARS};
use crate::protocol::{Event, LogEntry};
use crate::tests::support::event;

fn frame(module: &str, function: &str, lineno: u64, in_app: bool) -> Value {
    json!({"module": module, "filename": format!("{module}.py"), "function": function, "lineno": lineno, "in_app": in_app})
}

fn exception_event(ty: &str, value: &str, frames: Vec<Value>) -> Event<'static> {
    event(json!({
        "exception": {"values": [{"type": ty, "value": value, "stacktrace": {"frames": frames}}]}
    }))
}

fn key(e: &Event<'_>) -> String {
    event_draft(e).group_key
}

#[test]
fn the_title_is_the_primary_exception() {
    let e = event(json!({"exception": {"values": [
        {"type": "JSONDecodeError", "value": "Expecting value"},
        {"type": "InvoiceError", "value": "invoice 42 is unreadable"}
    ]}}));
    assert_eq!(
        event_draft(&e).title,
        "InvoiceError: invoice 42 is unreadable"
    );
    let e = event(json!({"exception": {"values": [{"type": "KeyboardInterrupt", "value": ""}]}}));
    assert_eq!(event_draft(&e).title, "KeyboardInterrupt");
    let e = event(json!({"exception": {"values": [{"value": "no type given"}]}}));
    assert_eq!(event_draft(&e).title, "no type given");
}

#[test]
fn without_an_exception_the_title_is_the_message() {
    let e = event(json!({"message": "  Disk almost full  "}));
    assert_eq!(event_draft(&e).title, "Disk almost full");
    let e = event(
        json!({"logentry": {"message": "user %s failed", "params": ["bob"], "formatted": "user bob failed"}}),
    );
    assert_eq!(event_draft(&e).title, "user bob failed");
    // An event built in code, with no formatted text: the template is filled in.
    let e = Event {
        logentry: Some(LogEntry {
            message: "user %s failed %d times (100%%)".to_owned(),
            params: vec![json!("bob"), json!(3)],
        }),
        ..Event::default()
    };
    assert_eq!(event_draft(&e).title, "user bob failed 3 times (100%)");
    let e =
        event(json!({"exception": {"values": [{"type": "", "value": ""}]}, "message": "fallback"}));
    assert_eq!(event_draft(&e).title, "fallback");
    let e = event(json!({"platform": "python"}));
    assert_eq!(event_draft(&e).title, "<unlabeled event>");
}

#[test]
fn titles_are_one_line_of_at_most_200_chars() {
    let e = exception_event("ValueError", "line one\n  line two\ttabbed", vec![]);
    assert_eq!(
        event_draft(&e).title,
        "ValueError: line one line two tabbed"
    );
    let e = event(json!({"message": "é".repeat(500)}));
    let title = event_draft(&e).title;
    assert_eq!(title.chars().count(), MAX_TITLE_CHARS);
    assert!(title.ends_with('…'));
    assert_eq!(event_draft(&e).message, "é".repeat(500));
}

#[test]
fn the_message_names_the_culprit_and_the_chain() {
    let e = event(json!({"exception": {"values": [
        {"type": "JSONDecodeError", "value": "Expecting value", "stacktrace": {"frames": [
            frame("shop.billing", "parse_invoice", 43, true), frame("json.decoder", "raw_decode", 355, false)
        ]}},
        {"type": "InvoiceError", "value": "invoice 42 is unreadable", "stacktrace": {"frames": [
            frame("shop.main", "main", 129, true), frame("shop.billing", "load_invoice", 51, true)
        ]}}
    ]}}));
    assert_eq!(
        event_draft(&e).message,
        "InvoiceError: invoice 42 is unreadable\nat load_invoice in shop.billing at line 51\n\n\
         caused by JSONDecodeError: Expecting value\nat parse_invoice in shop.billing at line 43"
    );
    // No in-app frame: the innermost one; a frame without module names its file.
    let e = exception_event(
        "OSError",
        "disk full",
        vec![
            json!({"filename": "lib/io.js", "function": "write"}),
            json!({"filename": "lib/fs.js", "function": "flush", "lineno": 9}),
        ],
    );
    assert_eq!(
        event_draft(&e).message,
        "OSError: disk full\nat flush in lib/fs.js at line 9"
    );
    let e = event(json!({"message": "x".repeat(MAX_MESSAGE_CHARS + 10)}));
    assert_eq!(event_draft(&e).message.chars().count(), MAX_MESSAGE_CHARS);
}

#[test]
fn levels_map_to_incident_levels() {
    for (sentry, ours) in [
        ("fatal", "crit"),
        ("error", "error"),
        ("warning", "warning"),
        ("info", "info"),
        ("debug", "debug"),
    ] {
        let e = event(json!({"level": sentry, "message": "m"}));
        assert_eq!(event_draft(&e).level, ours, "{sentry}");
    }
    assert_eq!(
        event_draft(&exception_event("E", "v", vec![])).level,
        "error"
    );
    assert_eq!(event_draft(&event(json!({"message": "m"}))).level, "info");
}

#[test]
fn exceptions_group_by_type_and_culprit_frame_not_value() {
    let frames = || {
        vec![
            frame("shop.main", "main", 1, true),
            frame("shop.billing", "charge", 10, true),
            frame("stripe", "post", 99, false),
        ]
    };
    let a = exception_event("CardError", "card 1111 declined", frames());
    let b = exception_event("CardError", "card 2222 declined", frames());
    assert_eq!(key(&a), key(&b));
    assert_eq!(key(&a).len(), 64);
    assert!(key(&a).bytes().all(|c| c.is_ascii_hexdigit()));
    // The line may move as code changes: the group stays.
    let mut moved = frames();
    moved[1] = frame("shop.billing", "charge", 12, true);
    assert_eq!(key(&a), key(&exception_event("CardError", "x", moved)));
    // Another type, or another culprit: another group.
    assert_ne!(
        key(&a),
        key(&exception_event("Timeout", "card 1111 declined", frames()))
    );
    let mut elsewhere = frames();
    elsewhere[1] = frame("shop.billing", "refund", 10, true);
    assert_ne!(
        key(&a),
        key(&exception_event(
            "CardError",
            "card 1111 declined",
            elsewhere
        ))
    );
    // Without frames, the value tells them apart.
    assert_ne!(
        key(&exception_event("CardError", "one", vec![])),
        key(&exception_event("CardError", "two", vec![]))
    );
}

#[test]
fn messages_group_by_their_template() {
    let logged = |user: &str| {
        event(
            json!({"logentry": {"message": "user %s failed", "params": [user], "formatted": format!("user {user} failed")}}),
        )
    };
    assert_eq!(key(&logged("bob")), key(&logged("ann")));
    assert_ne!(
        event_draft(&logged("bob")).title,
        event_draft(&logged("ann")).title
    );
    let plain = |m: &str| event(json!({"message": m}));
    assert_eq!(key(&plain("disk full")), key(&plain("disk full")));
    assert_ne!(key(&plain("disk full")), key(&plain("disk almost full")));
}

#[test]
fn a_fingerprint_overrides_grouping() {
    let with_fp = |fp: Value, ty: &str| {
        event(json!({"fingerprint": fp, "exception": {"values": [{"type": ty, "value": "v"}]}}))
    };
    // The same fingerprint joins different exceptions; another splits them.
    assert_eq!(
        key(&with_fp(json!(["billing"]), "A")),
        key(&with_fp(json!(["billing"]), "B"))
    );
    assert_ne!(
        key(&with_fp(json!(["billing"]), "A")),
        key(&with_fp(json!(["refunds"]), "A"))
    );
    // Only the default: the default grouping.
    let plain = event(json!({"exception": {"values": [{"type": "A", "value": "v"}]}}));
    assert_eq!(key(&with_fp(json!(["{{ default }}"]), "A")), key(&plain));
    assert_eq!(key(&with_fp(json!(["{{default}}"]), "A")), key(&plain));
    // The default inside: split the default groups further.
    let tenant_a = key(&with_fp(json!(["{{ default }}", "tenant-a"]), "A"));
    assert_ne!(tenant_a, key(&plain));
    assert_ne!(
        tenant_a,
        key(&with_fp(json!(["{{ default }}", "tenant-b"]), "A"))
    );
    assert_ne!(
        tenant_a,
        key(&with_fp(json!(["{{ default }}", "tenant-a"]), "B"))
    );
    assert_ne!(tenant_a, key(&with_fp(json!(["tenant-a"]), "A")));
    // Kinds never collide: a fingerprint naming a message is not that message's group.
    let message = event(json!({"message": "disk full"}));
    let fingerprinted = event(json!({"message": "other", "fingerprint": ["msg:disk full"]}));
    assert_ne!(key(&message), key(&fingerprinted));
    // Built in code: `Cow` fingerprints work the same.
    let mut e = plain.clone();
    e.fingerprint = Cow::Owned(vec![Cow::Borrowed("billing")]);
    assert_eq!(key(&e), key(&with_fp(json!(["billing"]), "Z")));
}
