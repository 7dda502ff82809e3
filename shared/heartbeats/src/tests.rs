use super::*;
use serde_json::json;

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_str(s).unwrap()
}

#[test]
fn app_ids_accept_the_seeds_integers_and_safe_strings() {
    let n: AppId = serde_json::from_value(json!(23)).unwrap();
    let s: AppId = serde_json::from_value(json!("23")).unwrap();
    assert_eq!(n, s);
    assert_eq!(n.to_json(), json!(23));
    let named: AppId = serde_json::from_value(json!("billing-api.prod")).unwrap();
    assert_eq!(named.to_json(), json!("billing-api.prod"));
    let padded: AppId = serde_json::from_value(json!("007")).unwrap();
    assert_eq!(padded.to_json(), json!("007"));
    // The seed took any scalar: whole floats are integers, other numbers and booleans text.
    let id = |v: Value| serde_json::from_value::<AppId>(v).unwrap();
    assert_eq!(id(json!(23.0)), n);
    assert_eq!(id(json!(-1)).to_json(), json!(-1));
    assert_eq!(id(json!(1.5)).as_str(), "1.5");
    assert_eq!(id(json!(true)).as_str(), "true");
    assert_eq!(id(json!(u64::MAX)).to_json(), json!(u64::MAX.to_string()));
    for bad in [
        json!(""),
        json!("a#b"),
        json!("a b"),
        json!(null),
        json!([1]),
        json!("x".repeat(129)),
    ] {
        assert!(
            serde_json::from_value::<AppId>(bad.clone()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn heartbeat_input_is_validated() {
    let ok: HeartbeatIn =
        serde_json::from_value(json!({"app_id": 23, "message": "OK:200"})).unwrap();
    assert_eq!(ok.message.unwrap().as_str(), "OK:200");
    let bare: HeartbeatIn = serde_json::from_value(json!({"app_id": 23})).unwrap();
    assert!(bare.message.is_none());
    // As the seed: unknown fields ignored, scalar messages kept as text, null is none.
    let lenient: HeartbeatIn =
        serde_json::from_value(json!({"app_id": 23, "message": 5, "status": "x"})).unwrap();
    assert_eq!(lenient.message.unwrap().as_str(), "5");
    let null: HeartbeatIn = serde_json::from_value(json!({"app_id": 23, "message": null})).unwrap();
    assert!(null.message.is_none());
    for bad in [
        json!({}),
        json!({"app_id": 23, "message": "a\nb"}),
        json!({"app_id": 23, "message": "x".repeat(1025)}),
        json!({"app_id": 23, "message": [5]}),
        json!({"app_id": 23, "message": {"a": 1}}),
    ] {
        assert!(
            serde_json::from_value::<HeartbeatIn>(bad.clone()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn due_follows_state_deadline_and_unsent_mail() {
    let now = ts("2030-01-01T00:00:00Z");
    let tenant = Tenant::parse("acme").unwrap();
    let mut rec = AppRecord::new(&tenant, &AppId("7".into()), now, 60, 60);
    assert_eq!(rec.due_at, Some(millis(now) + 120_000));
    assert!(rec.due_shard.as_deref().unwrap().starts_with("DUE#"));
    rec.state = AppState::Down;
    rec.refresh_due();
    assert_eq!((rec.due_at, rec.due_shard.as_deref()), (None, None));
    rec.put_outbox(MailKind::Down, "s".into(), "b".into(), now);
    rec.refresh_due();
    assert_eq!(rec.due_at, Some(millis(now) + MAIL_LEASE_MS));
    rec.state = AppState::Up;
    rec.refresh_due();
    assert_eq!(
        rec.due_at,
        Some(millis(now) + 120_000),
        "the earlier of both"
    );
}

#[test]
fn shards_spread_and_are_stable() {
    let shards: std::collections::HashSet<String> =
        (0..200).map(|i| shard_of(&format!("APP#t#{i}"))).collect();
    assert_eq!(shards.len(), DUE_SHARDS as usize);
    assert_eq!(shard_of("APP#t#1"), shard_of("APP#t#1"));
}

#[test]
fn manual_clock_moves_only_when_set() {
    let clock = Clock::manual(ts("2030-01-01T00:00:00Z"));
    assert_eq!(clock.now(), ts("2030-01-01T00:00:00Z"));
    clock.set(ts("2030-01-01T00:05:00Z"));
    assert_eq!(clock.now(), ts("2030-01-01T00:05:00Z"));
}

#[test]
fn list_query_explains_bad_parameters() {
    assert!(ListQuery::parse(None, None, None, None).is_err());
    assert!(ListQuery::parse(Some("a b"), None, None, None).is_err());
    assert!(ListQuery::parse(Some("acme"), Some("sleeping"), None, None).is_err());
    assert!(ListQuery::parse(Some("acme"), None, Some("0"), None).is_err());
    assert!(ListQuery::parse(Some("acme"), None, Some("101"), None).is_err());
    let q = ListQuery::parse(Some("acme"), Some("down"), Some("5"), None).unwrap();
    assert_eq!((q.state, q.limit), (Some(AppState::Down), 5));
}

#[test]
fn page_tokens_are_bound_to_their_tenant() {
    let key: HashMap<String, AttributeValue> =
        [("pk", "APP#acme#1"), ("tenant", "acme"), ("appId", "1")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), AttributeValue::S(v.to_owned())))
            .collect();
    let decode = |t: &str, tenant: &str| {
        lookout_core::ddb::decode_page_token(t, &TOKEN_KEYS, ("tenant", tenant), "next_token")
    };
    let token = lookout_core::ddb::encode_page_token(&key, &TOKEN_KEYS);
    assert_eq!(decode(&token, "acme").unwrap(), key);
    assert!(decode(&token, "other").is_err());
    assert!(decode("zz", "acme").is_err());
}
