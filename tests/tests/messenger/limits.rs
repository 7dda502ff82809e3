//! Texts longer than a messenger takes in one message (#30, "never cry wolf"): through the
//! real handlers against moto and the emulator, which refuses an over-long text as the real
//! services do (Telegram 400 "message is too long", WhatsApp 400 `(#100)`, Viber `badData`).
//! Every request must fit, the parts must arrive in order and hold the whole text, and a part
//! that fails after another was accepted must not make a retry send that one again.

use lookout_core::events::AdminAlert;
use lookout_dev::emulator::Received;
use lookout_messenger::{text_units, MAX_TEXT_CHARS};
use serde_json::Value;

use crate::harness::{contact, num, s, spawn, Msg, MAX_ATTEMPTS};

/// The texts `messenger` received, in order, each checked to fit `limit` UTF-16 units.
fn texts_to(received: &[Received], messenger: &str, limit: usize) -> Vec<(String, bool)> {
    received
        .iter()
        .filter(|r| r.messenger == messenger)
        .map(|r| {
            assert!(
                text_units(&r.text) <= limit,
                "{messenger} got {} units: {:.80}…",
                text_units(&r.text),
                r.text
            );
            (r.text.clone(), r.accepted)
        })
        .collect()
}

/// The parts' texts without their numbers `(k/n) `, checked to run 1..=n in order.
fn joined(parts: &[(String, bool)]) -> String {
    let n = parts.len();
    parts
        .iter()
        .enumerate()
        .map(|(i, (text, _))| {
            let number = format!("({}/{n}) ", i + 1);
            text.strip_prefix(&number)
                .unwrap_or_else(|| panic!("part {i} lacks {number:?}: {text:.80}"))
                .to_owned()
        })
        .collect()
}

/// A broadcast of `MAX_TEXT_CHARS` characters, the most the API takes, mostly emoji: 4096
/// characters, but more than 7000 UTF-16 units, which is what the messengers count.
fn emoji_broadcast() -> String {
    let text: String = (0..)
        .map(|i| format!("{} {i:03}\n", "🔥".repeat(16)))
        .flat_map(|line| line.chars().collect::<Vec<_>>())
        .take(MAX_TEXT_CHARS)
        .collect();
    assert_eq!(text.chars().count(), MAX_TEXT_CHARS);
    assert!(text_units(&text) > 7000, "{}", text_units(&text));
    text
}

#[tokio::test]
async fn a_broadcast_longer_than_a_message_arrives_whole_in_parts_that_fit() {
    let t = spawn().await;
    t.given_contacts(
        "test",
        &[contact(
            "Artem",
            "-1001234567",
            "+799200828615",
            "01234567890A=",
        )],
    )
    .await;
    let message = emoji_broadcast();
    let send_id = t.send_now("test", &["Artem"], &message).await;
    t.drain().await;

    let received = t.emulator.received();
    for (messenger, stored) in [("telegram", "telegram"), ("whatsapp", "whatsApp")] {
        let parts = texts_to(&received, messenger, 4096);
        assert_eq!(parts.len(), 2, "{messenger}: two parts");
        assert!(parts.iter().all(|(_, accepted)| *accepted), "{messenger}");
        assert_eq!(joined(&parts), message.trim_end(), "{messenger}: all of it");
        let d = t.delivery_of(&send_id, stored).await;
        assert_eq!(
            (s(&d, "status").as_str(), num(&d, "attempts")),
            ("sent", 1),
            "{d:?}"
        );
        assert_eq!(
            s(&d, "providerId").split(',').count(),
            2,
            "both parts' ids: {d:?}"
        );
    }
    // The emulator's Viber always answers tooManyRequests: each attempt's first part fits
    // (7000 units), is refused for the rate, not the length, and the attempts run out.
    let viber = texts_to(&received, "viber", 7000);
    assert_eq!(viber.len(), MAX_ATTEMPTS as usize, "one part an attempt");
    assert!(viber.iter().all(|(text, _)| text.starts_with("(1/2) ")));
    let d = t.delivery_of(&send_id, "viber").await;
    assert_eq!(s(&d, "status"), "failed");
    let (_, failed) = t.failed(t.key(), &[("user_name", "test")], "").await;
    let data = failed["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{failed}");
    let error = data[0]["error"].as_str().unwrap();
    assert!(
        error.contains("tooManyRequests") && !error.contains("badData"),
        "{error}"
    );
    assert_eq!(data[0]["message"], Value::String(message), "the whole text");
}

