use super::*;

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
        SendError::NotConfigured(MessengerKind::Viber)
    );
}
