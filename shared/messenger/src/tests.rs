//! The crate's unit tests: parsing and pure rules here; each use case over the in-memory
//! stores, queue and messenger in its own file under `tests/`.

mod contacts;
mod deliver;
mod failed;
mod fixture;
mod send;

use std::time::Duration;

use serde_json::json;

use lookout_core::time::{Timestamp, Zone};

use crate::address::parse_address;
use crate::dispatch::queue_fanout;
use crate::ids::{DeliveryId, IdempotencyKey, Job, SendId};
use crate::input::{get_params, CreateContacts, DeleteContacts, FailedQuery, SendMessage};
use crate::memory_dispatch::{Dispatched, MemoryDispatch};
use crate::outbound::kind::MessengerKind;
use crate::replies::time_parts;
use crate::retry::{RetryPolicy, Step};
use lookout_core::cron::at_expression;

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_str(s).unwrap()
}

#[test]
fn the_seed_examples_parse() {
    let c = CreateContacts::from_json(
        br#"{"user_name": "test", "contact": {"name": "Artem", "messangers": {"telegram": "ArtemZaitsev", "whatsApp": "+799200828615", "viber": ""}}, "name": "Artem"}"#,
    )
    .unwrap();
    assert_eq!(c.user_name.as_str(), "test");
    assert_eq!(c.contacts[0].name.as_str(), "Artem");
    assert_eq!(c.contacts[0].addresses.viber, None);
    assert_eq!(
        c.contacts[0].addresses.whatsapp.as_deref(),
        Some("+799200828615")
    );
    let d = DeleteContacts::from_json(br#"{"user_name": "test", "contact": "Artem"}"#).unwrap();
    assert_eq!(d.names.len(), 1);
    let s = SendMessage::from_json(
        br#"{"user_name": "test", "contact": ["Artem", "Lera", "Vasya"], "message": "Hello there", "time": [2019, 11, 30, 14, 0, 6]}"#,
    )
    .unwrap();
    assert_eq!(s.names.len(), 3);
    let due = |s: &SendMessage, zone: Option<&str>| {
        s.due(zone.map(|z| Zone::parse(z).unwrap()))
            .unwrap()
            .map(|(t, z)| (t.to_rfc3339(), z.name()))
    };
    assert_eq!(
        due(&s, None),
        Some(("2019-11-30T14:00:06.000Z".into(), "UTC"))
    );
    // The user's default zone places the seed's wall-clock list.
    assert_eq!(
        due(&s, Some("Europe/Moscow")),
        Some(("2019-11-30T11:00:06.000Z".into(), "Europe/Moscow"))
    );
    // The request's zone wins over the user's default; an instant ignores both.
    let zoned = SendMessage::from_json(
        br#"{"user_name": "test", "contact": "Artem", "message": "hi", "time": [2019, 11, 30, 14, 0, 6], "time_zone": "Asia/Tokyo"}"#,
    )
    .unwrap();
    assert_eq!(
        due(&zoned, Some("Europe/Moscow")),
        Some(("2019-11-30T05:00:06.000Z".into(), "Asia/Tokyo"))
    );
    let instant = SendMessage::from_json(
        br#"{"user_name": "test", "contact": "Artem", "message": "hi", "time": "2019-11-30T14:00:06Z", "time_zone": "Asia/Tokyo"}"#,
    )
    .unwrap();
    assert_eq!(due(&instant, None).unwrap().0, "2019-11-30T14:00:06.000Z");
    assert_ne!(zoned.fingerprint(), instant.fingerprint());
    let s =
        SendMessage::from_json(br#"{"user_name": "test", "contacts": "Artem", "message": "hi"}"#)
            .unwrap();
    assert_eq!(s.names.len(), 1);
    assert!(s.time.is_none());
    assert_eq!(due(&s, Some("Europe/Moscow")), None);
}

#[test]
fn bad_input_is_explained() {
    let err = |b: &str| {
        CreateContacts::from_json(b.as_bytes())
            .unwrap_err()
            .to_string()
    };
    assert!(
        err(r#"{"contact": {"name": "a", "messangers": {"telegram": "12345"}}}"#)
            .contains("user_name")
    );
    assert!(
        err(r#"{"user_name": "u", "contact": {"name": "a", "messangers": {}}}"#)
            .contains("no messenger address")
    );
    // Unknown fields are ignored (as the seed did), so a misspelt messenger leaves none.
    assert!(err(
        r#"{"user_name": "u", "contact": {"name": "a", "messangers": {"telegramm": "x"}}}"#
    )
    .contains("no messenger address"));
    assert!(err(r#"{"user_name": "u", "time_zone": "Mars/Olympus"}"#).contains("IANA"));
    let zone_only =
        CreateContacts::from_json(br#"{"user_name": "u", "time_zone": "Europe/Moscow"}"#).unwrap();
    assert!(zone_only.contacts.is_empty());
    assert_eq!(zone_only.time_zone.map(|z| z.name()), Some("Europe/Moscow"));
    assert!(err(
        r#"{"user_name": "u", "contact": {"name": "a", "messangers": {"whatsApp": "call me"}}}"#
    )
    .contains("international"));
    assert!(
        err(r#"{"user_name": "u", "contact": {"name": "", "messangers": {"viber": "x"}}}"#)
            .contains("contact name")
    );
    assert!(err(r#"{"user_name": "u"}"#).contains("required"));
    assert!(err(r#"{"user_name": "u", "contact": {"name": "a", "messangers": {"viber": "x"}}, "contacts": []}"#).contains("not both"));
    let dup = r#"{"user_name": "u", "contacts": [{"name": "a", "messangers": {"viber": "x"}}, {"name": "a", "messangers": {"viber": "y"}}]}"#;
    assert!(err(dup).contains("twice"));
    let send = |b: &str| {
        SendMessage::from_json(b.as_bytes())
            .unwrap_err()
            .to_string()
    };
    assert!(send(r#"{"user_name": "u", "contact": "a", "message": "  "}"#).contains("empty"));
    assert!(send(
        r#"{"user_name": "u", "contact": "a", "message": "x", "time": [2019, 13, 1, 0, 0, 0]}"#
    )
    .contains("time"));
    let long = format!(
        r#"{{"user_name": "u", "contact": "a", "message": "{}"}}"#,
        "x".repeat(4097)
    );
    assert!(send(&long).contains("4096"));
    assert!(send(r#"{"user_name": "u", "contact": [], "message": "x"}"#).contains("empty"));
}

#[test]
fn addresses_are_normalised() {
    assert_eq!(
        parse_address(MessengerKind::WhatsApp, " +7 (992) 008-28-615 ").unwrap(),
        "+799200828615"
    );
    assert_eq!(
        parse_address(MessengerKind::Telegram, "-1001234").unwrap(),
        "-1001234"
    );
    assert_eq!(
        parse_address(MessengerKind::Telegram, "@some_bot").unwrap(),
        "@some_bot"
    );
    assert!(parse_address(MessengerKind::Telegram, "a b").is_err());
    assert!(parse_address(MessengerKind::Viber, "with space").is_err());
    assert!(parse_address(MessengerKind::Viber, "01234567890A=").is_ok());
}

#[test]
fn get_params_from_body_or_query() {
    let q = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    let (u, _) = get_params(br#"{"user_name": "test"}"#, &[], &[]).unwrap();
    assert_eq!(u.as_str(), "test");
    let (u, _) = get_params(b"", &[q("user_name", "test")], &[]).unwrap();
    assert_eq!(u.as_str(), "test");
    let (_, rest) = get_params(b"", &[q("user_name", "t"), q("limit", "5")], &["limit"]).unwrap();
    assert_eq!(rest["limit"], json!("5"));
    assert!(get_params(b"", &[], &[]).is_err());
    assert!(get_params(br#"{"user_name": "a"}"#, &[q("user_name", "b")], &[]).is_err());
    assert!(get_params(b"", &[q("user_name", "a"), q("colour", "red")], &[]).is_err());
    assert!(get_params(b"[1]", &[], &[]).is_err());
}

#[test]
fn jobs_round_trip_and_reject_garbage() {
    let id = DeliveryId {
        send: SendId::parse("0123456789abcdef0123456789abcdef").unwrap(),
        n: 7,
    };
    assert_eq!(id.to_string(), "0123456789abcdef0123456789abcdef-0007");
    let job = Job::Deliver { delivery_id: id };
    assert_eq!(Job::parse(&job.to_json()).unwrap(), job);
    assert_eq!(
        job.to_json(),
        r#"{"type":"deliver","deliveryId":"0123456789abcdef0123456789abcdef-0007"}"#
    );
    for bad in [
        "",
        "{}",
        "null",
        r#"{"type":"deliver"}"#,
        r#"{"type":"fanout","sendId":"x"}"#,
        r#"{"type":"explode"}"#,
    ] {
        assert!(Job::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn schedules_never_fire_early() {
    assert_eq!(
        at_expression(ts("2030-01-01T10:00:00Z")),
        "at(2030-01-01T10:00:00)"
    );
    assert_eq!(
        at_expression(ts("2030-01-01T10:00:00.250Z")),
        "at(2030-01-01T10:00:01)"
    );
    assert_eq!(
        time_parts(ts("2019-11-30T13:19:18.5Z")),
        [2019, 11, 30, 13, 19, 18]
    );
}

// ------------------------------------------------ delivery retries and dispatch, in memory

use crate::outbound::error::{Delivered, MessengerError};
use crate::outbound::memory::MemoryMessenger;
use crate::outbound::port::MessengerApi;

#[test]
fn backoff_doubles_with_jitter_and_caps() {
    let p = RetryPolicy {
        base: Duration::from_secs(10),
        ..RetryPolicy::default()
    };
    for (attempt, full) in [(1, 10), (2, 20), (3, 40), (10, 900), (40, 900)] {
        let d = p.delay(attempt);
        let full = Duration::from_secs(full);
        assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
    }
    let zero = RetryPolicy {
        base: Duration::ZERO,
        ..RetryPolicy::default()
    };
    assert_eq!(zero.delay(3), Duration::ZERO);
}

fn unavailable(status: Option<u16>) -> Result<Delivered, MessengerError> {
    Err(MessengerError::Unavailable {
        kind: MessengerKind::Telegram,
        status,
        detail: "try later".into(),
    })
}

/// Attempts one delivery through `messenger` until a step is final, as the consumer does
/// (one attempt per receive of the job); every step in order.
async fn attempts(messenger: &dyn MessengerApi, policy: &RetryPolicy) -> Vec<Step> {
    let mut steps = Vec::new();
    for attempt in 1..=policy.max_attempts + 1 {
        let result = messenger
            .send(MessengerKind::Telegram, "-100123", "disk full")
            .await;
        let step = policy.step(attempt, result);
        let last = !matches!(step, Step::Retry { .. });
        steps.push(step);
        if last {
            break;
        }
    }
    steps
}

#[tokio::test]
async fn a_transient_failure_is_retried_with_growing_backoff_until_sent() {
    let messenger = MemoryMessenger::default();
    messenger
        .then(unavailable(Some(503)))
        .then(unavailable(None))
        .then(Ok(Delivered {
            provider_id: Some("42".into()),
        }));
    let policy = RetryPolicy::default();
    let steps = attempts(&messenger, &policy).await;
    assert_eq!(steps.len(), 3, "{steps:?}");
    for (i, full) in [(0, 30), (1, 60)] {
        let Step::Retry { after, error } = &steps[i] else {
            panic!("attempt {}: {:?}", i + 1, steps[i]);
        };
        let full = Duration::from_secs(full);
        assert!(*after >= full / 2 && *after <= full, "{after:?}");
        assert!(error.starts_with("telegram unavailable"), "{error}");
    }
    assert_eq!(
        steps[2],
        Step::Sent {
            provider_id: Some("42".into())
        }
    );
    let sent = messenger.sent();
    assert_eq!(sent.len(), 3);
    assert!(sent
        .iter()
        .all(|s| s.address == "-100123" && s.text == "disk full"));
}

#[tokio::test]
async fn the_last_transient_failure_and_any_rejection_fail_for_good() {
    let messenger = MemoryMessenger::default();
    for _ in 0..3 {
        messenger.then(unavailable(Some(429)));
    }
    let policy = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    let steps = attempts(&messenger, &policy).await;
    assert_eq!(steps.len(), 3);
    assert!(matches!(steps[1], Step::Retry { .. }));
    assert_eq!(
        steps[2],
        Step::Failed {
            reason: "telegram unavailable (429): try later (gave up after 3 attempts)".into()
        }
    );

    let rejecting = MemoryMessenger::default();
    rejecting.then(Err(MessengerError::Rejected {
        kind: MessengerKind::Telegram,
        status: 400,
        detail: "chat not found".into(),
    }));
    let steps = attempts(&rejecting, &policy).await;
    assert_eq!(
        steps,
        [Step::Failed {
            reason: "telegram rejected the message (400): chat not found".into()
        }]
    );
    assert_eq!(rejecting.sent().len(), 1, "a rejection is never sent again");
}

#[tokio::test]
async fn a_send_is_queued_now_or_scheduled_for_later() {
    let dispatch = MemoryDispatch::default();
    let now = ts("2030-01-01T00:00:00Z");
    let (a, b, c, d, e) = (
        SendId::new(),
        SendId::new(),
        SendId::new(),
        SendId::new(),
        SendId::new(),
    );
    let later = ts("2030-01-01T00:00:00.001Z");
    assert!(!queue_fanout(&dispatch, &dispatch, &a, now, now)
        .await
        .unwrap());
    assert!(
        !queue_fanout(&dispatch, &dispatch, &b, ts("2029-01-01T00:00:00Z"), now)
            .await
            .unwrap()
    );
    // Due within a minute: on the queue with a timer, rounded up (a schedule that close may
    // never fire).
    assert!(queue_fanout(&dispatch, &dispatch, &c, later, now)
        .await
        .unwrap());
    assert!(
        queue_fanout(&dispatch, &dispatch, &d, ts("2030-01-01T00:01:00Z"), now)
            .await
            .unwrap()
    );
    let past_a_minute = ts("2030-01-01T00:01:00.001Z");
    assert!(queue_fanout(&dispatch, &dispatch, &e, past_a_minute, now)
        .await
        .unwrap());
    let fanout = |id: &SendId| Job::Fanout {
        send_id: id.clone(),
    };
    assert_eq!(
        dispatch.log(),
        [
            Dispatched::Enqueued(fanout(&a)),
            Dispatched::Enqueued(fanout(&b)),
            Dispatched::Delayed {
                job: fanout(&c),
                after: Duration::from_secs(1),
            },
            Dispatched::Delayed {
                job: fanout(&d),
                after: Duration::from_secs(60),
            },
            Dispatched::Scheduled {
                name: format!("send-{}", e.as_str()),
                job: fanout(&e),
                at: past_a_minute,
            },
        ]
    );
    assert_eq!(
        at_expression(later),
        "at(2030-01-01T00:00:01)",
        "never early"
    );
}

#[test]
fn an_idempotency_key_header_is_read_as_http_shows_it() {
    let key = |raw: &[u8]| IdempotencyKey::from_header(Some(raw));
    assert!(IdempotencyKey::from_header(None).unwrap().is_none());
    assert!(key(b"order-42").unwrap().is_some());
    let err = |raw: &[u8]| key(raw).unwrap_err().to_string();
    // Not a header's visible text at all.
    assert_eq!(err(b"caf\xc3\xa9"), "Idempotency-Key must be visible ASCII");
    assert_eq!(err(b"a\x01b"), "Idempotency-Key must be visible ASCII");
    // Visible to HTTP (space, tab), but not a key.
    for raw in [&b"a b"[..], b"a\tb", b""] {
        assert_eq!(
            err(raw),
            "Idempotency-Key must be 1-255 visible ASCII characters",
            "{raw:?}"
        );
    }
}

#[test]
fn the_failed_list_takes_a_limit_and_a_token() {
    let q = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    let plain = FailedQuery::parse(b"", &[q("user_name", "u")]).unwrap();
    assert_eq!((plain.limit, plain.next_token), (100, None));
    let paged = FailedQuery::parse(
        br#"{"user_name": "u", "limit": 5, "next_token": "abc"}"#,
        &[q("limit", "5")],
    )
    .unwrap();
    assert_eq!((paged.limit, paged.next_token.as_deref()), (5, Some("abc")));
    let whole = FailedQuery::parse(br#"{"user_name": "u", "limit": 50.0}"#, &[]).unwrap();
    assert_eq!(
        whole.limit, 50,
        "a whole float is an integer, as in JSON Schema"
    );
    for bad in [
        r#"{"user_name": "u", "limit": 2.5}"#,
        r#"{"user_name": "u", "limit": 0}"#,
        r#"{"user_name": "u", "limit": 1001}"#,
        r#"{"user_name": "u", "limit": "many"}"#,
    ] {
        assert_eq!(
            FailedQuery::parse(bad.as_bytes(), &[])
                .unwrap_err()
                .to_string(),
            "limit must be an integer 1..=1000",
            "{bad}"
        );
    }
    let token = FailedQuery::parse(br#"{"user_name": "u", "next_token": 7}"#, &[]);
    assert_eq!(
        token.unwrap_err().to_string(),
        "next_token must be a string"
    );
}
