use super::*;

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
