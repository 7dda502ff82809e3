//! The pure parts: inputs, the app record's keys and due times, the state machine's admin
//! steps, page tokens, the outage book.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use lookout_core::auth::Tenant;
use lookout_core::time::ManualClock;
use serde_json::{json, Value};

use super::{ts, T0};
use crate::error::HeartbeatError;
use crate::input::{
    AdminAction, AdminAppIn, AppId, AppState, HeartbeatIn, ListQuery, SignalIn, MAX_INT_ID,
};
use crate::limits::{DEFAULT_INDEX_SHARDS, MAIL_LEASE_MS};
use crate::record::{add_downtime, shard_of, AppRecord, MailKind};
use crate::state::{apply_admin, on_due, DueStep};
use crate::store::apps::TOKEN_KEYS;
use crate::time::{from_millis, millis};

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
    // Integer ids stop at 2^53-1 either way (exact in every JSON client).
    let max = MAX_INT_ID;
    assert_eq!(id(json!(max)).to_json(), json!(max));
    assert_eq!(id(json!(-(max as i64))).to_json(), json!(-(max as i64)));
    for bad in [
        json!(max + 1),
        json!(-(max as i64) - 1),
        json!(u64::MAX),
        json!(1e300),
        json!(-6.389790166280884e16),
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
    assert_eq!(shards.len(), DEFAULT_INDEX_SHARDS as usize);
    // Stable: the first four bytes of the key's SHA-256, modulo the shard count.
    assert_eq!(shard_of("APP#t#1"), "DUE#0");
    assert_eq!(shard_of("APP#t#2"), "DUE#7");
    assert_eq!(shard_of("APP#t#3"), "DUE#2");
}

#[test]
fn a_larger_shard_count_spreads_over_more_shards() {
    use crate::record::shard_among;
    let among = |n: u32| -> std::collections::HashSet<String> {
        (0..2_000)
            .map(|i| shard_among(&format!("APP#t#{i}"), n))
            .collect()
    };
    assert_eq!(among(32).len(), 32);
    assert_eq!(among(64).len(), 64);
    // Every shard of a count is below the count: raising it keeps old shards in the scan.
    assert!(among(16)
        .iter()
        .all(|s| s.trim_start_matches("DUE#").parse::<u32>().unwrap() < 16));
    assert_eq!(shard_among("APP#t#2", 8), "DUE#7");
}

#[test]
fn manual_clock_moves_only_when_set() {
    let clock = ManualClock::new(ts("2030-01-01T00:00:00Z"));
    assert_eq!(clock.now(), ts("2030-01-01T00:00:00Z"));
    clock.set(ts("2030-01-01T00:05:00Z"));
    assert_eq!(clock.now(), ts("2030-01-01T00:05:00Z"));
    clock.advance(std::time::Duration::from_secs(60));
    assert_eq!(clock.shared().now(), ts("2030-01-01T00:06:00Z"));
}

#[test]
fn pause_stops_watching_resume_restarts_the_deadline_and_period_changes_move_it() {
    let now = ts(T0);
    let tenant = Tenant::parse("acme").unwrap();
    let mut rec = AppRecord::new(&tenant, &AppId("7".into()), now, 60, 60);
    let admin = |action: Option<AdminAction>, period: Option<u32>| AdminAppIn {
        tenant: tenant.clone(),
        app_id: AppId("7".into()),
        action,
        period_seconds: period,
        grace_seconds: None,
        schedule: None,
        tz: None,
        max_runtime_seconds: None,
        min_runtime_seconds: None,
        min_interval_seconds: None,
        fail_tolerance: None,
    };
    apply_admin(
        &mut rec,
        &admin(None, Some(300)),
        from_millis(millis(now) + 10_000),
    )
    .unwrap();
    assert_eq!(
        rec.deadline,
        millis(now) + 360_000,
        "from the start of the watch"
    );

    let later = from_millis(millis(now) + 3_600_000);
    apply_admin(&mut rec, &admin(Some(AdminAction::Pause), None), now).unwrap();
    rec.refresh_due();
    assert_eq!((rec.state, rec.due_at), (AppState::Paused, None));
    assert_eq!(
        on_due(&rec, later),
        DueStep::Nothing,
        "a paused app never goes down"
    );

    apply_admin(&mut rec, &admin(Some(AdminAction::Resume), None), later).unwrap();
    assert_eq!(rec.state, AppState::Up);
    assert_eq!(rec.deadline, millis(later) + 360_000);

    apply_admin(&mut rec, &admin(Some(AdminAction::Retire), None), later).unwrap();
    assert_eq!(rec.expires_at, Some(later.unix_seconds() + 90 * 86_400));
    assert!(matches!(
        apply_admin(&mut rec, &admin(Some(AdminAction::Pause), None), later),
        Err(HeartbeatError::StateConflict(_))
    ));
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

#[test]
fn outages_are_booked_per_utc_day_and_old_days_forgotten() {
    let mut book = BTreeMap::new();
    add_downtime(
        &mut book,
        ts("2030-01-01T23:00:00Z"),
        ts("2030-01-02T01:30:00Z"),
    );
    assert_eq!(
        book,
        BTreeMap::from([
            ("2030-01-01".to_owned(), 3600),
            ("2030-01-02".to_owned(), 5400)
        ])
    );
    add_downtime(
        &mut book,
        ts("2030-01-02T12:00:00Z"),
        ts("2030-01-02T12:00:30Z"),
    );
    assert_eq!(book["2030-01-02"], 5430);
    // 100 days later: the old days are gone, a whole day is 86 400 s at most.
    add_downtime(
        &mut book,
        ts("2030-04-12T00:00:00Z"),
        ts("2030-04-13T00:00:00Z"),
    );
    assert_eq!(book, BTreeMap::from([("2030-04-12".to_owned(), 86_400)]));
}

#[test]
fn integer_fields_take_whole_floats_as_json_schema_does() {
    let admin: AdminAppIn = serde_json::from_value(json!({
        "tenant": "acme", "app_id": 7, "period_seconds": 60.0, "grace_seconds": 30,
        "fail_tolerance": {"failures": 2.0, "runs": 3.0}
    }))
    .unwrap();
    assert_eq!(
        (admin.period_seconds, admin.grace_seconds),
        (Some(60), Some(30))
    );
    let signal: SignalIn = serde_json::from_value(json!({"app_id": 7, "exit_code": -1.0})).unwrap();
    assert_eq!(signal.exit_code, Some(-1));
    for bad in [json!(60.5), json!(-1), json!(4294967296.0)] {
        let body = json!({"tenant": "acme", "app_id": 7, "period_seconds": bad});
        assert!(serde_json::from_value::<AdminAppIn>(body).is_err(), "{bad}");
    }
}
