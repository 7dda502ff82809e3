use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use lookout_core::auth::Tenant;
use lookout_core::time::{ManualClock, Timestamp};
use lookout_mail::MemoryMail;
use serde_json::{json, Value};

use crate::announce::send_mail;
use crate::error::HeartbeatError;
use crate::input::{
    AdminAction, AdminAppIn, AppId, AppState, HeartbeatIn, ListQuery, SignalIn, MAX_INT_ID,
};
use crate::limits::{DUE_SHARDS, MAIL_LEASE_MS, MAX_MAIL_ATTEMPTS};
use crate::mail::PendingMail;
use crate::output::HeartbeatReply;
use crate::record::{add_downtime, shard_of, AppRecord, MailKind, ALERT_COOLDOWN_MS};
use crate::state::{apply_admin, mail_sent, on_beat, on_due, DueStep};
use crate::store::apps::TOKEN_KEYS;
use crate::time::{from_millis, millis};

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
    assert_eq!(shards.len(), DUE_SHARDS as usize);
    // Stable: the first four bytes of the key's SHA-256, modulo the shard count.
    assert_eq!(shard_of("APP#t#1"), "DUE#0");
    assert_eq!(shard_of("APP#t#2"), "DUE#7");
    assert_eq!(shard_of("APP#t#3"), "DUE#2");
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

// ------------------------------------------------ the state machine, without DynamoDB

/// One app's item as the store keeps it, driven through the pure steps the store uses, with a
/// manual clock and the in-memory mailer: the scanner sees the item only when it is due (as
/// the sparse `due` index shows it), and whoever makes a transition sends its mail and then
/// clears the outbox.
struct Sim {
    item: Option<AppRecord>,
    clock: ManualClock,
    mail: MemoryMail,
    tenant: Tenant,
}

const T0: &str = "2030-01-01T00:00:00Z";

impl Sim {
    fn new() -> Self {
        Self {
            item: None,
            clock: ManualClock::new(ts(T0)),
            mail: MemoryMail::default(),
            tenant: Tenant::parse("acme").unwrap(),
        }
    }

    /// Moves the clock to `T0 + ms`.
    fn at_ms(&self, ms: i64) {
        self.clock.set(from_millis(millis(ts(T0)) + ms));
    }

    fn rec(&self) -> &AppRecord {
        self.item.as_ref().unwrap()
    }

    async fn beat(&mut self, message: &str) -> HeartbeatReply {
        let beat: HeartbeatIn =
            serde_json::from_value(json!({"app_id": 7, "message": message})).unwrap();
        let now = self.clock.now();
        let step = on_beat(self.item.as_ref(), &self.tenant, &beat, now);
        assert_eq!(step.expected, self.item.as_ref().map(|r| r.version));
        self.item = Some(step.rec.clone());
        if step.recovered {
            self.send(PendingMail::of(&step.rec).unwrap()).await;
        }
        step.rec.heartbeat_reply(now)
    }

    /// One scanner run; what it did with the app.
    async fn scan(&mut self) -> &'static str {
        let now = self.clock.now();
        let rec = self.rec().clone();
        if rec.due_at.is_none_or(|d| d > millis(now)) {
            return "not due";
        }
        let (rec, what) = match on_due(&rec, now) {
            DueStep::Nothing => return "nothing",
            DueStep::WentDown(r) => (r, "went down"),
            DueStep::RetryMail(r) => (r, "retried mail"),
            DueStep::DropMail(r) => (r, "dropped mail"),
            DueStep::Rearm(r) => (r, "rearmed"),
            DueStep::Settle(r) => (r, "settled"),
        };
        self.item = Some((*rec).clone());
        if let Some(mail) = PendingMail::of(&rec) {
            self.send(mail).await;
        }
        what
    }

    async fn send(&mut self, mail: PendingMail) {
        if send_mail(&self.mail, &mail).await.is_ok() {
            if let Some(cleared) = mail_sent(self.rec(), mail.seq) {
                self.item = Some(cleared);
            }
        }
    }

    fn subjects(&self) -> Vec<String> {
        self.mail.sent().into_iter().map(|m| m.subject).collect()
    }
}

