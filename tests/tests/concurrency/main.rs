//! Clients at once on one shared object of each product area, in-process: the functions'
//! real `handle` over their own `Deps` (each signed as its function's role) against moto,
//! spawned on a multi-threaded runtime and released together by a barrier. Nothing a client
//! was told was accepted is lost, nothing is stored twice:
//! - 50 reports of the SAME incident: one incident, count 50, one mail, one Telegram alert;
//! - 4 events from each of 50 clients into ONE session, and a session of each client's own;
//! - ONE heartbeat app: 2 clients race on its versioned path (their first requests register
//!   it; each runs a job, `start` and `success`, around its beats), then 50 clients beat it at
//!   once; every beat and run counted, one write per accepted request;
//! - 2 log batches of each of 50 clients for ONE log user with the same pid and post_time
//!   (distinct lines), and a resend of its first; a contact of each client for ONE messenger
//!   user and a send to it.
//!
//! A race is proven, not assumed: each function's requests to moto go through a proxy
//! (`lookout_tests::faults::FaultProxy`) that counts the conflicts moto answered (a
//! conditional write or transaction that lost to another client's) and how many requests were
//! in flight at once. A test plays rounds on fresh objects (at most [`MAX_ROUNDS`]) until it
//! saw what it is about, and fails if it never did: lost optimistic writes in the incident test
//! and in both of the heartbeat store's retry loops (beats and signals), writes of different
//! clients in flight together in the others (moto's DynamoDB applies one request at a time
//! and its transactions never conflict with each other, so overlap is what can be shown there).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod world;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use lookout_core::auth::{sha256_hex, AdminAuth};
use lookout_core::config::names as env;
use lookout_dev::emulator::Emulator;
use lookout_heartbeats::{HeartbeatStore, SqsTransitions, TransitionSink};
use lookout_incidents::{AdminDeps, IncidentStore};
use lookout_logs::LogStore;
use lookout_mail::{AdminMail, Mailer};
use lookout_messenger::{
    self as broadcast, BroadcastStore, Dispatcher, Messenger, MessengerConfig, ScheduleTarget,
};
use lookout_tests::support::{http_request, read, read_secret, request, sent_mail, ADMIN_TOKEN};
use serde_json::{json, Value};

use world::{history, n, race, s, turn, World, CLIENTS, MAX_ROUNDS};

const BEARER: &str = "Bearer test-admin-token";
const CONFLICT: &str = "ConditionalCheckFailedException";
const CANCELED: &str = "TransactionCanceledException";

fn admin() -> AdminAuth {
    AdminAuth::from_sha256_hex(&sha256_hex(ADMIN_TOKEN.as_bytes())).unwrap()
}

fn ok(what: &str, (status, body): (u16, Value), expect: &[u16]) -> Value {
    assert!(expect.contains(&status), "{what}: {status} {body}");
    body
}

