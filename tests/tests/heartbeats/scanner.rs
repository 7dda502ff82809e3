//! The silent-app scanner with injected time: one mail per transition, no duplicates from
//! repeated or concurrent runs, recovery mail, paused/retired apps never alert, unsent mail
//! retried after its lease, and reads limited to due apps.

use lambda_runtime::{Context, LambdaEvent};
use lookout_heartbeats::{index_shards, MAIL_LEASE_MS};
use lookout_mail::{AdminMail, Mailer};
use serde_json::{json, Value};

use crate::harness::{at, ms, n, s, scheduled_event, spawn};

#[tokio::test]
async fn a_silent_app_gets_exactly_one_down_mail() {
    let hb = spawn().await;
    hb.beat_at(0, &json!({"app_id": 23, "message": "OK:200"}))
        .await;

    // Within period + grace: nothing to do, nothing read.
    let early = hb.scan_at(119).await;
    assert_eq!(
        (early.due, early.went_down, early.items_read),
        (0, 0, 0),
        "{early:?}"
    );
    assert!(hb.mails().await.is_empty());

    let report = hb.scan_at(121).await;

    assert_eq!(
        (report.due, report.went_down, report.mails_sent),
        (1, 1, 1),
        "{report:?}"
    );
    let mails = hb.mails().await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = &mails[0];
    assert_eq!(mail.from, hb.app.stack.params["SenderEmail"]);
    assert_eq!(mail.to, vec![hb.admin_email.clone()]);
    assert_eq!(mail.subject, "[Lookout] DOWN: app 23 (acme) is silent");
    for part in [
        "App 23 of tenant acme stopped sending heartbeats",
        &format!("Last heartbeat: {}", at(0)),
        "Last message:   OK:200",
        &format!("overdue since {}", at(120)),
        &format!("Detected at:    {}", at(121)),
    ] {
        assert!(mail.body.contains(part), "{part:?} not in {}", mail.body);
    }
    let item = hb.item("acme", "23").await.unwrap();
    assert_eq!(s(&item, "state"), "down");
    assert_eq!(s(&item, "downSince"), at(120));
    assert!(
        !item.contains_key("outbox"),
        "mail confirmed sent: {item:?}"
    );
    assert!(
        !item.contains_key("dueAt"),
        "a down app is not due any more"
    );

    // Later runs: no new mail, and nothing left to read.
    for later in [180, 600, 3600, 86_400] {
        let again = hb.scan_at(later).await;
        assert_eq!(
            (
                again.due,
                again.went_down,
                again.mails_sent,
                again.items_read
            ),
            (0, 0, 0, 0),
            "{again:?}"
        );
    }
    assert_eq!(hb.mails().await.len(), 1);
}

#[tokio::test]
async fn concurrent_scanner_runs_send_one_mail() {
    // Three runs at once over the same two due apps, in rounds (fresh apps each round) until
    // the runs have really raced: some run's versioned write lost (`conflicts`) and it
    // re-decided from the current item. Every round: each app goes down once, one mail each.
    let hb = spawn().await;
    let mut conflicts = 0;
    let mut rounds: i64 = 0;
    let mut mails: usize = 0;
    while conflicts == 0 && rounds < 30 {
        let base = rounds * 10_000;
        let (x, y) = (1000 + 2 * rounds, 1001 + 2 * rounds);
        hb.beat_at(base, &json!({"app_id": x})).await;
        hb.beat_at(base, &json!({"app_id": y})).await;

        let (a, b, c) = tokio::join!(
            hb.scan_at(base + 200),
            hb.scan_at(base + 200),
            hb.scan_at(base + 201)
        );

        assert_eq!(
            a.went_down + b.went_down + c.went_down,
            2,
            "{a:?} {b:?} {c:?}"
        );
        assert_eq!(a.mails_sent + b.mails_sent + c.mails_sent, 2);
        mails += 2;
        let mut subjects: Vec<String> = hb
            .mails()
            .await
            .into_iter()
            .map(|m| m.subject)
            .filter(|s| s.contains(&format!("app {x} ")) || s.contains(&format!("app {y} ")))
            .collect();
        subjects.sort();
        assert_eq!(
            subjects,
            vec![
                format!("[Lookout] DOWN: app {x} (acme) is silent"),
                format!("[Lookout] DOWN: app {y} (acme) is silent")
            ]
        );
        conflicts += a.conflicts + b.conflicts + c.conflicts;
        rounds += 1;
    }
    assert!(
        conflicts > 0,
        "{rounds} rounds of three concurrent runs never raced: the test proved nothing"
    );
    assert_eq!(hb.mails().await.len(), mails);
    eprintln!("raced in round {rounds}: {conflicts} lost writes re-decided, one mail per app");
}

