//! The envelopes the Python SDK 2.76 sent (`tests/fixtures/`, see its `generate.py`), read end
//! to end: auth header, body, envelope, drafts.

use serde_json::json;

use crate::auth::sentry_key_from_header;
use crate::body::{decode_body, MAX_BODY_BYTES, MAX_DECODED_BYTES};
use crate::check_in::{check_in_draft, CheckInStatus, ScheduleDraft};
use crate::envelope::{parse_envelope, Envelope, Item};
use crate::incident::event_draft;
use crate::logs::log_drafts;
use crate::protocol::Event;
use crate::tests::support::event;

const EVENT_EXCEPTION: &[u8] = include_bytes!("../../tests/fixtures/event_exception.envelope");
const EVENT_EXCEPTION_GZ: &[u8] =
    include_bytes!("../../tests/fixtures/event_exception.envelope.gz");
const EVENT_LOGGING: &[u8] = include_bytes!("../../tests/fixtures/event_logging.envelope");
const CHECK_IN: &[u8] = include_bytes!("../../tests/fixtures/check_in.envelope");
const LOGS: &[u8] = include_bytes!("../../tests/fixtures/logs.envelope");
const CLIENT_REPORT_SESSION: &[u8] =
    include_bytes!("../../tests/fixtures/client_report_session.envelope");
const REQUESTS: &str = include_str!("../../tests/fixtures/requests.txt");

