//! The deliver-messages consumer in-process against moto and the emulator: fanout, partial
//! batch failures, retries then a recorded failure, idempotent redelivery, interrupted
//! attempts, poison messages.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::Message;
use lookout_dev::emulator::Received;
use serde_json::{json, Value};

use crate::harness::{contact, num, s, spawn, Msg, MAX_ATTEMPTS};

/// Runs the fanout job of the send just made; returns the `deliver` jobs it enqueued, received,
/// keyed by messenger.
async fn fan_out(t: &Msg) -> HashMap<String, Message> {
    let (messages, response) = t.round().await.expect("the fanout job");
    assert_eq!(messages.len(), 1);
    assert!(response.batch_item_failures.is_empty());
    let jobs = t.receive().await;
    let mut by_messenger = HashMap::new();
    for m in jobs {
        let job: Value = serde_json::from_str(m.body().unwrap()).unwrap();
        assert_eq!(job["type"], "deliver");
        let id = job["deliveryId"].as_str().unwrap().to_owned();
        let (send, n) = id.rsplit_once('-').unwrap();
        let item = t
            .deliveries(send)
            .await
            .into_iter()
            .find(|d| s(d, "sk") == format!("D#{n}"))
            .unwrap();
        by_messenger.insert(s(&item, "messenger"), m);
    }
    by_messenger
}

fn accepted(received: &[Received]) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = received
        .iter()
        .filter(|r| r.accepted)
        .map(|r| (r.messenger.clone(), r.address.clone(), r.text.clone()))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn each_delivery_reaches_its_messenger_once_in_the_real_api_shapes() {
    let t = spawn().await;
    t.given_contacts(
        "test",
        &[contact("Artem", "-1001234567", "+799200828615", "")],
    )
    .await;
    let send_id = t.send_now("test", &["Artem"], "Привет 👋").await;
    let rounds = t.drain().await;
    assert!(rounds <= 3, "{rounds}");

    let received = t.emulator.received();
    assert_eq!(received.len(), 2, "{received:?}");
    assert_eq!(
        accepted(&received),
        [
            ("telegram".into(), "-1001234567".into(), "Привет 👋".into()),
            (
                "whatsapp".into(),
                "+799200828615".into(),
                "Привет 👋".into()
            ),
        ]
    );
    let tg = received.iter().find(|r| r.messenger == "telegram").unwrap();
    assert_eq!(tg.credential, "emulator-bot-token");
    assert_eq!(
        tg.body,
        json!({"chat_id": -1_001_234_567_i64, "text": "Привет 👋"})
    );
    let wa = received.iter().find(|r| r.messenger == "whatsapp").unwrap();
    assert_eq!(wa.credential, "emulator-access-token");
    assert_eq!(wa.body["messaging_product"], "whatsapp");
    assert_eq!(wa.body["type"], "text");
    assert_eq!(wa.body["text"]["body"], "Привет 👋");

    for d in t.deliveries(&send_id).await {
        assert_eq!(s(&d, "status"), "sent", "{d:?}");
        assert_eq!(num(&d, "attempts"), 1);
        assert!(!s(&d, "providerId").is_empty() && !s(&d, "sentAt").is_empty());
        assert!(!d.contains_key("leaseUntil"));
    }
    assert_eq!(t.depth(&t.queue_url).await, 0);
    let (_, failed) = t.failed(t.key(), &[("user_name", "test")], "").await;
    assert_eq!(failed, json!({"data": []}));
}