#[tokio::test]
async fn a_heartbeat_after_an_outage_sends_one_recovery_mail() {
    let hb = spawn().await;
    hb.beat_at(0, &json!({"app_id": 23, "message": "OK:200"}))
        .await;
    hb.scan_at(121).await;
    assert_eq!(hb.mails().await.len(), 1);

    let (status, reply) = hb
        .beat_at(600, &json!({"app_id": 23, "message": "OK:back"}))
        .await;

    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        (reply["state"].clone(), reply["due_by"].clone()),
        (json!("up"), json!(at(720)))
    );
    let mails = hb.mails().await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    let up = &mails[1];
    assert_eq!(up.subject, "[Lookout] UP: app 23 (acme) is back");
    assert!(
        up.body.contains(&format!("Back at:        {}", at(600))),
        "{}",
        up.body
    );
    assert!(up.body.contains("Message:        OK:back"), "{}", up.body);
    assert!(
        up.body
            .contains(&format!("Down since:     {} (about 8 min)", at(120))),
        "{}",
        up.body
    );
    let item = hb.item("acme", "23").await.unwrap();
    assert_eq!(s(&item, "state"), "up");
    assert!(!item.contains_key("outbox") && !item.contains_key("downSince"));
    assert_eq!(n(&item, "dueAt"), ms(720));

    // More beats and runs in time: no more mail.
    hb.beat_at(650, &json!({"app_id": 23})).await;
    hb.scan_at(700).await;
    assert_eq!(hb.mails().await.len(), 2);

    // Silent again (more than the 10-minute alert cooldown after the recovery mail): a new
    // transition, a new mail.
    let report = hb.scan_at(1300).await;
    assert_eq!(report.went_down, 1);
    let mails = hb.mails().await;
    assert_eq!(mails.len(), 3);
    assert!(mails[2].subject.contains("DOWN"));
}

#[tokio::test]
async fn paused_and_retired_apps_never_alert() {
    let hb = spawn().await;
    for id in [1, 2, 3] {
        hb.beat_at(0, &json!({"app_id": id})).await;
    }
    hb.admin_at(
        10,
        &json!({"tenant": "acme", "app_id": 1, "action": "pause"}),
    )
    .await;
    hb.admin_at(
        10,
        &json!({"tenant": "acme", "app_id": 2, "action": "retire"}),
    )
    .await;

    let report = hb.scan_at(3600).await;

    assert_eq!(
        (report.due, report.went_down, report.items_read),
        (1, 1, 1),
        "only app 3 is read: {report:?}"
    );
    let mails = hb.mails().await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "[Lookout] DOWN: app 3 (acme) is silent");
    assert_eq!(s(&hb.item("acme", "1").await.unwrap(), "state"), "paused");
    assert_eq!(s(&hb.item("acme", "2").await.unwrap(), "state"), "retired");

    // Paused and retired apps that beat do not send recovery mail either.
    hb.beat_at(4000, &json!({"app_id": 1})).await;
    hb.beat_at(4000, &json!({"app_id": 2})).await;
    hb.scan_at(4050).await;
    assert_eq!(hb.mails().await.len(), 1);

    // Pausing a down app silences it; resuming watches it again without mail.
    hb.admin_at(
        4100,
        &json!({"tenant": "acme", "app_id": 3, "action": "pause"}),
    )
    .await;
    hb.admin_at(
        4200,
        &json!({"tenant": "acme", "app_id": 3, "action": "resume"}),
    )
    .await;
    assert_eq!(hb.mails().await.len(), 1);
    assert_eq!(
        hb.scan_at(4300).await.went_down,
        0,
        "fresh period + grace after resume"
    );
    assert_eq!(hb.scan_at(4400).await.went_down, 1);
    assert_eq!(hb.mails().await.len(), 2);
}