/// The longest text a delivery carries: an incident's 10,000 characters, here as an admin alert
/// (`{"type":"alert"}` on the messenger queue becomes a send of the alerts tenant, delivered
/// like any broadcast). The API refuses broadcasts over 4096 characters; the consumer does not
/// rely on that.
#[tokio::test]
async fn a_10000_character_alert_reaches_the_admin_chat_whole_in_three_parts() {
    let t = spawn().await;
    let text: String = (0..)
        .map(|i| format!("{i:04} billing: charge failed, connection reset by peer\n"))
        .flat_map(|line| line.chars().collect::<Vec<_>>())
        .take(10_000)
        .collect();
    let alert = AdminAlert {
        alert_id: "incident-10000".into(),
        text: text.clone(),
    };
    t.sqs
        .send_message()
        .queue_url(&t.queue_url)
        .message_body(alert.job_body())
        .send()
        .await
        .unwrap();
    t.drain().await;

    let received = t.emulator.received();
    let parts = texts_to(&received, "telegram", 4096);
    assert_eq!(
        parts.len(),
        3,
        "{:?}",
        parts.iter().map(|p| p.0.len()).collect::<Vec<_>>()
    );
    assert!(received
        .iter()
        .all(|r| r.accepted && r.address == lookout_tests::support::ADMIN_ALERT_CHAT));
    assert_eq!(joined(&parts), text.trim_end(), "all of it, in order");

    let send_id = alert_send(&t).await;
    let deliveries = t.deliveries(&send_id).await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(
        (
            s(&deliveries[0], "status").as_str(),
            num(&deliveries[0], "attempts")
        ),
        ("sent", 1),
        "{deliveries:?}"
    );
}

/// A transient failure of the second part, after the first was accepted: the delivery is
/// recorded as failed at once, with the whole text in the failed list, and never retried, so
/// the recipient does not get the first part twice.
#[tokio::test]
async fn a_part_failing_after_one_was_accepted_fails_the_delivery_without_resending() {
    let t = spawn().await;
    t.given_contacts("test", &[contact("Artem", "-1001234567", "", "")])
        .await;
    t.emulator.pass_next("telegram", 1);
    t.emulator.fail_next("telegram", 503, 1);
    let message = emoji_broadcast();
    let send_id = t.send_now("test", &["Artem"], &message).await;
    t.drain().await;

    let parts = texts_to(&t.emulator.received(), "telegram", 4096);
    assert_eq!(
        parts.iter().map(|(_, ok)| *ok).collect::<Vec<_>>(),
        [true, false],
        "part 1 accepted, part 2 failed, nothing sent after"
    );
    let d = t.delivery_of(&send_id, "telegram").await;
    assert_eq!(
        (s(&d, "status").as_str(), num(&d, "attempts")),
        ("failed", 1),
        "{d:?}"
    );
    let (_, failed) = t.failed(t.key(), &[("user_name", "test")], "").await;
    let f = &failed["data"][0];
    let error = f["error"].as_str().unwrap();
    assert!(
        error.contains("accepted 1 of 2 parts, then part 2 failed")
            && error.contains("(503)")
            && error.contains("not sent again"),
        "{error}"
    );
    assert_eq!(f["message"], Value::String(message), "the whole text");
    assert_eq!(t.depth(&t.queue_url).await, 0, "acknowledged, not retried");
}

/// The send id of the (only) send of the alerts tenant.
async fn alert_send(t: &Msg) -> String {
    let sends: Vec<_> = t
        .items()
        .await
        .into_iter()
        .filter(|i| s(i, "sk") == "SEND" && s(i, "tenant") == "_alerts")
        .collect();
    assert_eq!(sends.len(), 1, "{sends:?}");
    s(&sends[0], "pk").strip_prefix("SEND#").unwrap().to_owned()
}
