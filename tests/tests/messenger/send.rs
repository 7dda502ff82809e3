//! PUT /api/contacts in-process against moto: what is stored, what is enqueued, which
//! one-time schedule is created, and what is refused.

use aws_sdk_scheduler::types::{ActionAfterCompletion, FlexibleTimeWindowMode};
use lookout_core::config::names as env;
use lookout_core::time::Timestamp;
use serde_json::{json, Value};

use crate::harness::{contact, num, parts, resolve_arn, s, spawn, Msg};

async fn given_the_seed_contacts(t: &Msg) {
    t.given_contacts(
        "test",
        &[
            contact("Artem", "ArtemZaitsev", "+799200828615", ""),
            contact("Lera", "", "", "01234567890A="),
        ],
    )
    .await;
}

/// Next year: its first days are always ahead, and within the default 366-day horizon
/// (`QuotaScheduleAheadDays`).
fn ny() -> i32 {
    use chrono::Datelike;
    chrono::Utc::now().year() + 1
}

fn later(t: &Msg, secs: i64) -> Timestamp {
    Timestamp::from_datetime(t.clock.now().datetime() + chrono::Duration::seconds(secs)).unwrap()
}

async fn schedules(t: &Msg) -> Vec<String> {
    t.scheduler
        .list_schedules()
        .group_name(&t.group)
        .send()
        .await
        .unwrap()
        .schedules
        .iter()
        .filter_map(|s| s.name().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_send_for_now_stores_its_deliveries_and_enqueues_one_fanout() {
    let t = spawn().await;
    given_the_seed_contacts(&t).await;
    // The seed's body (`contact` as a list, `time` in the past).
    let (status, reply) = t
        .send(
            t.key(),
            &json!({"user_name": "test", "contact": ["Artem", "Lera"], "message": "Hello there", "time": [2019, 11, 30, 14, 0, 6]}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["success"], true);
    assert_eq!(reply["scheduled"], false);
    assert_eq!(reply["deliveries"], 3);
    assert_eq!(reply["scheduledAt"], "2019-11-30T14:00:06.000Z");
    let send_id = reply["sendId"].as_str().unwrap();

    // One send item holding the text, one small pending item per (contact, messenger).
    let items = t.items().await;
    let send = items
        .iter()
        .find(|i| s(i, "pk") == format!("SEND#{send_id}") && s(i, "sk") == "SEND")
        .expect("send item");
    assert_eq!(s(send, "message"), "Hello there");
    assert_eq!(
        (s(send, "tenant"), s(send, "userName")),
        ("acme".into(), "test".into())
    );
    let deliveries = t.deliveries(send_id).await;
    let summary: Vec<(String, String, String, String, i64)> = deliveries
        .iter()
        .map(|d| {
            (
                s(d, "contact"),
                s(d, "messenger"),
                s(d, "address"),
                s(d, "status"),
                num(d, "attempts"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "Artem".into(),
                "telegram".into(),
                "ArtemZaitsev".into(),
                "pending".into(),
                0
            ),
            (
                "Artem".into(),
                "whatsApp".into(),
                "+799200828615".into(),
                "pending".into(),
                0
            ),
            (
                "Lera".into(),
                "viber".into(),
                "01234567890A=".into(),
                "pending".into(),
                0
            ),
        ]
    );
    assert!(
        deliveries.iter().all(|d| !d.contains_key("message")),
        "text only in the send item"
    );
    assert!(num(&deliveries[0], "expiresAt") > Timestamp::now().unix_seconds() + 29 * 86_400);

    // Exactly one message: the fanout job. No schedule.
    let messages = t.receive().await;
    assert_eq!(messages.len(), 1);
    let job: Value = serde_json::from_str(messages[0].body().unwrap()).unwrap();
    assert_eq!(job, json!({"type": "fanout", "sendId": send_id}));
    assert!(schedules(&t).await.is_empty());
}

#[tokio::test]
async fn a_send_in_the_future_creates_a_one_time_schedule_that_feeds_the_queue() {
    let t = spawn().await;
    given_the_seed_contacts(&t).await;
    let at = later(&t, 3600);
    let (status, reply) = t
        .send(t.key(), &json!({"user_name": "test", "contacts": ["Lera", "Artem"], "message": "later", "time": parts(at)}))
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["scheduled"], true);
    let send_id = reply["sendId"].as_str().unwrap();
    assert_eq!(
        t.depth(&t.queue_url).await,
        0,
        "nothing on the queue before it is due"
    );

    let name = format!("send-{send_id}");
    assert_eq!(schedules(&t).await, std::slice::from_ref(&name));
    let got = t
        .scheduler
        .get_schedule()
        .group_name(&t.group)
        .name(&name)
        .send()
        .await
        .unwrap();
    // The request's `time` was whole seconds ([Y,M,D,h,m,s]), so no rounding up.
    let expected_expr = format!("at({})", at.datetime().format("%Y-%m-%dT%H:%M:%S"));
    assert_eq!(got.schedule_expression(), Some(expected_expr.as_str()));
    assert_eq!(got.schedule_expression_timezone(), Some("UTC"));
    assert_eq!(
        got.action_after_completion(),
        Some(&ActionAfterCompletion::Delete)
    );
    assert_eq!(
        got.flexible_time_window().map(|w| w.mode().clone()),
        Some(FlexibleTimeWindowMode::Off)
    );
    let target = got.target().unwrap();
    assert_eq!(target.arn(), t.send_env[env::MESSENGER_QUEUE_ARN]);
    assert_eq!(target.arn(), resolve_arn(&t.app, "MessengerQueue"));
    assert_eq!(
        target.role_arn(),
        resolve_arn(&t.app, "MessengerSchedulerRole")
    );
    assert_eq!(
        target.dead_letter_config().and_then(|d| d.arn()),
        Some(resolve_arn(&t.app, "MessengerDeadLetterQueue").as_str())
    );
    let input: Value = serde_json::from_str(target.input().unwrap()).unwrap();
    assert_eq!(input, json!({"type": "fanout", "sendId": send_id}));

    // What Scheduler does when it is due: the input goes to the target queue. Then the
    // consumer delivers (deliveries are in the order the contacts were named).
    t.sqs
        .send_message()
        .queue_url(&t.queue_url)
        .message_body(target.input().unwrap())
        .send()
        .await
        .unwrap();
    t.drain().await;
    let mut accepted: Vec<(String, String)> = t
        .emulator
        .received()
        .into_iter()
        .filter(|r| r.accepted)
        .map(|r| (r.messenger, r.address))
        .collect();
    accepted.sort();
    assert_eq!(
        accepted,
        [
            ("telegram".into(), "ArtemZaitsev".into()),
            ("whatsapp".into(), "+799200828615".into())
        ]
    );
    let statuses: Vec<String> = t
        .deliveries(send_id)
        .await
        .iter()
        .map(|d| s(d, "contact") + ":" + &s(d, "status"))
        .collect();
    assert_eq!(statuses, ["Lera:failed", "Artem:sent", "Artem:sent"]);
}

#[tokio::test]
async fn now_is_immediate_a_second_later_is_timed_on_the_queue_and_later_is_scheduled() {
    let t = spawn().await;
    t.given_contacts("u", &[contact("A", "AAAAA", "", "")])
        .await;
    let now = t.clock.now();
    let (_, reply) = t
        .send(
            t.key(),
            &json!({"user_name": "u", "contact": "A", "message": "m", "time": now.to_rfc3339()}),
        )
        .await;
    assert_eq!(reply["scheduled"], false, "{reply}");
    let (_, reply) = t
        .send(t.key(), &json!({"user_name": "u", "contact": "A", "message": "m", "time": later(&t, 1).to_rfc3339()}))
        .await;
    assert_eq!(reply["scheduled"], true, "{reply}");
    // Due within a minute: on the queue with a message timer, not a schedule (#30: AWS may
    // not fire a one-time schedule created seconds before its time).
    assert_eq!(schedules(&t).await.len(), 0);
    assert_eq!(t.delayed(&t.queue_url).await, 1);
    // Milliseconds round up: a schedule never fires early.
    let (_, reply) = t
        .send(t.key(), &json!({"user_name": "u", "contact": "A", "message": "m", "time": format!("{}-01-01T00:00:00.001Z", ny())}))
        .await;
    let got = t
        .scheduler
        .get_schedule()
        .group_name(&t.group)
        .name(format!("send-{}", reply["sendId"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.schedule_expression(),
        Some(format!("at({}-01-01T00:00:01)", ny()).as_str())
    );
    assert_eq!(schedules(&t).await.len(), 1);
    assert_eq!(t.depth(&t.queue_url).await, 1);
}

#[tokio::test]
async fn sends_to_unknown_contacts_or_with_bad_input_store_and_enqueue_nothing() {
    let t = spawn().await;
    given_the_seed_contacts(&t).await;
    let contacts_only = t.items().await.len();
    let (status, reply) = t
        .send(
            t.key(),
            &json!({"user_name": "test", "contact": ["Ghost", "Nobody"], "message": "hi"}),
        )
        .await;
    assert_eq!(status, 404, "{reply}");
    let message = reply["message"].as_str().unwrap();
    assert!(
        message.contains("Ghost, Nobody") && message.contains("nothing was sent"),
        "{message}"
    );
    let (status, _) = t
        .send(
            t.key(),
            &json!({"user_name": "someone-else", "contact": "Artem", "message": "hi"}),
        )
        .await;
    assert_eq!(status, 404, "contacts belong to their user");

    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"user_name": "test", "contact": "Artem"}),
            "missing field `message`",
        ),
        (
            json!({"user_name": "test", "contact": "Artem", "message": ""}),
            "must not be empty",
        ),
        (
            json!({"user_name": "test", "contact": "Artem", "message": "x".repeat(4097)}),
            "limit is 4096",
        ),
        (
            json!({"user_name": "test", "contact": "Artem", "message": "x", "time": [2019, 11, 31, 14, 0, 6]}),
            "not a valid date",
        ),
        (
            json!({"user_name": "test", "contact": "Artem", "message": "x", "time": "tomorrow"}),
            "unrecognised timestamp",
        ),
        (
            json!({"user_name": "test", "message": "x"}),
            "contact (or contacts) is required",
        ),
        (
            json!({"user_name": "test", "contact": ["Artem", "Artem"], "message": "x"}),
            "twice",
        ),
        (
            json!({"user_name": "test", "contact": "Artem", "contacts": ["Lera"], "message": "x"}),
            "not both",
        ),
        (
            json!({"user_name": "test", "contact": [1], "message": "x"}),
            "contact #1",
        ),
    ];
    for (body, reason) in cases {
        let (status, reply) = t.send(t.key(), &body).await;
        assert_eq!(status, 400, "{body} -> {reply}");
        let message = reply["message"].as_str().unwrap();
        assert!(
            message.contains(reason),
            "{body}: {message:?} should mention {reason:?}"
        );
    }
    assert_eq!(
        t.items().await.len(),
        contacts_only,
        "no send or delivery stored"
    );
    assert_eq!(t.depth(&t.queue_url).await, 0, "nothing enqueued");
    assert!(schedules(&t).await.is_empty(), "nothing scheduled");
}

async fn send_keyed(t: &Msg, idem: &str, body: &Value) -> (u16, Value) {
    let req = lookout_tests::support::http_request(
        "PUT",
        "/api/contacts",
        &[],
        &[("x-api-key", t.key()), ("idempotency-key", idem)],
        &body.to_string(),
    );
    lookout_tests::support::read(send_messages::handle(&t.send, req).await)
}

#[tokio::test]
async fn a_retried_send_with_an_idempotency_key_is_one_send_and_one_message_per_address() {
    let t = spawn().await;
    given_the_seed_contacts(&t).await;
    let body = json!({"user_name": "test", "contact": ["Artem", "Lera"], "message": "once"});

    let (status, first) = send_keyed(&t, "retry-1", &body).await;
    assert_eq!(status, 200, "{first}");
    // The client never saw that answer and sends the same request again, twice.
    let (status, second) = send_keyed(&t, "retry-1", &body).await;
    assert_eq!(status, 200, "{second}");
    let (status, third) = send_keyed(&t, "retry-1", &body).await;
    assert_eq!(status, 200, "{third}");
    assert_eq!(first, second);
    assert_eq!(first, third);

    let sends: Vec<_> = t
        .items()
        .await
        .into_iter()
        .filter(|i| s(i, "sk") == "SEND")
        .collect();
    assert_eq!(sends.len(), 1, "one send stored");
    assert_eq!(
        t.deliveries(first["sendId"].as_str().unwrap()).await.len(),
        3
    );

    // Each replay queued the fanout again; the consumer still sends each address once.
    t.drain().await;
    let mut accepted: Vec<(String, String)> = t
        .emulator
        .received()
        .into_iter()
        .filter(|r| r.accepted)
        .map(|r| (r.messenger, r.address))
        .collect();
    let total = accepted.len();
    accepted.sort();
    accepted.dedup();
    assert_eq!(total, accepted.len(), "an address got the message twice");
    let (status, failed) = t.failed(t.key(), &[("user_name", "test")], "").await;
    assert_eq!(status, 200, "{failed}");
    let failed_n = failed["data"].as_array().map_or(0, Vec::len);
    assert_eq!(total + failed_n, 3, "each delivery ended once: {failed}");

    // Same key, different request: refused, nothing new stored.
    let other = json!({"user_name": "test", "contact": ["Artem"], "message": "something else"});
    let (status, reply) = send_keyed(&t, "retry-1", &other).await;
    assert_eq!(status, 409, "{reply}");
    assert_eq!(reply["error"], "conflict");
    // Another key is another send; a key is per tenant.
    let (status, fresh) = send_keyed(&t, "retry-2", &body).await;
    assert_eq!(status, 200, "{fresh}");
    assert_ne!(fresh["sendId"], first["sendId"]);
    let sends = t
        .items()
        .await
        .into_iter()
        .filter(|i| s(i, "sk") == "SEND")
        .count();
    assert_eq!(sends, 2);

    // A bad key is bad input.
    let (status, reply) = send_keyed(&t, "has space", &body).await;
    assert_eq!(status, 400, "{reply}");
}

#[tokio::test]
async fn unknown_names_beside_known_ones_are_reported_and_the_known_ones_sent() {
    // As in the seed: success false, one wrong_contacts entry per unknown name, and the known
    // contacts' deliveries stored and queued all the same.
    let t = spawn().await;
    given_the_seed_contacts(&t).await;
    let (status, reply) = t
        .send(
            t.key(),
            &json!({"user_name": "test", "contacts": ["Artem", "Ghost", "Lera", "Nobody"], "message": "hi"}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["success"], false);
    assert_eq!(
        reply["wrong_contacts"],
        json!([
            {"name": "Ghost", "error": "no contact in base"},
            {"name": "Nobody", "error": "no contact in base"},
        ])
    );
    assert_eq!(reply["deliveries"], 3);
    let send_id = reply["sendId"].as_str().unwrap();
    let mut contacts: Vec<String> = t
        .deliveries(send_id)
        .await
        .iter()
        .map(|d| s(d, "contact"))
        .collect();
    contacts.dedup();
    assert_eq!(contacts, ["Artem", "Lera"]);
    assert_eq!(t.depth(&t.queue_url).await, 1, "one fanout queued");

    // All known: success true and an empty list, which the seed's client reads.
    let (status, reply) = t
        .send(
            t.key(),
            &json!({"user_name": "test", "contacts": ["Lera"], "message": "hi"}),
        )
        .await;
    assert_eq!((status, &reply["success"]), (200, &json!(true)), "{reply}");
    assert_eq!(reply["wrong_contacts"], json!([]));
}

#[tokio::test]
async fn wall_clock_times_are_read_in_the_requests_zone_else_the_users_default() {
    let t = spawn().await;
    given_the_seed_contacts(&t).await;
    // 09:00 in Moscow on 5 January next year (UTC+3 all year) is 06:00 UTC.
    let body = |zone: Option<&str>| {
        let mut b = json!({"user_name": "test", "contact": "Lera", "message": "morning", "time": [ny(), 1, 5, 9, 0, 0]});
        if let Some(z) = zone {
            b["time_zone"] = json!(z);
        }
        b
    };
    let (status, reply) = t.send(t.key(), &body(None)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        (&reply["scheduledAt"], &reply["timeZone"]),
        (
            &json!(format!("{}-01-05T09:00:00.000Z", ny())),
            &json!("UTC")
        ),
        "no zone anywhere: UTC, as before"
    );
    let (status, reply) = t.send(t.key(), &body(Some("Europe/Moscow"))).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        (&reply["scheduledAt"], &reply["timeZone"]),
        (
            &json!(format!("{}-01-05T06:00:00.000Z", ny())),
            &json!("Europe/Moscow")
        )
    );
    let scheduled = t
        .scheduler
        .get_schedule()
        .group_name(&t.group)
        .name(lookout_messenger::schedule_name(
            &lookout_messenger::SendId::parse(reply["sendId"].as_str().unwrap()).unwrap(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        scheduled.schedule_expression(),
        Some(format!("at({}-01-05T06:00:00)", ny()).as_str())
    );

    // The user's default zone, set once with POST /api/contacts, applies to later sends; the
    // request's own zone still wins, and an instant with an offset ignores both.
    let (status, reply) = t
        .create(
            t.key(),
            &json!({"user_name": "test", "time_zone": "Asia/Tokyo"}),
        )
        .await;
    assert_eq!(
        (status, reply),
        (200, json!({"success": true, "time_zone": "Asia/Tokyo"}))
    );
    let (_, listed) = t.list(t.key(), &[("user_name", "test")], "").await;
    assert_eq!(listed["time_zone"], "Asia/Tokyo");
    assert_eq!(listed["contacts"].as_object().unwrap().len(), 2, "{listed}");
    let (_, reply) = t.send(t.key(), &body(None)).await;
    assert_eq!(
        (&reply["scheduledAt"], &reply["timeZone"]),
        (
            &json!(format!("{}-01-05T00:00:00.000Z", ny())),
            &json!("Asia/Tokyo")
        )
    );
    let (_, reply) = t.send(t.key(), &body(Some("Europe/Moscow"))).await;
    assert_eq!(
        reply["scheduledAt"],
        json!(format!("{}-01-05T06:00:00.000Z", ny()))
    );
    let mut instant = body(None);
    instant["time"] = json!(format!("{}-01-05T09:00:00+01:00", ny()));
    let (_, reply) = t.send(t.key(), &instant).await;
    assert_eq!(
        reply["scheduledAt"],
        json!(format!("{}-01-05T08:00:00.000Z", ny()))
    );

    // A zone that is not an IANA name is a 400 that stores nothing.
    let before = t.items().await.len();
    let (status, reply) = t.send(t.key(), &body(Some("Moscow"))).await;
    assert_eq!(status, 400, "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains("IANA"),
        "{reply}"
    );
    let (status, reply) = t
        .create(t.key(), &json!({"user_name": "test", "time_zone": "GMT+3"}))
        .await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(t.items().await.len(), before, "nothing written");
}

/// `PUT /api/contacts` as its handler answers, with the `Retry-After` header.
async fn send_with_retry_after(t: &Msg, body: &Value) -> (u16, Value, Option<String>) {
    let req = lookout_tests::support::http_request(
        "PUT",
        "/api/contacts",
        &[],
        &[("x-api-key", t.key())],
        &body.to_string(),
    );
    lookout_tests::support::read_with_retry_after(send_messages::handle(&t.send, req).await)
}

#[tokio::test]
async fn a_tenant_over_its_daily_sends_gets_429_and_stores_nothing_while_others_send() {
    let mut t = spawn().await;
    t.send.quotas.sends_per_day = 2;
    given_the_seed_contacts(&t).await;
    let body =
        |i: usize| json!({"user_name": "test", "contact": ["Artem"], "message": format!("m{i}")});
    let (status, keyed) = send_keyed(&t, "quota-1", &body(0)).await;
    assert_eq!(status, 200, "{keyed}");
    let (status, reply) = t.send(t.key(), &body(1)).await;
    assert_eq!(status, 200, "{reply}");
    let items = t.items().await.len();
    let depth = t.depth(&t.queue_url).await;

    let (status, reply, retry) = send_with_retry_after(&t, &body(2)).await;
    assert_eq!(
        (status, &reply["error"]),
        (429, &json!("quota_exceeded")),
        "{reply}"
    );
    assert!(reply["message"]
        .as_str()
        .unwrap()
        .contains("its 2 sends for today"));
    let retry: u64 = retry.unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&retry), "{retry}");
    assert_eq!(t.items().await.len(), items, "nothing stored");
    assert_eq!(t.depth(&t.queue_url).await, depth, "nothing enqueued");
    // A keyed repeat of an accepted send still gets its reply.
    let (status, again) = send_keyed(&t, "quota-1", &body(0)).await;
    assert_eq!(
        (status, &again["sendId"]),
        (200, &keyed["sendId"]),
        "{again}"
    );

    // Another tenant's sends are its own.
    let other = t.app.key_for("globex").await;
    let (status, created) = t
        .create(
            &other,
            &json!({"user_name": "ops", "contact": contact("Dana", "123456789", "", "")}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let (status, reply) = t
        .send(
            &other,
            &json!({"user_name": "ops", "contact": ["Dana"], "message": "hi"}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
}

#[tokio::test]
async fn a_send_scheduled_too_far_ahead_gets_429_until_it_is_near_enough() {
    let mut t = spawn().await;
    t.send.quotas.schedule_ahead_days = 30;
    given_the_seed_contacts(&t).await;
    let far = later(&t, 31 * 86_400);
    let (status, reply, retry) = send_with_retry_after(
        &t,
        &json!({"user_name": "test", "contact": ["Artem"], "message": "m", "time": far.to_rfc3339()}),
    )
    .await;
    assert_eq!(status, 429, "{reply}");
    assert!(reply["message"]
        .as_str()
        .unwrap()
        .contains("at most 30 days ahead"));
    let retry: i64 = retry.unwrap().parse().unwrap();
    assert!(
        (86_399..=86_401).contains(&retry),
        "it may be made a day later: {retry}"
    );
    assert!(t
        .items()
        .await
        .iter()
        .all(|i| !s(i, "pk").starts_with("SEND#")));
    assert!(schedules(&t).await.is_empty(), "nothing scheduled");
    // Within the horizon it is scheduled.
    let near = later(&t, 29 * 86_400);
    let (status, reply) = t
        .send(
            t.key(),
            &json!({"user_name": "test", "contact": ["Artem"], "message": "m", "time": near.to_rfc3339()}),
        )
        .await;
    assert_eq!(
        (status, &reply["scheduled"]),
        (200, &json!(true)),
        "{reply}"
    );
}