#[tokio::test]
async fn an_unsent_mail_is_sent_again_after_its_lease_exactly_once() {
    let hb = spawn().await;
    hb.beat_at(0, &json!({"app_id": 23, "message": "OK:200"}))
        .await;
    // A scanner whose mail fails (unverified sender), as if SES or the function died before
    // the send: the transition is stored with its mail, nothing is sent.
    let failed = scan_with_failing_mail(&hb, 121).await;
    assert!(failed.is_err(), "the run reports the unsent mail");
    assert!(hb.mails().await.is_empty());
    let item = hb.item("acme", "23").await.unwrap();
    assert_eq!(s(&item, "state"), "down");
    assert!(
        item.contains_key("outbox"),
        "the mail waits in the item: {item:?}"
    );
    let lease_end = ms(121) + MAIL_LEASE_MS;
    assert_eq!(n(&item, "dueAt"), lease_end);

    // Within the lease nobody else sends it (the first sender may still be at it).
    let within = hb.scan_at(121 + 60).await;
    assert_eq!((within.retried, within.mails_sent), (0, 0), "{within:?}");
    assert!(hb.mails().await.is_empty());

    // After the lease the next run sends it, once.
    let after = hb.scan_at(121 + 121).await;
    assert_eq!((after.retried, after.mails_sent), (1, 1), "{after:?}");
    let again = hb.scan_at(121 + 600).await;
    assert_eq!((again.retried, again.mails_sent), (0, 0), "{again:?}");
    let mails = hb.mails().await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "[Lookout] DOWN: app 23 (acme) is silent");
    assert!(
        mails[0]
            .body
            .contains(&format!("Detected at:    {}", at(121))),
        "the stored mail, unchanged"
    );
    let item = hb.item("acme", "23").await.unwrap();
    assert!(
        !item.contains_key("outbox") && !item.contains_key("dueAt"),
        "{item:?}"
    );
}

#[tokio::test]
async fn the_scanner_reads_only_due_apps() {
    let hb = spawn().await;
    for id in 0..3 {
        hb.beat_at(0, &json!({"app_id": format!("silent-{id}")}))
            .await;
    }
    for id in 0..40 {
        hb.beat_at(100, &json!({"app_id": format!("healthy-{id}")}))
            .await;
    }

    // The scanner's DynamoDB calls through a proxy in front of moto: what it reads is counted
    // there, not by the code under test.
    let proxy =
        lookout_tests::faults::FaultProxy::start(&lookout_dev::moto::endpoint().unwrap()).await;
    let sdk = hb
        .app
        .sdk_for("scan-silent-apps")
        .await
        .into_builder()
        .endpoint_url(proxy.url())
        .build();
    let scanner = scan_silent_apps::Deps {
        store: lookout_heartbeats::HeartbeatStore::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            hb.table(),
        ),
        ..hb.scanner.clone()
    };
    let scan = |secs: i64| {
        let (scanner, proxy) = (scanner.clone(), proxy.clone());
        async move {
            proxy.reset_log();
            let report = scan_silent_apps::handle(
                &scanner,
                LambdaEvent::new(scheduled_event(&at(secs)), Context::default()),
            )
            .await
            .unwrap();
            let ops = proxy.forwarded();
            let count = |name: &str| ops.iter().filter(|op| op.as_str() == name).count();
            // One Query per shard of the keys-only index, then the due items by key.
            (report, (count("Query"), count("BatchGetItem")))
        }
    };

    let (report, queries) = scan(150).await;
    assert_eq!(
        queries,
        (index_shards() as usize, 1),
        "one Query per shard and one BatchGetItem, nothing else read: {report:?}"
    );
    assert_eq!(
        (report.items_read, report.due, report.went_down),
        (3, 3, 3),
        "{report:?}"
    );
    let mails = hb.mails().await;
    assert_eq!(mails.len(), 1, "three at once are one digest");
    assert_eq!(mails[0].subject, "[Lookout] 3 apps DOWN");
    let (idle, queries) = scan(160).await;
    assert_eq!(
        (queries, idle.items_read),
        ((index_shards() as usize, 0), 0),
        "{idle:?}"
    );
}