// ------------------------------------------------------------------ incidents

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_reports_of_one_incident_open_it_once_and_count_every_one() {
    let w = World::new().await;
    let sdk = w.sdk_for("report-incident").await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let report = Arc::new(report_incident::Deps {
        store: IncidentStore::new(ddb.clone(), w.table("IncidentsTable")),
        mail: Some(Arc::new(AdminMail::new(
            Mailer::from_sdk(&sdk, w.app.stack.params["SenderEmail"].clone()),
            w.admin_to.clone(),
        ))),
        logs: Some(LogStore::new(
            ddb.clone(),
            w.table("LogUsersTable"),
            w.table("LogsTable"),
            30,
        )),
        heartbeats: Some(HeartbeatStore::new(ddb, w.table("HeartbeatTable"))),
        console_url: Some("http://127.0.0.1:9000/console".into()),
        telegram: Some(report_incident::TelegramAdmin {
            messenger: Arc::new(
                Messenger::new(MessengerConfig::emulated(Emulator::shared().unwrap().url()))
                    .unwrap(),
            ),
            chat_id: w.admin_chat.clone(),
        }),
        alerts: None,
        clock: lookout_core::time::system_clock(),
    });
    // Fixtures as the admin (the provisioning user's view of the table).
    let register = AdminDeps {
        admin: admin(),
        store: IncidentStore::new(w.app.ddb.clone(), w.table("IncidentsTable")),
        public_url: None,
    };
    let proxy = w.proxy("report-incident");

    let _turn = turn().await;
    let (mut rounds, mut conflicts) = (0, 0);
    while conflicts == 0 && rounds < MAX_ROUNDS {
        // A fresh app each round (its alert budget and its incidents are the round's own).
        let name = format!("{}-r{rounds}", w.run);
        let code = ok(
            "register app",
            read_secret(
                admin_register_app::handle(
                    &register,
                    request(
                        "/admin/apps",
                        &[("authorization", BEARER)],
                        &json!({"name": name}).to_string(),
                    ),
                )
                .await,
            ),
            &[201],
        )["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let title = format!("{name} shared");
        let body = json!({"incident": {"title": title, "message": "m", "level": "error"},
                          "app_name": name, "code": code})
        .to_string();
        proxy.reset_log();

        let t0 = Instant::now();
        let replies =
            race(CLIENTS, |_| {
                let (deps, body) = (report.clone(), body.clone());
                async move {
                    read(report_incident::handle(&deps, request("/incidents", &[], &body)).await)
                }
            })
            .await;
        let elapsed = t0.elapsed();

        // Every report accepted: one opened the incident (201), 49 joined it (200).
        let statuses: Vec<u16> = replies.iter().map(|(st, _)| *st).collect();
        assert_eq!(
            statuses.iter().filter(|st| **st == 201).count(),
            1,
            "one report opens it: {replies:?}"
        );
        assert_eq!(
            statuses.iter().filter(|st| **st == 200).count(),
            CLIENTS - 1
        );
        let ids: BTreeSet<&str> = replies
            .iter()
            .map(|(_, b)| b["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 1, "one incident for {CLIENTS} identical reports");
        let mut counts: Vec<i64> = replies
            .iter()
            .map(|(_, b)| b["count"].as_i64().unwrap())
            .collect();
        counts.sort_unstable();
        assert_eq!(
            counts,
            (1..=i64::try_from(CLIENTS).unwrap()).collect::<Vec<_>>(),
            "each report got its own count"
        );
        // Stored: one incident of the app, counted 50 times.
        let stored: Vec<_> = w
            .items("IncidentsTable")
            .await
            .into_iter()
            .filter(|i| s(i, "app_name") == name && s(i, "sk") == "META")
            .collect();
        assert_eq!(stored.len(), 1, "incidents of the app: {stored:?}");
        assert_eq!(s(&stored[0], "title"), title);
        assert_eq!(n(&stored[0], "count"), i64::try_from(CLIENTS).unwrap());
        // Announced once.
        let mails = sent_mail(&w.app.endpoint)
            .await
            .into_iter()
            .filter(|m| m.to == [w.admin_to.clone()] && m.subject.contains(&title))
            .count();
        assert_eq!(mails, 1, "one mail for the incident");
        let alerts = Emulator::shared()
            .unwrap()
            .received()
            .into_iter()
            .filter(|r| r.address == w.admin_chat && r.text.contains(&title))
            .count();
        assert_eq!(alerts, 1, "one Telegram alert for the incident");

        // The race: reports that found no incident and lost the transaction opening it.
        let lost = proxy.answered("TransactWriteItems", CANCELED);
        eprintln!(
            "incidents round {rounds}: {CLIENTS} reports in {elapsed:?}, {lost} lost the race \
             to open it, {} reads in flight at once",
            proxy.peak_in_flight("GetItem")
        );
        conflicts += lost;
        rounds += 1;
    }
    assert!(
        conflicts > 0,
        "{rounds} rounds of {CLIENTS} simultaneous reports never raced to open the incident: \
         the test proved nothing"
    );
}

// ------------------------------------------------------------------ tracker

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_clients_add_events_to_one_session_at_once_and_each_is_stored_once() {
    const EVENTS: usize = 4;
    let w = World::new().await;
    let tracker_of = |ddb: aws_sdk_dynamodb::Client| lookout_tracker::Deps {
        store: lookout_tracker::TrackerStore::new(ddb.clone(), w.table("TrackerTable"), Some(90)),
        keys: lookout_keys::ApiKeys::new(ddb, w.table("ApiKeysTable")),
    };
    let add = Arc::new(tracker_of(w.ddb_for("add-event").await));
    let start = Arc::new(tracker_of(w.ddb_for("start-session").await));
    let proxy = w.proxy("add-event");
    let key = Arc::new(w.key.clone());

    let _turn = turn().await;
    let (mut rounds, mut overlap) = (0, 0);
    while overlap < 2 && rounds < MAX_ROUNDS {
        let session = ok(
            "shared session",
            read(
                start_session::handle(
                    &start,
                    request(
                        "/start_session",
                        &[("x-api-key", &w.key)],
                        &json!({"userId": "shared", "machineId": format!("{}-r{rounds}", w.run),
                                "startAt": "2026-03-01T10:00:00Z", "orgId": 1})
                        .to_string(),
                    ),
                )
                .await,
            ),
            &[200],
        )["sessionId"]
            .as_str()
            .unwrap()
            .to_owned();
        proxy.reset_log();

        let t0 = Instant::now();
        let own = race(CLIENTS, |i| {
            let (add, start, key, session, run) = (
                add.clone(),
                start.clone(),
                key.clone(),
                session.clone(),
                w.run.clone(),
            );
            async move {
                let events: Vec<Value> = (0..EVENTS)
                    .map(|e| json!({"eventAt": format!("2026-03-01 10:{e:02}:{:02}", i % 60),
                                    "eventType": "tick", "payload": {"client": i, "e": e}}))
                    .collect();
                ok(
                    "add_event",
                    read(
                        add_event::handle(
                            &add,
                            request(
                                "/add_event",
                                &[("x-api-key", &key)],
                                &json!({"sessionId": session, "events": events}).to_string(),
                            ),
                        )
                        .await,
                    ),
                    &[200],
                );
                ok(
                    "start_session",
                    read(
                        start_session::handle(
                            &start,
                            request(
                                "/start_session",
                                &[("x-api-key", &key)],
                                &json!({"userId": format!("u{i}"), "machineId": format!("{run}-m{i}"),
                                        "startAt": "2026-03-01T10:00:00Z", "orgId": 1})
                                .to_string(),
                            ),
                        )
                        .await,
                    ),
                    &[200],
                )["sessionId"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        })
        .await;
        let elapsed = t0.elapsed();

        // Every event in the shared session exactly once; 50 distinct own sessions.
        let got = ok(
            "get_session",
            read(
                get_session::handle(
                    w.app.tracker("get-session"),
                    request(
                        "/get_session",
                        &[("x-api-key", &w.key)],
                        &json!({"sessionId": session}).to_string(),
                    ),
                )
                .await,
            ),
            &[200],
        );
        let events = got["events"].as_array().unwrap();
        let distinct: BTreeSet<(i64, i64)> = events
            .iter()
            .map(|e| {
                (
                    e["payload"]["client"].as_i64().unwrap(),
                    e["payload"]["e"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(events.len(), CLIENTS * EVENTS, "events stored");
        assert_eq!(distinct.len(), CLIENTS * EVENTS, "events distinct");
        assert_eq!(own.iter().collect::<BTreeSet<_>>().len(), CLIENTS);

        // The race: transactions of different clients into the one session, in flight together.
        let peak = proxy.peak_in_flight("TransactWriteItems");
        eprintln!(
            "tracker round {rounds}: {CLIENTS} clients in {elapsed:?}, {} events, up to {peak} \
             of their transactions in flight at once",
            events.len()
        );
        overlap = overlap.max(peak);
        rounds += 1;
    }
    assert!(
        overlap >= 2,
        "{rounds} rounds: no two clients' events were ever written at once: the test proved nothing"
    );
}

// ------------------------------------------------------------------ heartbeats

/// Writers racing on one app's versioned path (beats while a run is open, job signals, the
/// first requests of a new app). No more: the store's `MAX_CAS_ATTEMPTS` (8) attempts, without
/// backoff, can all lose, and the request is answered 500. Measured against moto (#30): with 3
/// writers in about 1 round of 80, with 4 in 3 rounds of 15, with 6 or more in every
/// round; with 2, none in 80 rounds.
const JOB_CLIENTS: usize = 2;
/// Of those, the ones that run a job: `start`, their beats, `success` (each its own run id).
const RUNNERS: usize = 2;
/// Beats of each client, in both phases.
const BEATS: usize = 3;
// Every run stays open until its success (none dropped as the oldest of too many).
const _: () = assert!(RUNNERS <= JOB_CLIENTS && RUNNERS <= lookout_heartbeats::MAX_OPEN_RUNS);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_clients_beat_and_signal_one_app_at_once_and_every_one_counts() {
    let w = World::new().await;
    let queue_url = w.app.stack.queue("AppEventsQueue").unwrap().url.clone();
    let alerts_url = w.app.stack.queue("MessengerQueue").unwrap().url.clone();
    let sender = w.app.stack.params["SenderEmail"].clone();
    let events_of = |sdk: &aws_config::SdkConfig| -> Option<Arc<dyn TransitionSink>> {
        Some(Arc::new(SqsTransitions::new(
            aws_sdk_sqs::Client::new(sdk),
            Some(queue_url.clone()),
            Some(alerts_url.clone()),
        )))
    };
    let mail_of = |sdk: &aws_config::SdkConfig| {
        AdminMail::new(Mailer::from_sdk(sdk, sender.clone()), w.admin_to.clone())
    };
    let hb_sdk = w.sdk_for("record-heartbeat").await;
    let beat = Arc::new(record_heartbeat::Deps {
        keys: w.keys_for("record-heartbeat").await,
        store: HeartbeatStore::new(
            aws_sdk_dynamodb::Client::new(&hb_sdk),
            w.table("HeartbeatTable"),
        ),
        mail: mail_of(&hb_sdk),
        events: events_of(&hb_sdk),
        clock: lookout_core::time::system_clock(),
    });
    let sig_sdk = w.sdk_for("record-signal").await;
    let signal = Arc::new(record_signal::Deps {
        keys: w.keys_for("record-signal").await,
        store: HeartbeatStore::new(
            aws_sdk_dynamodb::Client::new(&sig_sdk),
            w.table("HeartbeatTable"),
        ),
        mail: mail_of(&sig_sdk),
        events: events_of(&sig_sdk),
        clock: lookout_core::time::system_clock(),
    });
    let (beat_proxy, signal_proxy) = (w.proxy("record-heartbeat"), w.proxy("record-signal"));
    let key = Arc::new(w.key.clone());

    // One client's requests to `app_id`: a run around its beats if it is a runner.
    let client = |app_id: usize, i: usize, runner: bool| {
        let (beat, signal, key) = (beat.clone(), signal.clone(), key.clone());
        async move {
            let run = format!("run-{i}");
            let signal = |kind: &str| {
                let body = json!({"app_id": app_id, "run_id": run}).to_string();
                let req = request(&format!("/api/apps/{kind}"), &[("x-api-key", &key)], &body);
                let signal = signal.clone();
                async move { read(record_signal::handle(&signal, req).await) }
            };
            let mut replies = Vec::new();
            if runner {
                replies.push(("start", signal("start").await));
            }
            for b in 0..BEATS {
                let body = json!({"app_id": app_id, "message": format!("c{i} b{b}")});
                let req = request("/api/apps/", &[("x-api-key", &key)], &body.to_string());
                replies.push(("beat", read(record_heartbeat::handle(&beat, req).await)));
            }
            if runner {
                replies.push(("success", signal("success").await));
            }
            replies
        }
    };
    let all_accepted = |replies: &[Vec<(&str, (u16, Value))>]| {
        let mut accepted = 0;
        for (i, client) in replies.iter().enumerate() {
            for (what, (status, body)) in client {
                assert_eq!(*status, 200, "client {i} {what}: {body}");
                accepted += 1;
            }
        }
        accepted
    };

    let _turn = turn().await;
    let (mut rounds, mut beat_conflicts, mut signal_conflicts, mut crowd_overlap) = (0, 0, 0, 0);
    while (beat_conflicts == 0 || signal_conflicts == 0 || crowd_overlap < 2) && rounds < MAX_ROUNDS
    {
        // A new app each round.
        let app_id = 7000 + rounds;
        beat_proxy.reset_log();
        signal_proxy.reset_log();

        // Jobs: the first requests race to register the app, the beats while a run is open
        // and the signals take the versioned path (read, decide, write if the version is
        // still the one read; else decide again from the item the failed write returned).
        let t0 = Instant::now();
        let jobs = race(JOB_CLIENTS, |i| client(app_id, i, i < RUNNERS)).await;
        let jobs_took = t0.elapsed();
        let mut accepted = all_accepted(&jobs);
        assert_eq!(accepted, JOB_CLIENTS * BEATS + 2 * RUNNERS);
        let (b, sg) = (
            beat_proxy.answered("PutItem", CONFLICT),
            signal_proxy.answered("PutItem", CONFLICT),
        );

        // The crowd: every client beats the app, now up without an open run (the one-write
        // path, an atomic update).
        beat_proxy.reset_log();
        let t0 = Instant::now();
        let crowd = race(CLIENTS, |i| client(app_id, JOB_CLIENTS + i, false)).await;
        let crowd_took = t0.elapsed();
        accepted += all_accepted(&crowd);
        let peak = beat_proxy.peak_in_flight("UpdateItem");

        // Stored: every beat counted (a success counts as one), every run once and paired
        // with its start, nothing left open, one write per accepted request, up and due at
        // its deadline, no transition.
        let item = w
            .item(
                "HeartbeatTable",
                &[("pk", &format!("APP#{}#{app_id}", w.tenant))],
            )
            .await
            .expect("the app is registered");
        let beats = (JOB_CLIENTS + CLIENTS) * BEATS + RUNNERS;
        assert_eq!(
            n(&item, "beats"),
            i64::try_from(beats).unwrap(),
            "beats counted: {item:?}"
        );
        assert_eq!(
            n(&item, "version"),
            i64::try_from(accepted).unwrap(),
            "one write per accepted request: {item:?}"
        );
        assert_eq!(s(&item, "state"), "up");
        assert_eq!(n(&item, "dueAt"), n(&item, "deadline"), "{item:?}");
        assert!(history(&item, "openRuns").is_empty(), "{item:?}");
        assert!(!item.contains_key("outbox"), "{item:?}");
        let stored = history(&item, "runs");
        let runs: BTreeSet<String> = stored
            .iter()
            .map(|r| {
                assert_eq!(r["outcome"], "success", "{r:?}");
                assert!(
                    r.get("started_at").is_some(),
                    "paired with its start: {r:?}"
                );
                assert!(r.get("duration_ms").is_some(), "{r:?}");
                r["run_id"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(stored.len(), RUNNERS, "{item:?}");
        assert_eq!(
            runs,
            (0..RUNNERS).map(|i| format!("run-{i}")).collect(),
            "every run recorded once"
        );

        eprintln!(
            "heartbeats round {rounds}: {JOB_CLIENTS} job clients in {jobs_took:?} lost \
             {b} versioned writes of beats and {sg} of signals; {CLIENTS} clients' {} beats in \
             {crowd_took:?}, up to {peak} in flight at once; beats {beats}, version {accepted}",
            CLIENTS * BEATS
        );
        beat_conflicts += b;
        signal_conflicts += sg;
        crowd_overlap = crowd_overlap.max(peak);
        rounds += 1;
    }
    assert!(
        beat_conflicts > 0 && signal_conflicts > 0 && crowd_overlap >= 2,
        "{rounds} rounds: lost versioned writes of beats {beat_conflicts}, of signals \
         {signal_conflicts}; crowd beats in flight at once {crowd_overlap}: the retry loops \
         were not both exercised or the crowd never overlapped, the test proved nothing"
    );
}

// ------------------------------------------------------------------ logs and messenger

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_clients_log_and_message_at_once_and_nothing_is_lost_or_doubled() {
    const LINES: usize = 20;
    let w = World::new().await;
    let logs = Arc::new(send_logs::Deps {
        store: LogStore::new(
            w.ddb_for("send-logs").await,
            w.table("LogUsersTable"),
            w.table("LogsTable"),
            30,
        ),
        quotas: lookout_core::quota::Quotas::default(),
        clock: lookout_core::time::system_clock(),
    });
    let send_env = w.function_env("send-messages");
    let store_of = |ddb| {
        BroadcastStore::new(
            ddb,
            send_env[env::MESSENGER_TABLE].clone(),
            send_env[env::MESSENGER_RETENTION_DAYS].parse().unwrap(),
        )
    };
    let reserved_of = |binary: &str| {
        let env = w.function_env(binary);
        broadcast::Reserved::new(
            broadcast::alert_contacts(env.get(broadcast::ADMIN_ALERT_CONTACTS).map(String::as_str))
                .unwrap()
                .as_ref(),
            env.get(env::TELEGRAM_ADMIN_CHAT_ID).map(String::as_str),
        )
        .unwrap()
    };
    let create = Arc::new(create_contacts::Deps {
        keys: w.keys_for("create-contacts").await,
        store: store_of(w.ddb_for("create-contacts").await),
        reserved: reserved_of("create-contacts"),
    });
    let send_sdk = w.sdk_for("send-messages").await;
    let dispatch = Arc::new(Dispatcher::new(
        aws_sdk_sqs::Client::new(&send_sdk),
        &send_env[env::MESSENGER_QUEUE_URL],
        Some((
            aws_sdk_scheduler::Client::new(&send_sdk),
            ScheduleTarget {
                group: send_env[env::MESSENGER_SCHEDULE_GROUP].clone(),
                role_arn: send_env[env::MESSENGER_SCHEDULER_ROLE_ARN].clone(),
                queue_arn: send_env[env::MESSENGER_QUEUE_ARN].clone(),
                dead_letter_arn: Some(send_env[env::MESSENGER_DLQ_ARN].clone()),
            },
        )),
    ));
    let send = Arc::new(send_messages::Deps {
        keys: w.keys_for("send-messages").await,
        store: store_of(aws_sdk_dynamodb::Client::new(&send_sdk)),
        queue: dispatch.clone(),
        scheduler: dispatch,
        clock: lookout_core::time::system_clock(),
        quotas: lookout_core::quota::Quotas::default(),
        reserved: reserved_of("send-messages"),
    });
    let list_deps = broadcast::Deps {
        keys: w.keys_for("list-contacts").await,
        store: store_of(w.ddb_for("list-contacts").await),
    };
    let log_admin = admin_issue_log_token::Deps {
        admin: admin(),
        store: LogStore::new(
            w.app.ddb.clone(),
            w.table("LogUsersTable"),
            w.table("LogsTable"),
            30,
        ),
    };
    let proxies = [
        w.proxy("send-logs"),
        w.proxy("create-contacts"),
        w.proxy("send-messages"),
    ];
    let key = Arc::new(w.key.clone());
    let next_year = chrono::Datelike::year(&chrono::Utc::now()) + 1;

    let _turn = turn().await;
    let (mut rounds, mut overlap) = (0, [0; 3]);
    while overlap.iter().any(|o| *o < 2) && rounds < MAX_ROUNDS {
        let (user, messenger_user) = (format!("{}-r{rounds}", w.run), format!("shared{rounds}"));
        let token = Arc::new(
            ok(
                "log user",
                read_secret(
                    admin_issue_log_token::handle(
                        &log_admin,
                        request(
                            "/admin/log_users",
                            &[("authorization", BEARER)],
                            &json!({"user": user}).to_string(),
                        ),
                    )
                    .await,
                ),
                &[201],
            )["x_user_token"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        for p in &proxies {
            p.reset_log();
        }

        let t0 = Instant::now();
        let sends = race(CLIENTS, |i| {
            let (logs, create, send, key, token, user, messenger_user) = (
                logs.clone(),
                create.clone(),
                send.clone(),
                key.clone(),
                token.clone(),
                user.clone(),
                messenger_user.clone(),
            );
            async move {
                // Two batches for the shared user (same pid and post_time as everyone's),
                // then the first again (a retry).
                for b in [0, 1, 0] {
                    let lines: Vec<Value> = (0..LINES)
                        .map(|j| json!({"level": "info", "msg": format!("{user} c{i} b{b} l{j}"),
                                        "event_at": format!("2026-03-01T10:{j:02}:{:02}Z", i % 60),
                                        "p_description": "worker"}))
                        .collect();
                    let batch = json!({"data": {"user": user, "pid": 7, "p_name": "svc",
                                                "post_time": "2026-03-01T10:30:00Z", "logs": lines}});
                    let reply = ok(
                        "send_logs",
                        read(
                            send_logs::handle(
                                &logs,
                                request(
                                    "/send_logs",
                                    &[("x-user-token", &token)],
                                    &batch.to_string(),
                                ),
                            )
                            .await,
                        ),
                        &[200],
                    );
                    assert_eq!(
                        reply,
                        json!({"code": 200, "message": "Logs added successfully"})
                    );
                }
                // Its own contact of the shared messenger user, and a send to it.
                ok(
                    "contacts create",
                    read(
                        create_contacts::handle(
                            &create,
                            request(
                                "/api/contacts",
                                &[("x-api-key", &key)],
                                &json!({"user_name": messenger_user, "contacts": [
                                    {"name": format!("c{i}"), "messangers": {"telegram": format!("-100{i:07}"), "whatsApp": "", "viber": ""}}
                                ]})
                                .to_string(),
                            ),
                        )
                        .await,
                    ),
                    &[200],
                );
                ok(
                    "send",
                    read(
                        send_messages::handle(
                            &send,
                            http_request(
                                "PUT",
                                "/api/contacts",
                                &[],
                                &[("x-api-key", &key)],
                                &json!({"user_name": messenger_user, "contact": [format!("c{i}")],
                                        "message": format!("hi {i}"), "time": [next_year, 1, 1, 0, 0, 0]})
                                .to_string(),
                            ),
                        )
                        .await,
                    ),
                    &[200],
                )["sendId"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        })
        .await;
        let elapsed = t0.elapsed();

        // Logs: 50 clients x 2 batches x 20 lines, each line once (the resent batch added
        // none, and batches with the same user, pid and post_time did not overwrite each
        // other).
        let mut lines: BTreeMap<String, usize> = BTreeMap::new();
        for chunk in w.items("LogsTable").await {
            if s(&chunk, "pk") != format!("U#{user}") {
                continue;
            }
            let packed: Vec<Value> = serde_json::from_str(&s(&chunk, "lines")).unwrap();
            for line in packed {
                *lines
                    .entry(line[2].as_str().unwrap().to_owned())
                    .or_default() += 1;
            }
        }
        assert_eq!(lines.len(), CLIENTS * 2 * LINES, "log lines stored");
        let doubled: Vec<_> = lines.iter().filter(|(_, n)| **n > 1).take(5).collect();
        assert!(doubled.is_empty(), "duplicated lines: {doubled:?}");

        // Messenger: 50 contacts of the shared user, 50 distinct sends stored.
        let listed = ok(
            "contacts list",
            read(
                list_contacts::handle(
                    &list_deps,
                    http_request(
                        "GET",
                        "/api/contacts",
                        &[("user_name", &messenger_user)],
                        &[("x-api-key", &w.key)],
                        "",
                    ),
                )
                .await,
            ),
            &[200],
        );
        assert_eq!(
            listed["contacts"].as_object().unwrap().len(),
            CLIENTS,
            "contacts"
        );
        let sends: BTreeSet<String> = sends.into_iter().collect();
        assert_eq!(sends.len(), CLIENTS);
        let stored_sends = w
            .items("MessengerTable")
            .await
            .into_iter()
            .filter(|i| s(i, "sk") == "SEND" && s(i, "tenant") == w.tenant)
            .filter(|i| sends.contains(s(i, "pk").trim_start_matches("SEND#")))
            .count();
        assert_eq!(stored_sends, CLIENTS, "sends stored");

        // The race: writes of different clients to the shared user in flight together.
        let peaks = [
            proxies[0].peak_in_flight("BatchWriteItem"),
            proxies[1].peak_in_flight("TransactWriteItems"),
            proxies[2].peak_in_flight("BatchWriteItem"),
        ];
        eprintln!(
            "logs/messenger round {rounds}: {CLIENTS} clients in {elapsed:?}, {} log lines, \
             {CLIENTS} contacts, {stored_sends} sends; writes in flight at once: logs {}, \
             contacts {}, sends {}",
            lines.len(),
            peaks[0],
            peaks[1],
            peaks[2]
        );
        for (o, p) in overlap.iter_mut().zip(peaks) {
            *o = (*o).max(p);
        }
        rounds += 1;
    }
    assert!(
        overlap.iter().all(|o| *o >= 2),
        "{rounds} rounds: writes in flight at once (logs, contacts, sends) {overlap:?}: some \
         never overlapped, the test proved nothing"
    );
}