#[tokio::test]
async fn up_then_late_then_down_then_back_with_one_mail_per_transition() {
    let mut sim = Sim::new();
    let reply = sim.beat("OK").await;
    assert_eq!(reply.state, AppState::Up);
    assert_eq!(
        reply.due_by,
        Some(ts("2030-01-01T00:02:00Z")),
        "period 60 s + grace 60 s"
    );

    // Late: past the period, inside the grace. Still up, not even due.
    sim.at_ms(90_000);
    assert_eq!(sim.scan().await, "not due");
    assert_eq!(sim.rec().state, AppState::Up);

    // A beat in the grace moves the deadline.
    sim.beat("still OK").await;
    assert_eq!(sim.rec().deadline, millis(ts(T0)) + 90_000 + 120_000);
    sim.at_ms(90_000 + 120_000);
    assert_eq!(
        sim.scan().await,
        "nothing",
        "due in the index at the deadline, down only after it"
    );
    sim.at_ms(90_000 + 120_001);
    assert_eq!(sim.scan().await, "went down");
    assert_eq!(sim.rec().state, AppState::Down);
    assert_eq!(
        sim.rec().down_since,
        Some(from_millis(millis(ts(T0)) + 210_000))
    );
    assert!(sim.rec().outbox.is_none(), "the mail was sent and cleared");
    assert_eq!(sim.rec().due_at, None, "a down app leaves the due index");

    // Later runs do not mail again.
    sim.at_ms(3_600_000);
    assert_eq!(sim.scan().await, "not due");
    assert_eq!(sim.subjects().len(), 1);

    let reply = sim.beat("back").await;
    assert_eq!(reply.state, AppState::Up);
    assert_eq!(
        sim.subjects(),
        [
            "[Lookout] DOWN: app 7 (acme) is silent",
            "[Lookout] UP: app 7 (acme) is back"
        ]
    );
    let up = &sim.mail.sent()[1].text;
    assert!(
        up.contains("Down since:     2030-01-01T00:03:30.000Z (about 56 min)"),
        "{up}"
    );
    assert!(up.contains("Message:        back"), "{up}");
    assert_eq!(sim.rec().down_since, None);
    assert_eq!(sim.rec().beats, 3);
}

#[tokio::test]
async fn an_unsent_mail_is_retried_after_its_lease_then_given_up() {
    let mut sim = Sim::new();
    sim.beat("OK").await;
    sim.mail.set_failing(true);
    sim.at_ms(120_001);
    assert_eq!(sim.scan().await, "went down");
    let outbox = sim.rec().outbox.clone().unwrap();
    assert_eq!((outbox.kind, outbox.attempts), (MailKind::Down, 1));
    assert_eq!(
        sim.rec().due_at,
        Some(millis(ts(T0)) + 120_001 + MAIL_LEASE_MS)
    );

    // Inside the lease the writer may still be sending: nobody else does.
    sim.at_ms(120_001 + MAIL_LEASE_MS - 1);
    assert_eq!(sim.scan().await, "not due");
    let mut t = 120_001;
    for attempt in 2..=MAX_MAIL_ATTEMPTS {
        t += MAIL_LEASE_MS;
        sim.at_ms(t);
        assert_eq!(sim.scan().await, "retried mail");
        assert_eq!(sim.rec().outbox.as_ref().unwrap().attempts, attempt);
    }
    t += MAIL_LEASE_MS;
    sim.at_ms(t);
    assert_eq!(sim.scan().await, "dropped mail");
    assert!(sim.rec().outbox.is_none());
    assert_eq!(sim.rec().due_at, None);
    assert_eq!(
        sim.rec().state,
        AppState::Down,
        "giving up a mail changes no state"
    );
    assert!(sim.subjects().is_empty());

    // SES is back: the recovery is mailed at once.
    sim.mail.set_failing(false);
    sim.beat("back").await;
    assert_eq!(sim.subjects(), ["[Lookout] UP: app 7 (acme) is back"]);
}