/// A stack upgraded from before the `due-keys` index keeps the full-item `due` index for one
/// deploy (`KeepLegacyDueIndex=true`: CloudFormation adds or removes one index per update),
/// and the scanner's reads find the same due apps on either index. A new stack has only
/// `due-keys`, which projects what the scanner's queries read, not the item.
#[tokio::test]
async fn an_upgraded_stack_keeps_the_full_item_due_index_for_one_deploy() {
    use lookout_heartbeats::{DueItems, HeartbeatStore, ScanReport};
    let hb = spawn().await;
    let indexes = |table: String| {
        let ddb = hb.app.ddb.clone();
        async move {
            let t = ddb.describe_table().table_name(table).send().await.unwrap();
            let mut out: Vec<(String, String)> = t
                .table
                .unwrap()
                .global_secondary_indexes
                .unwrap_or_default()
                .into_iter()
                .filter(|g| g.index_name().is_some_and(|n| n.starts_with("due")))
                .map(|g| {
                    let p = g.projection.unwrap();
                    let kind = p.projection_type.map(|t| t.as_str().to_owned());
                    let attrs = p.non_key_attributes.unwrap_or_default().join(",");
                    (g.index_name.unwrap(), format!("{} {attrs}", kind.unwrap()))
                })
                .collect();
            out.sort();
            out
        }
    };
    assert_eq!(
        indexes(hb.table().to_owned()).await,
        [("due-keys".to_owned(), "INCLUDE tenant,state".to_owned())]
    );

    let sdk = lookout_dev::moto::sdk_config(&hb.moto).await;
    let mut params = hb.app.stack.params.clone();
    params.insert("KeepLegacyDueIndex".into(), "true".into());
    let prefix = format!("u{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let upgraded = lookout_dev::provision::provision(
        &lookout_tests::support::template(),
        &sdk,
        &prefix,
        &params,
    )
    .await
    .unwrap();
    let table = upgraded.table("HeartbeatTable").unwrap().to_owned();
    assert_eq!(
        indexes(table.clone()).await,
        [
            ("due".to_owned(), "ALL ".to_owned()),
            ("due-keys".to_owned(), "INCLUDE tenant,state".to_owned())
        ]
    );

    let store = HeartbeatStore::new(hb.app.ddb.clone(), &table);
    let tenant = lookout_core::auth::Tenant::parse("acme").unwrap();
    let beat = serde_json::from_value(json!({"app_id": "quiet"})).unwrap();
    store
        .heartbeat(&tenant, &beat, crate::harness::ts(&at(0)))
        .await
        .unwrap();
    for due in [store.due.clone(), store.due.clone().legacy()] {
        let mut report = ScanReport::default();
        due.read_due(crate::harness::ts(&at(100_000)), 500, &mut report)
            .await;
        assert_eq!((report.due, report.errors), (1, 0), "{report:?}");
    }
}

#[tokio::test]
async fn now_is_the_events_time() {
    let hb = spawn().await;
    hb.beat_at(0, &json!({"app_id": 23})).await;
    let bad = scan_silent_apps::handle(
        &hb.scanner,
        LambdaEvent::new(json!({"time": "yesterday-ish"}), Context::default()),
    )
    .await;
    assert!(bad.is_err());
    let report = hb.scan_at(121).await;
    assert_eq!(report.now, at(121));
}