#[tokio::test]
async fn a_failing_record_is_reported_alone_and_retried_until_recorded_as_failed() {
    let t = spawn().await;
    t.given_contacts("test", &[contact("Lera", "LeraTg", "", "01234567890A=")])
        .await;
    let send_id = t.send_now("test", &["Lera"], "f").await;
    let jobs = fan_out(&t).await;
    let batch = vec![jobs["telegram"].clone(), jobs["viber"].clone()];

    // One batch, two records: only Viber's is reported.
    let response = t.consume(&batch).await;
    let failures: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failures, [jobs["viber"].message_id().unwrap()]);
    t.ack(&batch, &response).await;
    let viber = t.delivery_of(&send_id, "viber").await;
    assert_eq!(
        (s(&viber, "status").as_str(), num(&viber, "attempts")),
        ("pending", 1)
    );
    assert!(
        s(&viber, "lastError").contains("tooManyRequests"),
        "{viber:?}"
    );
    assert_eq!(
        s(&t.delivery_of(&send_id, "telegram").await, "status"),
        "sent"
    );

    // The retry delay is 0 here: the Viber job comes straight back until attempts run out.
    t.drain().await;
    let viber = t.delivery_of(&send_id, "viber").await;
    assert_eq!(s(&viber, "status"), "failed");
    assert_eq!(num(&viber, "attempts"), i64::from(MAX_ATTEMPTS));
    let received = t.emulator.received();
    let viber_calls: Vec<&Received> = received.iter().filter(|r| r.messenger == "viber").collect();
    assert_eq!(
        viber_calls.len(),
        MAX_ATTEMPTS as usize,
        "one call per attempt"
    );
    assert!(viber_calls
        .iter()
        .all(|r| !r.accepted && r.credential == "emulator-auth-token"));
    assert_eq!(viber_calls[0].body["receiver"], "01234567890A=");
    assert_eq!(viber_calls[0].body["sender"]["name"], "Lookout");
    assert_eq!(
        received
            .iter()
            .filter(|r| r.messenger == "telegram")
            .count(),
        1
    );

    // Recorded, acknowledged, not redriven.
    assert_eq!(t.depth(&t.queue_url).await, 0);
    assert_eq!(t.depth(&t.dlq_url).await, 0);
    let (status, failed) = t.failed(t.key(), &[("user_name", "test")], "").await;
    assert_eq!(status, 200);
    let data = failed["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{failed}");
    let f = &data[0];
    assert_eq!(f["sender"], "test");
    assert_eq!(f["message"], "f");
    assert_eq!(f["contact"], "Lera");
    assert_eq!(
        f["url"],
        format!("{}/viber/pa/send_message", t.emulator.url())
    );
    assert_eq!(f["messenger"], "viber");
    assert_eq!(f["attempts"], MAX_ATTEMPTS);
    let error = f["error"].as_str().unwrap();
    assert!(
        error.contains("tooManyRequests") && error.contains("gave up after 3 attempts"),
        "{error}"
    );
    let due = lookout_core::time::Timestamp::parse_str(&s(&viber, "scheduledAt")).unwrap();
    assert_eq!(f["time"], json!(lookout_messenger::time_parts(due)));

    // The cross-tenant `failed-all` index (the console overview) has it, and only it.
    let store = lookout_messenger::BroadcastStore::new(
        t.app.ddb.clone(),
        t.app.stack.table("MessengerTable").unwrap(),
        30,
    );
    let hour_ago = lookout_core::time::Timestamp::now()
        .plus_millis(-3_600_000)
        .unwrap();
    let all = store.failed.since(hour_ago, 10).await.unwrap();
    assert_eq!(all.count, 1, "{all:?}");
    assert_eq!(
        (
            all.recent[0].tenant.as_str(),
            all.recent[0].contact.as_str(),
            all.recent[0].messenger.to_string()
        ),
        ("acme", "Lera", "viber".to_owned())
    );
}

#[tokio::test]
async fn a_transient_failure_then_success_is_delivered_once() {
    let t = spawn().await;
    t.given_contacts("u", &[contact("A", "", "+15550001111", "")])
        .await;
    t.emulator.fail_next("whatsapp", 503, 1);
    let send_id = t.send_now("u", &["A"], "retry me").await;
    t.drain().await;
    let calls: Vec<(u16, bool)> = t
        .emulator
        .received()
        .iter()
        .map(|r| (r.status, r.accepted))
        .collect();
    assert_eq!(calls, [(503, false), (200, true)]);
    let d = &t.deliveries(&send_id).await[0];
    assert_eq!((s(d, "status").as_str(), num(d, "attempts")), ("sent", 2));
    assert!(!d.contains_key("failedPk"), "not in the failed list");
}