#[tokio::test]
async fn a_recovery_replaces_an_unsent_down_mail_and_the_late_send_clears_nothing() {
    let mut sim = Sim::new();
    sim.beat("OK").await;
    sim.mail.set_failing(true);
    sim.at_ms(120_001);
    sim.scan().await;
    let down = PendingMail::of(sim.rec()).unwrap();
    sim.at_ms(130_000);
    sim.beat("back").await;
    let up = sim.rec().outbox.clone().unwrap();
    assert_eq!(up.kind, MailKind::Up);
    assert_ne!(up.seq, down.seq);
    assert!(
        mail_sent(sim.rec(), down.seq).is_none(),
        "the old mail's send must not clear the new one"
    );
    assert!(mail_sent(sim.rec(), up.seq).is_some());
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

#[tokio::test]
async fn a_flapping_app_is_announced_once_per_cooldown_with_how_often_it_flapped() {
    let mut sim = Sim::new();
    sim.beat("OK").await;
    // Down at 121 s (announced), back at 150 s (a recovery is always announced).
    sim.at_ms(121_000);
    assert_eq!(sim.scan().await, "went down");
    sim.at_ms(150_000);
    sim.beat("back").await;
    assert_eq!(sim.subjects().len(), 2);

    // Down again at 271 s, back at 300 s, down at 421 s: within 10 minutes of the last
    // announcement, so held.
    sim.at_ms(271_000);
    assert_eq!(sim.scan().await, "went down");
    sim.at_ms(300_000);
    sim.beat("back again").await;
    sim.at_ms(421_000);
    assert_eq!(sim.scan().await, "went down");
    assert_eq!(sim.subjects().len(), 2, "{:?}", sim.subjects());
    assert_eq!(sim.rec().held, 3);
    assert_eq!(
        sim.rec().due_at,
        Some(millis(ts(T0)) + 150_000 + ALERT_COOLDOWN_MS),
        "due when the cooldown ends"
    );

    // The cooldown ends (10 min after the last announcement) with the app down: one mail says
    // so, and how often it flapped.
    sim.at_ms(150_000 + ALERT_COOLDOWN_MS);
    assert_eq!(sim.scan().await, "settled");
    let mails = sim.mail.sent();
    assert_eq!(mails.len(), 3);
    assert_eq!(mails[2].subject, "[Lookout] DOWN: app 7 (acme) is silent");
    assert!(mails[2]
        .text
        .contains("changed state 3 times within 10 minutes"));
    assert_eq!(sim.rec().due_at, None);
}

#[tokio::test]
async fn a_flap_that_ends_where_the_admin_was_told_sends_nothing_more() {
    let mut sim = Sim::new();
    sim.beat("OK").await;
    sim.at_ms(121_000);
    sim.scan().await;
    sim.at_ms(130_000);
    sim.beat("back").await;
    // Down (held) and back (no news) within the cooldown.
    sim.at_ms(251_000);
    assert_eq!(sim.scan().await, "went down");
    sim.at_ms(260_000);
    sim.beat("back").await;
    for at in [370_000, 480_000, 600_000, 700_000] {
        sim.at_ms(at);
        sim.beat("fine").await;
    }
    sim.at_ms(130_000 + ALERT_COOLDOWN_MS);
    assert_eq!(sim.scan().await, "settled");
    assert_eq!(sim.subjects().len(), 2, "{:?}", sim.subjects());
    assert_eq!(sim.rec().state, AppState::Up);
    // It is watched as usual afterwards: the next silence is announced.
    sim.at_ms(700_000 + 121_000);
    assert_eq!(sim.scan().await, "went down");
    assert_eq!(sim.subjects().len(), 3);
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

#[tokio::test]
async fn a_recovery_books_its_outage() {
    let mut sim = Sim::new();
    sim.beat("OK").await;
    sim.at_ms(121_000);
    sim.scan().await; // down since 120 s
    sim.at_ms(420_000);
    sim.beat("back").await;
    assert_eq!(
        sim.rec().downtime,
        BTreeMap::from([("2030-01-01".to_owned(), 300)])
    );
    assert_eq!(
        sim.rec().view().downtime["2030-01-01"],
        300,
        "listed with the app"
    );
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