/// A scanner run at `T0 + secs` whose mail fails (an unverified sender), as if SES or the
/// function died before the send.
async fn scan_with_failing_mail(
    hb: &crate::harness::Hb,
    secs: i64,
) -> Result<lookout_heartbeats::ScanReport, lambda_runtime::Error> {
    let sdk = lookout_dev::moto::sdk_config(&hb.moto).await;
    let broken = scan_silent_apps::Deps {
        store: hb.store.clone(),
        mail: AdminMail::new(
            Mailer::from_sdk(&sdk, "unverified@nowhere.example.com"),
            hb.admin_email.clone(),
        ),
        events: hb.scanner.events.clone(),
    };
    scan_silent_apps::handle(
        &broken,
        LambdaEvent::new(scheduled_event(&at(secs)), Context::default()),
    )
    .await
}

/// The bodies of the messages on one of this stack's queues (received and deleted).
pub(crate) async fn drain(hb: &crate::harness::Hb, queue: &str) -> Vec<String> {
    hb.drain(queue)
        .await
        .into_iter()
        .map(|m| m.body.unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn an_outage_of_fifty_apps_in_one_scan_is_one_digest_per_channel() {
    let hb = spawn().await;
    for id in 0..50 {
        hb.beat_at(0, &json!({"app_id": format!("svc-{id:02}")}))
            .await;
    }
    // A healthy one (it beat later): not in the digest.
    hb.beat_at(100, &json!({"app_id": "healthy"})).await;
    // Another tenant's app, healthy: fifty apps of one tenant going silent are that tenant's
    // outages, not a degraded ingestion (see `degraded_ingestion_holds_down_alerts…`).
    let globex = hb.app.key_for("globex").await;
    hb.clock.set(crate::harness::ts(&at(100)));
    assert_eq!(hb.beat_with(&globex, &json!({"app_id": 1})).await.0, 200);

    let report = hb.scan_at(121).await;

    assert_eq!(
        (
            report.went_down,
            report.mails_sent,
            report.digests,
            report.mail_errors
        ),
        (50, 1, 1, 0),
        "{report:?}"
    );
    // Mail: one, listing every app.
    let mails = hb.mails().await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "[Lookout] 50 apps DOWN");
    for id in 0..50 {
        assert!(
            mails[0]
                .body
                .contains(&format!("DOWN  svc-{id:02} (acme): silent")),
            "{}",
            mails[0].body
        );
    }
    // Messengers: one alert job, the digest's text, keyed for idempotency.
    let alerts = drain(&hb, "MessengerQueue").await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert: Value = serde_json::from_str(&alerts[0]).unwrap();
    assert_eq!(alert["type"], json!("alert"));
    assert!(alert["alertId"].as_str().unwrap().starts_with("digest-"));
    assert!(alert["text"]
        .as_str()
        .unwrap()
        .starts_with("[Lookout] 50 apps DOWN"));
    // Incidents: one event per app.
    assert_eq!(drain(&hb, "AppEventsQueue").await.len(), 50);
    assert!(!mails[0].body.contains("healthy"));
    // Every outbox is cleared: the next run announces nothing again.
    let again = hb.scan_at(200).await;
    assert_eq!((again.due, again.mails_sent), (0, 0), "{again:?}");
    assert_eq!(hb.mails().await.len(), 1);

    // A recovery alone is one mail and one alert of its own.
    hb.beat_at(500, &json!({"app_id": "svc-07"})).await;
    let mails = hb.mails().await;
    assert_eq!(
        mails.last().unwrap().subject,
        "[Lookout] UP: app svc-07 (acme) is back"
    );
    let alerts = drain(&hb, "MessengerQueue").await;
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].contains("UP: app svc-07"));
}

