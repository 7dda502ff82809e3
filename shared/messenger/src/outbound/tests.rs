use std::time::Duration;

use serde_json::{json, Value};

use crate::outbound::client::{telegram_chat_id, Messenger};
use crate::outbound::error::{Delivered, MessengerError};
use crate::outbound::kind::MessengerKind;
use crate::outbound::limits::{text_units, TELEGRAM_MAX_TEXT};
use crate::outbound::memory::MemoryMessenger;
use crate::outbound::outcome::{telegram_outcome, viber_outcome, whatsapp_outcome};
use crate::outbound::port::MessengerApi;
use crate::outbound::settings::{check_base_url, MessengerConfig};

#[test]
fn kinds_use_the_seed_keys() {
    assert_eq!(
        MessengerKind::parse("WhatsApp").unwrap(),
        MessengerKind::WhatsApp
    );
    assert_eq!(
        MessengerKind::parse("telegram").unwrap(),
        MessengerKind::Telegram
    );
    assert!(MessengerKind::parse("icq").is_err());
    assert_eq!(
        serde_json::to_string(&MessengerKind::WhatsApp).unwrap(),
        r#""whatsApp""#
    );
}

#[test]
fn outcomes_follow_each_api() {
    assert_eq!(
        telegram_outcome(200, &json!({"ok": true, "result": {"message_id": 7}})).unwrap(),
        Delivered {
            provider_id: Some("7".into())
        }
    );
    let blocked = telegram_outcome(
        403,
        &json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
    )
    .unwrap_err();
    assert!(!blocked.is_transient());
    assert!(blocked.to_string().contains("blocked"), "{blocked}");
    assert!(
        telegram_outcome(429, &json!({"ok": false, "error_code": 429}))
            .unwrap_err()
            .is_transient()
    );
    assert!(telegram_outcome(502, &Value::String("Bad Gateway".into()))
        .unwrap_err()
        .is_transient());

    assert!(whatsapp_outcome(200, &json!({"messages": [{"id": "wamid.1"}]})).is_ok());
    assert!(
        !whatsapp_outcome(401, &json!({"error": {"message": "bad token"}}))
            .unwrap_err()
            .is_transient()
    );
    assert!(whatsapp_outcome(503, &Value::Null)
        .unwrap_err()
        .is_transient());

    assert!(viber_outcome(200, &json!({"status": 0, "message_token": 5})).is_ok());
    // Viber reports failures in a 200 body.
    let busy = viber_outcome(
        200,
        &json!({"status": 12, "status_message": "tooManyRequests"}),
    )
    .unwrap_err();
    assert!(busy.is_transient(), "{busy}");
    let gone = viber_outcome(
        200,
        &json!({"status": 6, "status_message": "receiverNotSubscribed"}),
    )
    .unwrap_err();
    assert!(!gone.is_transient());
    assert!(gone.to_string().contains("receiverNotSubscribed"));
}

#[test]
fn endpoints_hide_the_bot_token() {
    let m = Messenger::new(MessengerConfig::emulated("http://127.0.0.1:1/")).unwrap();
    let url = m.endpoint(MessengerKind::Telegram).unwrap();
    assert_eq!(url, "http://127.0.0.1:1/telegram/bot***/sendMessage");
    assert_eq!(
        m.endpoint(MessengerKind::Viber).unwrap(),
        "http://127.0.0.1:1/viber/pa/send_message"
    );
    let none = Messenger::new(MessengerConfig::none()).unwrap();
    assert_eq!(none.endpoint(MessengerKind::Viber), None);
    assert!(!format!("{:?}", m.config()).contains("emulator-bot-token"));
}

#[test]
fn base_urls_are_checked() {
    assert!(check_base_url("https://api.telegram.org").is_ok());
    assert!(check_base_url("http://127.0.0.1:8081/telegram").is_ok());
    assert!(check_base_url("ftp://x").is_err());
    assert!(check_base_url("https://").is_err());
}

#[test]
fn numeric_chat_ids_are_numbers() {
    assert_eq!(telegram_chat_id("-100123"), json!(-100_123));
    assert_eq!(telegram_chat_id("@channel"), json!("@channel"));
}