fn only_event(envelope: &Envelope) -> &Event<'static> {
    match envelope.items.as_slice() {
        [Item::Event(e)] => e,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_sdks_auth_header_names_the_dsn_key() {
    let headers: Vec<&str> = REQUESTS
        .lines()
        .filter_map(|l| l.trim().strip_prefix("X-Sentry-Auth: "))
        .collect();
    assert_eq!(headers.len(), 5);
    for header in headers {
        assert_eq!(
            sentry_key_from_header(header).as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
    }
}

#[test]
fn the_gzipped_body_as_sent_decodes_to_the_envelope() {
    assert!(EVENT_EXCEPTION_GZ.len() < MAX_BODY_BYTES);
    let body = decode_body(Some("gzip"), EVENT_EXCEPTION_GZ, MAX_DECODED_BYTES).unwrap();
    assert_eq!(&*body, EVENT_EXCEPTION);
}

#[test]
fn an_exception_event() {
    let envelope = parse_envelope(EVENT_EXCEPTION).unwrap();
    let e = only_event(&envelope);
    assert_eq!(envelope.event_id, Some(e.event_id.as_simple().to_string()));
    assert_eq!(envelope.dsn, None);
    assert_eq!(e.exception.len(), 2);
    let draft = event_draft(e);
    assert_eq!(draft.title, "InvoiceError: invoice 42 is unreadable");
    assert_eq!(draft.level, "error");
    assert!(
        draft.message.starts_with(
            "InvoiceError: invoice 42 is unreadable\nat load_invoice in __main__ at line "
        ),
        "{}",
        draft.message
    );
    assert!(draft
        .message
        .contains("caused by JSONDecodeError: Expecting value: line 1 column 1 (char 0)\nat parse_invoice in __main__"));
    let s = &draft.snapshot;
    assert_eq!(s["platform"], "python");
    assert_eq!(s["release"], "shop@1.4.2");
    assert_eq!(s["tags"], json!({"tenant": "acme", "shard": "3"}));
    assert_eq!(s["user"], json!({"id": "42", "email": "ada@example.com"}));
    assert_eq!(s["request"]["headers"]["Authorization"], "[Filtered]");
    assert_eq!(
        s["request"]["url"],
        "https://shop.example.com/invoices/42/pay"
    );
    assert_eq!(
        s["sdk"],
        json!({"name": "sentry.python", "version": "2.76.0"})
    );
    let xs = s["exceptions"].as_array().unwrap();
    assert_eq!(xs[1]["type"], "InvoiceError");
    assert_eq!(
        xs[1]["mechanism"],
        json!({"type": "generic", "handled": true})
    );
    let frames = xs[0]["frames"].as_array().unwrap();
    assert_eq!(frames[0]["function"], "load_invoice");
    assert_eq!(frames[0]["in_app"], true);
    assert_eq!(frames.last().unwrap()["module"], "json.decoder");
    assert_eq!(frames.last().unwrap()["in_app"], false);
    assert_eq!(s["breadcrumbs"][0]["message"], "cache miss for invoice 42");
    assert_eq!(s["breadcrumbs"][0]["level"], "warning");
    let text = s.to_string();
    assert!(
        !text.contains("\"vars\"") && !text.contains("JSONDecoder object at"),
        "no local variables"
    );
    // The same exception again, raised for another invoice: the same group.
    let mut again = e.clone();
    again.exception.values[1].value = Some("invoice 43 is unreadable".to_owned());
    assert_eq!(event_draft(&again).group_key, draft.group_key);
}

#[test]
fn a_logging_error_event() {
    let envelope = parse_envelope(EVENT_LOGGING).unwrap();
    let e = only_event(&envelope);
    let draft = event_draft(e);
    assert_eq!(draft.title, "payment 42 failed for acme");
    assert_eq!(draft.message, "payment 42 failed for acme");
    assert_eq!(draft.level, "error");
    let other = event(json!({
        "logentry": {"message": "payment %s failed for %s", "params": [7, "globex"], "formatted": "payment 7 failed for globex"},
        "level": "error"
    }));
    assert_eq!(event_draft(&other).group_key, draft.group_key);
}

#[test]
fn a_check_in_with_its_monitor_config() {
    let envelope = parse_envelope(CHECK_IN).unwrap();
    let [Item::CheckIn(c)] = envelope.items.as_slice() else {
        panic!("{:?}", envelope.items);
    };
    let draft = check_in_draft(c).unwrap();
    assert_eq!(draft.monitor_slug, "nightly-backup");
    assert_eq!(draft.status, CheckInStatus::InProgress);
    assert_eq!(draft.check_in_id.len(), 32);
    assert_eq!(draft.duration_secs, None);
    assert_eq!(draft.environment.as_deref(), Some("production"));
    let config = draft.config.unwrap();
    assert_eq!(
        config.schedule,
        ScheduleDraft::Crontab("0 3 * * *".to_owned())
    );
    assert_eq!(config.timezone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(
        (
            config.checkin_margin_minutes,
            config.max_runtime_minutes,
            config.failure_issue_threshold,
            config.recovery_threshold
        ),
        (Some(5), Some(30), Some(2), Some(1))
    );
}

#[test]
fn a_batch_of_logs() {
    let envelope = parse_envelope(LOGS).unwrap();
    let [Item::Logs(logs)] = envelope.items.as_slice() else {
        panic!("{:?}", envelope.items);
    };
    let drafts = log_drafts(logs);
    let summary: Vec<(&str, &str)> = drafts.iter().map(|d| (d.level, d.body.as_str())).collect();
    assert_eq!(
        summary,
        [
            ("info", "Invoice 42 paid"),
            ("warn", "Retrying stripe"),
            ("error", "Refund failed")
        ]
    );
    assert_eq!(
        drafts[0].attributes["sentry.message.template"],
        "Invoice {invoice_id} paid"
    );
    assert_eq!(
        drafts[0].attributes["sentry.message.parameter.invoice_id"],
        42
    );
    assert_eq!(drafts[0].attributes["sentry.environment"], "production");
    assert_eq!(drafts[1].attributes["ratio"], 0.5);
    assert_eq!(drafts[2].attributes["ids"], json!([1, 2, 3]));
    assert!(drafts
        .iter()
        .all(|d| d.trace_id.as_ref().is_some_and(|t| t.len() == 32)));
    assert!(drafts.iter().all(|d| d.timestamp_ms > 1_700_000_000_000));
}

#[test]
fn a_session_and_a_client_report_are_dropped() {
    let envelope = parse_envelope(CLIENT_REPORT_SESSION).unwrap();
    assert_eq!(envelope.event_id, None);
    assert_eq!(
        envelope.items,
        [
            Item::Dropped {
                item_type: "session".to_owned()
            },
            Item::Dropped {
                item_type: "client_report".to_owned()
            }
        ]
    );
}