#[tokio::test]
async fn a_flapping_app_is_summed_up_when_its_alert_cooldown_ends() {
    let hb = spawn().await;
    hb.beat_at(0, &json!({"app_id": "flaky"})).await;
    hb.scan_at(121).await; // DOWN, announced
    hb.beat_at(150, &json!({"app_id": "flaky"})).await; // UP, announced (a recovery)
    hb.scan_at(271).await; // down again: held
    hb.beat_at(300, &json!({"app_id": "flaky"})).await; // up: held (no news)
    hb.scan_at(421).await; // down: held
    let subjects: Vec<String> = hb.mails().await.into_iter().map(|m| m.subject).collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert_eq!(drain(&hb, "AppEventsQueue").await.len(), 2);
    drain(&hb, "MessengerQueue").await;

    // Ten minutes after the last announcement: one mail, alert and event for where it is.
    let report = hb.scan_at(750).await;
    assert_eq!(report.mails_sent, 1, "{report:?}");
    let mails = hb.mails().await;
    assert_eq!(mails.len(), 3);
    assert_eq!(
        mails[2].subject,
        "[Lookout] DOWN: app flaky (acme) is silent"
    );
    assert!(mails[2]
        .body
        .contains("changed state 3 times within 10 minutes"));
    assert_eq!(drain(&hb, "MessengerQueue").await.len(), 1);
    assert_eq!(drain(&hb, "AppEventsQueue").await.len(), 1);
    assert_eq!(hb.scan_at(800).await.due, 0, "settled: not due any more");
}

/// The digest of transitions that could not be mailed is announced again after the lease with
/// the same alert id **and the same text**: a text that changed with the scan's time was
/// refused by the messenger consumer as a reused key (409), retried and dead-lettered (#30).
#[tokio::test]
async fn a_digest_announced_again_is_the_same_alert() {
    let hb = spawn().await;
    for id in 0..3 {
        hb.beat_at(0, &json!({"app_id": format!("svc-{id}")})).await;
    }
    let failed = scan_with_failing_mail(&hb, 121).await;
    assert!(failed.is_err(), "the run reports the unsent digest");
    let first = drain(&hb, "MessengerQueue").await;
    assert_eq!(first.len(), 1, "{first:?}");
    // After the lease, a later scan (another `now`) announces the same transitions again.
    let again = hb.scan_at(121 + 200).await;
    assert_eq!((again.digests, again.mails_sent), (1, 1), "{again:?}");
    let second = drain(&hb, "MessengerQueue").await;
    assert_eq!(second.len(), 1, "{second:?}");
    let (a, b): (Value, Value) = (
        serde_json::from_str(&first[0]).unwrap(),
        serde_json::from_str(&second[0]).unwrap(),
    );
    assert_eq!(a["alertId"], b["alertId"]);
    assert_eq!(a["text"], b["text"], "the same alert, word for word");
    assert!(a["text"]
        .as_str()
        .unwrap()
        .starts_with("[Lookout] 3 apps DOWN"));
}