#[tokio::test]
async fn transport_errors_are_transient_and_hide_the_token() {
    // Nothing listens on port 9 of localhost (discard); the call fails to connect.
    let mut config = MessengerConfig::emulated("http://127.0.0.1:9");
    config.timeout = Duration::from_secs(2);
    let m = Messenger::new(config).unwrap();
    let err = m
        .send(MessengerKind::Telegram, "1", "hi")
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert!(!err.to_string().contains("emulator-bot-token"), "{err}");
    let none = Messenger::new(MessengerConfig::none()).unwrap();
    assert_eq!(
        none.send(MessengerKind::Viber, "x", "hi")
            .await
            .unwrap_err(),
        MessengerError::NotConfigured(MessengerKind::Viber)
    );
}

/// A text of `lines` lines of 50 characters (about `lines × 51` units).
fn long_text(lines: usize) -> String {
    (0..lines)
        .map(|i| format!("{i:04} {}\n", "x".repeat(45)))
        .collect()
}

#[tokio::test]
async fn a_long_text_goes_in_numbered_parts_in_order_each_within_the_limit() {
    let m = MemoryMessenger::default();
    for id in ["11", "12", "13"] {
        m.then(Ok(Delivered {
            provider_id: Some(id.into()),
        }));
    }
    let text = long_text(200); // 10,200 characters
    let delivered = m
        .send(MessengerKind::Telegram, "-100123", &text)
        .await
        .unwrap();
    assert_eq!(delivered.provider_id.as_deref(), Some("11,12,13"));
    let sent = m.sent();
    assert_eq!(sent.len(), 3);
    let mut whole = String::new();
    for (i, s) in sent.iter().enumerate() {
        assert_eq!(
            (s.kind, s.address.as_str()),
            (MessengerKind::Telegram, "-100123")
        );
        assert!(text_units(&s.text) <= TELEGRAM_MAX_TEXT, "part {i}");
        let number = format!("({}/3) ", i + 1);
        whole.push_str(s.text.strip_prefix(&number).unwrap());
    }
    assert_eq!(whole, text.trim_end(), "in order, nothing lost");

    // Viber takes 7000 units a message: two parts.
    let viber = MemoryMessenger::default();
    viber.send(MessengerKind::Viber, "v=", &text).await.unwrap();
    assert_eq!(viber.sent().len(), 2);
    // A short text goes as it is.
    let short = MemoryMessenger::default();
    short
        .send(MessengerKind::WhatsApp, "+1555", "disk full")
        .await
        .unwrap();
    assert_eq!(short.sent()[0].text, "disk full");
}

#[tokio::test]
async fn a_failed_first_part_is_the_error_as_it_is_and_nothing_more_is_sent() {
    let m = MemoryMessenger::default();
    let busy = MessengerError::Unavailable {
        kind: MessengerKind::Telegram,
        status: Some(429),
        detail: "Too Many Requests".into(),
    };
    m.then(Err(busy.clone()));
    let err = m
        .send(MessengerKind::Telegram, "-1", &long_text(200))
        .await
        .unwrap_err();
    assert_eq!(
        err, busy,
        "transient: nothing arrived, a retry repeats nothing"
    );
    assert!(err.is_transient());
    assert_eq!(m.sent().len(), 1);
}

#[tokio::test]
async fn a_failure_after_an_accepted_part_is_permanent_so_no_part_is_sent_twice() {
    let m = MemoryMessenger::default();
    m.then(Ok(Delivered {
        provider_id: Some("7".into()),
    }))
    .then(Err(MessengerError::Unavailable {
        kind: MessengerKind::WhatsApp,
        status: Some(503),
        detail: "Service temporarily unavailable".into(),
    }));
    let err = m
        .send(MessengerKind::WhatsApp, "+1555", &long_text(200))
        .await
        .unwrap_err();
    assert!(!err.is_transient(), "{err}");
    assert!(
        matches!(
            &err,
            MessengerError::PartlySent { kind: MessengerKind::WhatsApp, accepted: 1, total: 3, cause }
                if cause.is_transient()
        ),
        "{err:?}"
    );
    let said = err.to_string();
    assert!(
        said.contains("accepted 1 of 3 parts, then part 2 failed")
            && said.contains("(503)")
            && said.contains("not sent again"),
        "{said}"
    );
    assert_eq!(m.sent().len(), 2, "the third part is not tried");
}