#[tokio::test]
async fn a_rejection_is_recorded_at_once_without_leaking_the_bot_token() {
    let t = spawn().await;
    t.given_contacts("u", &[contact("Blocked", "@blocked_user", "", "")])
        .await;
    let send_id = t.send_now("u", &["Blocked"], "hello?").await;
    t.drain().await;
    assert_eq!(
        t.emulator.received().len(),
        1,
        "a permanent failure is not retried"
    );
    let d = &t.deliveries(&send_id).await[0];
    assert_eq!((s(d, "status").as_str(), num(d, "attempts")), ("failed", 1));
    let (_, failed) = t.failed(t.key(), &[], r#"{"user_name": "u"}"#).await;
    let f = &failed["data"][0];
    assert!(
        f["error"]
            .as_str()
            .unwrap()
            .contains("bot was blocked by the user"),
        "{f}"
    );
    assert_eq!(
        f["url"],
        format!("{}/telegram/bot***/sendMessage", t.emulator.url())
    );
    let everything = serde_json::to_string(
        &t.items()
            .await
            .iter()
            .map(|i| format!("{i:?}"))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(!failed.to_string().contains("emulator-bot-token"));
    assert!(
        !everything.contains("emulator-bot-token"),
        "no token stored"
    );
}

#[tokio::test]
async fn a_redelivered_event_never_sends_twice() {
    let t = spawn().await;
    t.given_contacts("u", &[contact("A", "AAAAA", "+15550002222", "")])
        .await;
    let send_id = t.send_now("u", &["A"], "once").await;
    let jobs = fan_out(&t).await;
    let batch: Vec<Message> = jobs.into_values().collect();

    // The same SQS event twice (as after a lost delete or a visibility timeout).
    let first = t.consume(&batch).await;
    assert!(first.batch_item_failures.is_empty());
    let second = t.consume(&batch).await;
    assert!(
        second.batch_item_failures.is_empty(),
        "duplicates are acknowledged"
    );
    assert_eq!(accepted(&t.emulator.received()).len(), 2);
    assert_eq!(t.emulator.received().len(), 2, "nothing sent twice");

    // Two consumers racing on the same event: still one send each.
    t.given_contacts("u", &[contact("B", "BBBBB", "", "")])
        .await;
    let other = t.send_now("u", &["B"], "race").await;
    let jobs = fan_out(&t).await;
    let batch: Vec<Message> = jobs.into_values().collect();
    let (a, b) = tokio::join!(t.consume(&batch), t.consume(&batch));
    let races = a.batch_item_failures.len() + b.batch_item_failures.len();
    assert!(races <= 1, "at most the loser retries: {a:?} {b:?}");
    let sent_to_b = t
        .emulator
        .received()
        .iter()
        .filter(|r| r.address == "BBBBB")
        .count();
    assert_eq!(sent_to_b, 1);
    for id in [&send_id, &other] {
        for d in t.deliveries(id).await {
            assert_eq!(s(&d, "status"), "sent");
            assert_eq!(num(&d, "attempts"), 1);
        }
    }
}

#[tokio::test]
async fn an_interrupted_attempt_is_recorded_as_failed_not_resent() {
    let t = spawn().await;
    t.given_contacts("u", &[contact("A", "AAAAA", "+15550003333", "")])
        .await;
    let send_id = t.send_now("u", &["A"], "crash").await;
    let jobs = fan_out(&t).await;

    // A consumer claimed both deliveries and died: telegram's lease has run out, whatsapp's
    // has not.
    let deliveries = t.deliveries(&send_id).await;
    for d in &deliveries {
        let lease = if s(d, "messenger") == "telegram" {
            "2000-01-01T00:00:00.000Z"
        } else {
            "2999-01-01T00:00:00.000Z"
        };
        t.app
            .ddb
            .update_item()
            .table_name(t.table())
            .key("pk", d["pk"].clone())
            .key("sk", d["sk"].clone())
            .update_expression("SET #s = :s, attempts = :a, leaseUntil = :l")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":s", AttributeValue::S("sending".into()))
            .expression_attribute_values(":a", AttributeValue::N("1".into()))
            .expression_attribute_values(":l", AttributeValue::S(lease.into()))
            .send()
            .await
            .unwrap();
    }
    let batch = vec![jobs["telegram"].clone(), jobs["whatsApp"].clone()];
    let response = t.consume(&batch).await;
    let failures: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(
        failures,
        [jobs["whatsApp"].message_id().unwrap()],
        "busy elsewhere: retried later"
    );
    assert!(t.emulator.received().is_empty(), "nothing (re)sent");

    let tg = t
        .deliveries(&send_id)
        .await
        .into_iter()
        .find(|d| s(d, "messenger") == "telegram")
        .unwrap();
    assert_eq!(s(&tg, "status"), "failed");
    assert_eq!(
        tg.get("interrupted").and_then(|v| v.as_bool().ok()),
        Some(&true)
    );
    let (_, failed) = t.failed(t.key(), &[("user_name", "u")], "").await;
    let data = failed["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["message"], "crash");
    assert!(
        data[0]["error"].as_str().unwrap().contains("interrupted"),
        "{failed}"
    );
}

#[tokio::test]
async fn poison_messages_end_in_the_dead_letter_queue() {
    let t = spawn().await;
    t.given_contacts("u", &[contact("A", "AAAAA", "", "")])
        .await;
    for body in [
        "not json",
        r#"{"type":"explode"}"#,
        r#"{"type":"deliver","deliveryId":"0123456789abcdef0123456789abcdef-0000"}"#,
        r#"{"type":"fanout","sendId":"0123456789abcdef0123456789abcdef"}"#,
    ] {
        t.sqs
            .send_message()
            .queue_url(&t.queue_url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    // A good job in the same batches is delivered regardless.
    t.send_now("u", &["A"], "fine").await;
    let mut rounds = 0;
    while t.depth(&t.queue_url).await > 0 {
        t.round().await;
        rounds += 1;
        assert!(rounds < 80, "poison messages never left the queue");
    }
    assert_eq!(accepted(&t.emulator.received()).len(), 1);
    let mut dead: Vec<String> = t
        .receive_from(&t.dlq_url)
        .await
        .iter()
        .map(|m| m.body().unwrap().to_owned())
        .collect();
    dead.sort();
    assert_eq!(dead.len(), 4, "{dead:?}");
    assert!(dead.contains(&"not json".to_owned()));
}

#[tokio::test]
async fn an_unreadable_secret_fails_the_invocation_and_claims_nothing_until_it_is_fixed() {
    use lookout_core::config::ConfigError;
    use lookout_messenger::{LazyMessenger, Messenger, MessengerConfig, MessengerTokens};

    let mut t = spawn().await;
    let sdk = lookout_dev::moto::sdk_config(&t.app.endpoint).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let arn = t.app.stack.secrets["MessengerSecret"].clone();
    let put = |text: &'static str| {
        let (secrets, arn) = (secrets.clone(), arn.clone());
        async move {
            secrets
                .put_secret_value()
                .secret_id(arn)
                .secret_string(text)
                .send()
                .await
                .unwrap();
        }
    };
    put("telegram_bot_token=oops").await;
    // The consumer's messenger as deployed (settings read on first use), over the stack's
    // secret in moto and the emulator's URLs.
    let (reader, secret, url) = (secrets.clone(), arn.clone(), t.emulator.url().to_owned());
    t.deliver.messenger = std::sync::Arc::new(LazyMessenger::with_loader(move || {
        let (reader, secret, url) = (reader.clone(), secret.clone(), url.clone());
        Box::pin(async move {
            let out = reader
                .get_secret_value()
                .secret_id(secret)
                .send()
                .await
                .map_err(|e| ConfigError(e.to_string()))?;
            MessengerTokens::parse(out.secret_string().unwrap_or_default())?;
            Messenger::new(MessengerConfig::emulated(&url))
        })
    }));
    t.given_contacts("test", &[contact("Artem", "-1001234567", "", "")])
        .await;
    let send_id = t.send_now("test", &["Artem"], "disk full").await;
    let fanout = t.receive().await;
    assert_eq!(fanout.len(), 1);

    let failed = deliver_messages::handle(&t.deliver, t.event(&fanout)).await;
    let err = failed.expect_err("no settings: the invocation fails");
    assert!(err.to_string().contains("messenger secret"), "{err}");
    let deliveries = t.deliveries(&send_id).await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(
        (s(&deliveries[0], "status"), num(&deliveries[0], "attempts")),
        ("pending".to_owned(), 0),
        "nothing claimed, no attempt used"
    );
    assert!(t.receive().await.is_empty(), "no deliver job enqueued");

    // The operator fixes the secret; the batch comes back and is delivered.
    put(lookout_tests::support::EMULATOR_TOKENS).await;
    let response = deliver_messages::handle(&t.deliver, t.event(&fanout))
        .await
        .expect("settings loaded on the next invocation");
    assert!(response.batch_item_failures.is_empty());
    t.ack(&fanout, &response).await;
    t.drain().await;
    assert_eq!(
        accepted(&t.emulator.received()),
        [("telegram".into(), "-1001234567".into(), "disk full".into())]
    );
}

#[tokio::test]
async fn an_admin_alert_is_one_send_to_the_admin_contacts_however_often_it_is_queued() {
    let t = spawn().await;
    let alert = lookout_core::events::AdminAlert::new(
        "hb-0123456789abcdef-7",
        "[Lookout] DOWN: app 7 (acme) is silent\n\nApp 7 stopped sending heartbeats.",
    );
    for _ in 0..2 {
        t.sqs
            .send_message()
            .queue_url(&t.queue_url)
            .message_body(alert.job_body())
            .send()
            .await
            .unwrap();
    }
    t.drain().await;

    let received = t.emulator.received();
    assert_eq!(
        accepted(&received),
        [(
            "telegram".to_owned(),
            lookout_tests::support::ADMIN_ALERT_CHAT.to_owned(),
            alert.text.clone()
        )],
        "one message for two copies of the alert"
    );
    // A send of the internal alerts tenant, with one delivery, sent.
    let sends: Vec<_> = t
        .items()
        .await
        .into_iter()
        .filter(|i| s(i, "sk") == "SEND")
        .collect();
    assert_eq!(sends.len(), 1, "{sends:?}");
    assert_eq!(s(&sends[0], "tenant"), "_alerts");
}

/// A DynamoDB failure after a delivery was claimed but before the messenger call gives the
/// attempt back: nothing is sent, nothing is recorded as failed or interrupted, and the next
/// receive sends it, once.
#[tokio::test]
async fn a_failure_between_the_claim_and_the_send_gives_the_attempt_back() {
    let t = spawn().await;
    t.given_contacts("test", &[contact("Artem", "-1001234567", "", "")])
        .await;
    let send_id = t.send_now("test", &["Artem"], "once").await;
    let jobs = fan_out(&t).await;
    let job: Value = serde_json::from_str(jobs["telegram"].body().unwrap()).unwrap();
    let id = lookout_messenger::DeliveryId::parse(job["deliveryId"].as_str().unwrap()).unwrap();

    // The consumer's DynamoDB calls go through a proxy that refuses GetItem (reading the
    // send's text); the claim (UpdateItem) passes.
    let (proxy, deps) = through_proxy(&t).await;
    proxy.fail_ops(&["GetItem"]);
    assert!(lookout_messenger::deliver(&deps.ports(), &id, 1)
        .await
        .is_err());
    let d = t.delivery_of(&send_id, "telegram").await;
    assert_eq!(
        (
            s(&d, "status"),
            num(&d, "attempts"),
            d.contains_key("leaseUntil")
        ),
        ("pending".to_owned(), 0, false),
        "the attempt is given back: {d:?}"
    );
    assert!(t.emulator.received().is_empty(), "nothing sent");

    // The job comes back: sent once, as the first attempt.
    proxy.up();
    let outcome = lookout_messenger::deliver(&deps.ports(), &id, 2)
        .await
        .unwrap();
    assert_eq!(outcome, lookout_messenger::JobOutcome::Ack);
    let d = t.delivery_of(&send_id, "telegram").await;
    assert_eq!(
        (s(&d, "status"), num(&d, "attempts")),
        ("sent".to_owned(), 1)
    );
    assert_eq!(accepted(&t.emulator.received()).len(), 1);
}

/// The consumer's DynamoDB calls through a fault proxy.
async fn through_proxy(
    t: &crate::harness::Msg,
) -> (lookout_tests::faults::FaultProxy, deliver_messages::Deps) {
    let proxy =
        lookout_tests::faults::FaultProxy::start(&lookout_dev::moto::endpoint().unwrap()).await;
    let sdk = t
        .app
        .sdk_for("deliver-messages")
        .await
        .into_builder()
        .endpoint_url(proxy.url())
        .build();
    let mut deps = t.deliver.clone();
    deps.store =
        lookout_messenger::BroadcastStore::new(aws_sdk_dynamodb::Client::new(&sdk), t.table(), 30);
    (proxy, deps)
}

/// A transient failure whose retry could not be recorded at once (one failed UpdateItem) is
/// recorded by the consumer's own next try (#30): before, the delivery stayed `sending`, and
/// the next receive recorded it as interrupted (failed) although it had not arrived.
#[tokio::test]
async fn a_retry_the_store_refused_once_is_recorded_not_lost() {
    let t = spawn().await;
    t.given_contacts("test", &[contact("Lera", "", "", "01234567890A=")])
        .await;
    let send_id = t.send_now("test", &["Lera"], "f").await;
    let jobs = fan_out(&t).await;
    let job: Value = serde_json::from_str(jobs["viber"].body().unwrap()).unwrap();
    let id = lookout_messenger::DeliveryId::parse(job["deliveryId"].as_str().unwrap()).unwrap();
    let (proxy, deps) = through_proxy(&t).await;
    // The claim (the first UpdateItem) passes; the retry's record (the second) is refused.
    proxy.fail_nth("UpdateItem", 2);
    let outcome = lookout_messenger::deliver(&deps.ports(), &id, 1)
        .await
        .unwrap();
    assert!(
        matches!(outcome, lookout_messenger::JobOutcome::Retry(Some(_))),
        "{outcome:?}"
    );
    assert_eq!(proxy.refused(), ["UpdateItem"], "one write was refused");
    let viber = t.delivery_of(&send_id, "viber").await;
    assert_eq!(
        (s(&viber, "status").as_str(), num(&viber, "attempts")),
        ("pending", 1),
        "{viber:?}"
    );
    // The next receive tries it again (the emulator's Viber answers tooManyRequests).
    lookout_messenger::deliver(&deps.ports(), &id, 2)
        .await
        .unwrap();
    assert_eq!(num(&t.delivery_of(&send_id, "viber").await, "attempts"), 2);
}

/// On the job's last receive before the queue dead-letters it, a transient failure is
/// recorded as failed and listed, so no delivery stays pending behind a dead-lettered job
/// (#30: maxReceiveCount 25, attempts up to 20, and busy or failed receives between them).
#[tokio::test]
async fn a_jobs_last_receive_records_the_delivery_as_failed() {
    let t = spawn().await;
    t.given_contacts("test", &[contact("Lera", "", "", "01234567890A=")])
        .await;
    let send_id = t.send_now("test", &["Lera"], "f").await;
    let jobs = fan_out(&t).await;
    let job: Value = serde_json::from_str(jobs["viber"].body().unwrap()).unwrap();
    let id = lookout_messenger::DeliveryId::parse(job["deliveryId"].as_str().unwrap()).unwrap();
    let last = t.deliver.policy.max_receives;
    let outcome = lookout_messenger::deliver(&t.deliver.ports(), &id, last)
        .await
        .unwrap();
    assert_eq!(outcome, lookout_messenger::JobOutcome::Ack);
    let viber = t.delivery_of(&send_id, "viber").await;
    assert_eq!(
        (s(&viber, "status").as_str(), num(&viber, "attempts")),
        ("failed", 1),
        "{viber:?}"
    );
    assert!(
        s(&viber, "lastError").contains("the queue's limit"),
        "{viber:?}"
    );
    let (_, failed) = t.failed(t.key(), &[("user_name", "test")], "").await;
    assert_eq!(failed["data"].as_array().map(Vec::len), Some(1), "{failed}");
}