/// A flood of rejected heartbeats (on AWS: the route throttle answering every tenant's beats
/// 429), then silence: every app goes quiet at once. That is degraded ingestion, not fifteen
/// outages: no per-app DOWN mail, alert or incident, one degradation notice, nothing more
/// while it lasts; when the beats come back, one recovery notice, and an app still silent
/// gets one more period before its DOWN (#30).
#[tokio::test]
async fn degraded_ingestion_holds_down_alerts_and_is_announced_once() {
    let hb = spawn().await;
    let globex = hb.app.key_for("globex").await;
    let beat_all = |secs: i64, skip: Option<&'static str>| {
        let (hb, globex) = (&hb, globex.clone());
        async move {
            for id in 0..12 {
                let app = format!("svc-{id:02}");
                if Some(app.as_str()) != skip {
                    assert_eq!(hb.beat_at(secs, &json!({"app_id": app})).await.0, 200);
                }
            }
            for id in 0..3 {
                assert_eq!(hb.beat_with(&globex, &json!({"app_id": id})).await.0, 200);
            }
        }
    };
    beat_all(0, None).await;
    let stored = hb.items().await.len();
    // The flood: beats without a valid key, every one refused, nothing stored.
    for i in 0..200 {
        hb.clock.set(crate::harness::ts(&at(10 + i / 4)));
        let (status, _) = hb.beat_with("not-a-key", &json!({"app_id": i})).await;
        assert_eq!(status, 401);
    }
    assert_eq!(hb.items().await.len(), stored);

    // Every app silent past its deadline: held, and one notice.
    let report = hb.scan_at(121).await;
    assert_eq!(
        (
            report.degraded,
            report.held,
            report.went_down,
            report.mails_sent
        ),
        (true, 15, 0, 1),
        "{report:?}"
    );
    let mails = hb.mails().await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(
        mails[0].subject,
        "[Lookout] Heartbeats are not reaching Lookout"
    );
    assert!(
        mails[0].body.contains("15 of 15 watched apps"),
        "{}",
        mails[0].body
    );
    let alerts = drain(&hb, "MessengerQueue").await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0].contains("ingestion-degraded-"), "{}", alerts[0]);
    assert!(
        drain(&hb, "AppEventsQueue").await.is_empty(),
        "no incident opened"
    );
    for id in 0..12 {
        let item = hb.item("acme", &format!("svc-{id:02}")).await.unwrap();
        assert_eq!(s(&item, "state"), "up");
    }

    // Still silent a minute later: held, nothing new announced.
    let report = hb.scan_at(181).await;
    assert_eq!(
        (
            report.degraded,
            report.held,
            report.went_down,
            report.mails_sent
        ),
        (true, 15, 0, 0),
        "{report:?}"
    );
    assert_eq!(hb.mails().await.len(), 1);
    assert!(drain(&hb, "MessengerQueue").await.is_empty());

    // The beats come back, except one app's.
    beat_all(200, Some("svc-11")).await;
    let report = hb.scan_at(260).await;
    assert_eq!(
        (
            report.degraded,
            report.rearmed,
            report.went_down,
            report.mails_sent
        ),
        (false, 1, 0, 1),
        "{report:?}"
    );
    let mails = hb.mails().await;
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1].subject, "[Lookout] Heartbeats reach Lookout again");
    let alerts = drain(&hb, "MessengerQueue").await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0].contains("ingestion-recovered-"), "{}", alerts[0]);
    assert_eq!(
        hb.scan_at(300).await.went_down,
        0,
        "within its fresh period"
    );

    // The one app still silent a full period (and grace) after recovery, while the others
    // beat on: a real DOWN.
    beat_all(310, Some("svc-11")).await;
    let report = hb.scan_at(381).await;
    assert_eq!(
        (report.went_down, report.degraded),
        (1, false),
        "{report:?}"
    );
    let mails = hb.mails().await;
    assert_eq!(mails.len(), 3);
    assert_eq!(
        mails[2].subject,
        "[Lookout] DOWN: app svc-11 (acme) is silent"
    );
    assert_eq!(drain(&hb, "AppEventsQueue").await.len(), 1);
}

/// One tenant whose apps all go silent cannot make the scanner hold another tenant's
/// alerts: a mass silence must span most tenants (#30).
#[tokio::test]
async fn one_tenants_mass_silence_does_not_hold_another_tenants_down_alert() {
    let hb = spawn().await;
    let globex = hb.app.key_for("globex").await;
    for id in 0..20 {
        hb.beat_at(0, &json!({"app_id": format!("svc-{id:02}")}))
            .await;
    }
    for id in 0..3 {
        assert_eq!(hb.beat_with(&globex, &json!({"app_id": id})).await.0, 200);
    }
    // globex's apps 0 and 1 keep beating; its app 2 really fails.
    hb.clock.set(crate::harness::ts(&at(100)));
    for id in 0..2 {
        assert_eq!(hb.beat_with(&globex, &json!({"app_id": id})).await.0, 200);
    }
    let report = hb.scan_at(121).await;
    assert_eq!(
        (report.degraded, report.held, report.went_down),
        (false, 0, 21),
        "{report:?}"
    );
    let mails = hb.mails().await;
    assert_eq!(mails.len(), 1, "one digest");
    assert_eq!(mails[0].subject, "[Lookout] 21 apps DOWN");
    assert!(
        mails[0].body.contains("DOWN  2 (globex)"),
        "{}",
        mails[0].body
    );
    // The count of watched apps it took is kept for the next scans (an hour).
    let items = hb.items().await;
    let watched = items
        .iter()
        .find(|i| s(i, "pk") == lookout_heartbeats::WATCHED_PK)
        .expect("the count is kept");
    assert_eq!(n(watched, "total"), 23);
}
