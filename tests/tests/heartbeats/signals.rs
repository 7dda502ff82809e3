//! Job signals through `POST /api/apps/{signal}` in-process with a manual clock: overlapping
//! runs, durations, failures and their tolerance, runtime assertions, snooze, cron schedules in
//! a time zone (DST included), and what bad input stores (nothing).

use serde_json::{json, Value};

use crate::harness::{at, ms, n, spawn, Hb};

async fn admin(hb: &Hb, secs: i64, body: Value) -> Value {
    let (status, reply) = hb.admin_at(secs, &body).await;
    assert!(status == 200 || status == 201, "{status} {reply}");
    reply
}

fn run_ids(view: &Value) -> Vec<String> {
    view["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap_or("-").to_owned())
        .collect()
}

#[tokio::test]
async fn overlapping_runs_pair_by_run_id_and_keep_their_durations() {
    let hb = spawn().await;
    for (secs, run) in [(0, "a"), (10, "b")] {
        let (status, reply) = hb
            .signal_at(secs, "start", &json!({"app_id": "backup", "run_id": run}))
            .await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["run_id"], json!(run));
        assert_eq!(reply["run"], Value::Null);
    }
    // b ends first, then a: each with its own start.
    let (_, b) = hb
        .signal_at(25, "success", &json!({"app_id": "backup", "run_id": "b"}))
        .await;
    let (_, a) = hb
        .signal_at(
            40,
            "exit",
            &json!({"app_id": "backup", "run_id": "a", "exit_code": 0}),
        )
        .await;
    assert_eq!(
        (
            &b["run"]["duration_ms"],
            &b["run"]["outcome"],
            &b["run"]["started_at"]
        ),
        (&json!(15_000), &json!("success"), &json!(at(10)))
    );
    assert_eq!(
        (&a["run"]["duration_ms"], &a["run"]["exit_code"]),
        (&json!(40_000), &json!(0))
    );
    assert_eq!(a["state"], json!("up"));
    // A start without a run id gets one; its end without one pairs with the latest start.
    let (_, started) = hb
        .signal_at(100, "start", &json!({"app_id": "backup"}))
        .await;
    let generated = started["run_id"].as_str().unwrap().to_owned();
    assert_eq!(generated.len(), 32, "{started}");
    let (_, ended) = hb
        .signal_at(
            103,
            "success",
            &json!({"app_id": "backup", "message": "3 GB"}),
        )
        .await;
    assert_eq!(ended["run"]["run_id"], json!(generated));
    assert_eq!(ended["run"]["duration_ms"], json!(3_000));
    assert_eq!(ended["due_by"], json!(at(103 + 120)), "a success is a beat");

    let view = hb.view("backup").await;
    assert_eq!(
        run_ids(&view),
        [generated.as_str(), "a", "b"],
        "newest first"
    );
    assert_eq!(view["open_runs"], json!([]));
    assert_eq!(view["last_message"], json!("3 GB"));
    assert!(hb.mails().await.is_empty());
}

#[tokio::test]
async fn a_failure_takes_the_app_down_and_a_success_brings_it_back() {
    let hb = spawn().await;
    hb.signal_at(0, "success", &json!({"app_id": 7})).await;

    let (status, failed) = hb
        .signal_at(60, "fail", &json!({"app_id": 7, "exit_code": 3}))
        .await;

    assert_eq!(status, 200, "{failed}");
    assert_eq!(failed["state"], json!("down"));
    assert_eq!(failed["run"]["outcome"], json!("fail"));
    let mails = hb.mails().await;
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0].subject,
        "[Lookout] DOWN: app 7 (acme): run failed with exit code 3"
    );
    assert_eq!(
        hb.view("7").await["down_reason"],
        json!("run failed with exit code 3")
    );
    // Another failure while down: recorded, no second mail.
    hb.signal_at(70, "fail", &json!({"app_id": 7})).await;
    assert_eq!(hb.mails().await.len(), 1);

    let (_, back) = hb.signal_at(90, "success", &json!({"app_id": 7})).await;
    assert_eq!(back["state"], json!("up"));
    let mails = hb.mails().await;
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1].subject, "[Lookout] UP: app 7 (acme) is back");
    let view = hb.view("7").await;
    assert_eq!(view["runs"].as_array().unwrap().len(), 4);
    assert_eq!(
        view["downtime"],
        json!({"2030-01-01": 30}),
        "down from 60 s to 90 s, booked for the uptime bars"
    );
}

#[tokio::test]
async fn failures_within_the_tolerance_do_not_page() {
    let hb = spawn().await;
    admin(
        &hb,
        0,
        json!({"tenant": "acme", "app_id": "etl", "fail_tolerance": {"failures": 2, "runs": 3}}),
    )
    .await;
    // fail, success, success, fail: never 2 failures among the last 3 runs.
    for (secs, signal) in [(10, "fail"), (20, "success"), (30, "success"), (40, "fail")] {
        let (_, r) = hb.signal_at(secs, signal, &json!({"app_id": "etl"})).await;
        assert_eq!(r["state"], json!("up"), "{signal} at {secs}: {r}");
    }
    assert!(hb.mails().await.is_empty());
    // fail again: 2 of the last 3 (success, fail, fail).
    let (_, r) = hb.signal_at(50, "fail", &json!({"app_id": "etl"})).await;
    assert_eq!(r["state"], json!("down"), "{r}");
    assert_eq!(hb.mails().await.len(), 1);
}

#[tokio::test]
async fn runtime_and_interval_assertions() {
    // Transitions are spaced beyond the 10-minute alert cooldown, so each one is mailed.
    let hb = spawn().await;
    admin(
        &hb,
        0,
        json!({"tenant": "acme", "app_id": "sync", "period_seconds": 3600,
               "max_runtime_seconds": 300, "min_runtime_seconds": 5, "min_interval_seconds": 60}),
    )
    .await;

    // Finished suspiciously fast: a failure, with the reason.
    hb.signal_at(0, "start", &json!({"app_id": "sync", "run_id": "r1"}))
        .await;
    let (_, fast) = hb
        .signal_at(2, "success", &json!({"app_id": "sync", "run_id": "r1"}))
        .await;
    assert_eq!(fast["run"]["outcome"], json!("fail"), "{fast}");
    assert!(fast["run"]["reason"]
        .as_str()
        .unwrap()
        .contains("faster than the minimum runtime of 5 s"));
    assert_eq!(fast["state"], json!("down"));
    hb.signal_at(20, "start", &json!({"app_id": "sync", "run_id": "r2"}))
        .await;
    let (_, ok) = hb
        .signal_at(40, "success", &json!({"app_id": "sync", "run_id": "r2"}))
        .await;
    assert_eq!(
        (&ok["run"]["outcome"], &ok["state"]),
        (&json!("success"), &json!("up"))
    );
    let (_, spaced) = hb
        .signal_at(700, "success", &json!({"app_id": "sync"}))
        .await;
    assert_eq!(spaced["run"]["outcome"], json!("success"), "{spaced}");
    // Runs too often: a success 30 s after the previous one.
    let (_, often) = hb
        .signal_at(730, "success", &json!({"app_id": "sync"}))
        .await;
    assert!(often["run"]["reason"]
        .as_str()
        .unwrap()
        .contains("expected at least 60 s between runs"));
    assert_eq!(often["state"], json!("down"));
    let (_, back) = hb
        .signal_at(800, "success", &json!({"app_id": "sync"}))
        .await;
    assert_eq!(
        back["state"],
        json!("up"),
        "100 s after the last success: {back}"
    );

    // Started, never finished: due when it exceeds 300 s; the scanner takes it down.
    hb.signal_at(1500, "start", &json!({"app_id": "sync", "run_id": "stuck"}))
        .await;
    let item = hb.item("acme", "sync").await.unwrap();
    assert_eq!(n(&item, "dueAt"), ms(1800), "due at the run's timeout");
    assert_eq!(hb.scan_at(1799).await.went_down, 0);
    let report = hb.scan_at(1801).await;
    assert_eq!(report.went_down, 1, "{report:?}");
    let view = hb.view("sync").await;
    assert_eq!(view["state"], json!("down"));
    assert_eq!(view["runs"][0]["outcome"], json!("timeout"));
    assert_eq!(view["runs"][0]["run_id"], json!("stuck"));
    let subjects: Vec<String> = hb.mails().await.into_iter().map(|m| m.subject).collect();
    assert_eq!(subjects.len(), 5, "{subjects:?}");
    assert!(
        subjects[4].contains("run stuck started at") && subjects[4].contains("within 300 s"),
        "{subjects:?}"
    );
}

#[tokio::test]
async fn a_snooze_set_by_the_apps_own_key_silences_it_until_it_ends() {
    let hb = spawn().await;
    hb.beat_at(0, &json!({"app_id": 5})).await;
    let (status, r) = hb
        .signal_at(10, "snooze", &json!({"app_id": 5, "until": at(1000)}))
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["snoozed_until"], json!(at(1000)));

    // Silent past its deadline (120 s) and failing: no down while snoozed.
    hb.signal_at(200, "fail", &json!({"app_id": 5})).await;
    assert_eq!(hb.scan_at(500).await.went_down, 0);
    assert_eq!(hb.view("5").await["state"], json!("up"));
    assert!(hb.mails().await.is_empty());

    // The snooze ends: down at the next scan.
    assert_eq!(hb.scan_at(1001).await.went_down, 1);
    assert_eq!(hb.mails().await.len(), 1);

    // Too far ahead is refused and stores nothing new.
    let before = hb.item("acme", "5").await;
    let (status, r) = hb
        .signal_at(
            1100,
            "snooze",
            &json!({"app_id": 5, "until": at(1100 + 31 * 86_400)}),
        )
        .await;
    assert_eq!(status, 400, "{r}");
    assert_eq!(hb.item("acme", "5").await, before);
}

#[tokio::test]
async fn a_cron_schedule_in_a_time_zone_sets_the_deadline_across_dst() {
    let hb = spawn().await;
    // T0 is 2030-01-01T00:00Z. A 02:30 Berlin job with 10 minutes of grace.
    let reply = admin(
        &hb,
        0,
        json!({"tenant": "acme", "app_id": "nightly", "schedule": "30 2 * * *",
               "tz": "Europe/Berlin", "grace_seconds": 600}),
    )
    .await;
    assert_eq!(
        (&reply["schedule"], &reply["tz"]),
        (&json!("30 2 * * *"), &json!("Europe/Berlin")),
        "{reply}"
    );
    // 02:30 CET = 01:30 UTC, plus grace.
    assert_eq!(reply["due_by"], json!("2030-01-01T01:40:00.000Z"));

    // Spring forward (2030-03-31): 02:30 does not exist; expected at 03:00 CEST = 01:00 UTC.
    let before_gap = secs_at("2030-03-31T00:00:00Z");
    let (_, r) = hb
        .signal_at(before_gap, "success", &json!({"app_id": "nightly"}))
        .await;
    assert_eq!(r["due_by"], json!("2030-03-31T01:10:00.000Z"), "{r}");
    assert_eq!(
        hb.scan_at(secs_at("2030-03-31T01:09:00Z")).await.went_down,
        0
    );
    assert_eq!(
        hb.scan_at(secs_at("2030-03-31T01:11:00Z")).await.went_down,
        1
    );

    // Fall back (2030-10-27): 02:30 happens twice; expected once, at the first (00:30 UTC).
    let (_, r) = hb
        .signal_at(
            secs_at("2030-10-26T12:00:00Z"),
            "success",
            &json!({"app_id": "nightly"}),
        )
        .await;
    assert_eq!(r["state"], json!("up"));
    assert_eq!(r["due_by"], json!("2030-10-27T00:40:00.000Z"));
    // Ran at the first 02:30: next expected the following night, not an hour later.
    let (_, r) = hb
        .signal_at(
            secs_at("2030-10-27T00:31:00Z"),
            "success",
            &json!({"app_id": "nightly"}),
        )
        .await;
    assert_eq!(r["due_by"], json!("2030-10-28T01:40:00.000Z"));
    // Plain heartbeats follow the schedule too.
    let (_, r) = hb
        .beat_at(
            secs_at("2030-10-28T01:35:00Z"),
            &json!({"app_id": "nightly"}),
        )
        .await;
    assert_eq!(r["due_by"], json!("2030-10-29T01:40:00.000Z"));

    // Back to the period.
    let reply = admin(
        &hb,
        secs_at("2030-10-28T02:00:00Z"),
        json!({"tenant": "acme", "app_id": "nightly", "schedule": ""}),
    )
    .await;
    assert_eq!(reply["schedule"], Value::Null);
    assert_eq!(reply["due_by"], json!("2030-10-28T01:46:00.000Z"));
}

fn secs_at(t: &str) -> i64 {
    (crate::harness::ts(t).datetime().timestamp_millis() - ms(0)) / 1000
}

#[tokio::test]
async fn bad_signals_are_refused_and_store_nothing() {
    let hb = spawn().await;
    for (signal, body, status, needle) in [
        ("restart", json!({"app_id": 1}), 404, "must be one of start"),
        ("exit", json!({"app_id": 1}), 400, "exit needs exit_code"),
        (
            "start",
            json!({"app_id": 1, "run_id": "a b"}),
            400,
            "run_id",
        ),
        ("start", json!({"run_id": "a"}), 400, "app_id"),
        (
            "fail",
            json!({"app_id": 1, "exit_code": "x"}),
            400,
            "invalid JSON body",
        ),
    ] {
        let (got, reply) = hb.signal_at(0, signal, &body).await;
        assert_eq!(got, status, "{signal} {body}: {reply}");
        assert!(reply.to_string().contains(needle), "{reply}");
    }
    let (got, reply) = read_unauthenticated(&hb).await;
    assert_eq!(got, 401, "{reply}");
    for body in [
        json!({"tenant": "acme", "app_id": 1, "schedule": "0 3 * *"}),
        json!({"tenant": "acme", "app_id": 1, "schedule": "0 3 * * *", "tz": "Mars/Base"}),
        json!({"tenant": "acme", "app_id": 1, "tz": "UTC"}),
        json!({"tenant": "acme", "app_id": 1, "fail_tolerance": {"failures": 3, "runs": 2}}),
        json!({"tenant": "acme", "app_id": 1, "max_runtime_seconds": 999_999_999}),
    ] {
        let (got, reply) = hb.admin_at(0, &body).await;
        assert_eq!(got, 400, "{body}: {reply}");
    }
    assert!(hb.items().await.is_empty());
}

async fn read_unauthenticated(hb: &Hb) -> (u16, Value) {
    lookout_tests::support::read(
        record_signal::handle(
            &hb.signal,
            lookout_tests::support::request("/api/apps/start", &[], r#"{"app_id": 1}"#),
        )
        .await,
    )
}

#[tokio::test]
async fn the_public_badge_shows_the_status_by_an_unguessable_path() {
    let hb = spawn().await;
    hb.beat_at(0, &json!({"app_id": "api"})).await;
    let path = hb.view("api").await["badge_path"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        path.starts_with("/badge/") && path.ends_with(".svg"),
        "{path}"
    );

    let (status, headers, svg) = hb.badge_at(10, &path).await;
    assert_eq!(status, 200, "{svg}");
    assert_eq!(headers["content-type"], "image/svg+xml; charset=utf-8");
    assert_eq!(headers["cache-control"], "public, max-age=60");
    assert!(svg.contains("<title>api: up</title>"), "{svg}");
    // Late within the grace, down once the scanner marked it.
    assert!(hb.badge_at(90, &path).await.2.contains("api: late"));
    hb.scan_at(200).await;
    assert!(hb.badge_at(200, &path).await.2.contains("api: down"));

    // Another app's badge has another signature; a changed or foreign signature, another key's
    // token and an app that does not exist are all 404.
    hb.beat_at(0, &json!({"app_id": "web"})).await;
    let web = hb.view("web").await["badge_path"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(web, path);
    let (web_app, web_sig) = web.trim_end_matches(".svg").rsplit_once('.').unwrap();
    let (api_app, _) = path.trim_end_matches(".svg").rsplit_once('.').unwrap();
    let other_key = lookout_heartbeats::BadgeKey::from_secret("another badge secret");
    for bad in [
        format!("{api_app}.{}.svg", web_sig),
        format!("{web_app}.{}.svg", "0".repeat(32)),
        other_key.path("acme", "api"),
        // Signed as before #30, with a key derived from the admin token's hash: refused.
        lookout_heartbeats::BadgeKey::from_secret(&lookout_core::auth::sha256_hex(
            lookout_tests::support::ADMIN_TOKEN.as_bytes(),
        ))
        .path("acme", "api"),
        "/badge/..%2Fadmin".to_owned(),
    ] {
        assert_eq!(hb.badge_at(0, &bad).await.0, 404, "{bad}");
    }
}

/// The DynamoDB operations a client sent, in order (read from each request's `X-Amz-Target`).
#[derive(Debug, Clone, Default)]
struct Calls(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl Calls {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl aws_sdk_dynamodb::config::Intercept for Calls {
    fn name(&self) -> &'static str {
        "Calls"
    }

    fn read_before_transmit(
        &self,
        ctx: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_dynamodb::config::RuntimeComponents,
        _: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let target = ctx.request().headers().get("x-amz-target").unwrap_or("?");
        let op = target.rsplit('.').next().unwrap_or(target).to_owned();
        self.0.lock().unwrap().push(op);
        Ok(())
    }
}

impl Calls {
    /// A DynamoDB client that signs as `function` and records every operation it sends here.
    async fn client_for(&self, hb: &Hb, function: &str) -> aws_sdk_dynamodb::Client {
        let sdk = hb.app.sdk_for(function).await;
        let conf = aws_sdk_dynamodb::config::Builder::from(&sdk)
            .interceptor(self.clone())
            .build();
        aws_sdk_dynamodb::Client::from_conf(conf)
    }
}

/// Deletes `tenant`'s app `app_id` behind every process's back (the test's own credentials).
async fn delete_app(hb: &Hb, app_id: &str) {
    hb.app
        .ddb
        .delete_item()
        .table_name(hb.table())
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("APP#acme#{app_id}")),
        )
        .send()
        .await
        .unwrap();
}

/// A warm process keeps the app items its write paths wrote: its next signal or ping of that
/// app is one conditional write derived from its copy, no read. A copy another writer made
/// stale fails that write's condition, which answers the item as it is: the signal is decided
/// again on it (the other writer's change kept), still without a read. An app deleted since is
/// created anew only through the tenant's app quota. Bound 0: read on every signal.
#[tokio::test]
async fn a_warm_process_writes_a_signal_from_its_own_copy_of_the_app() {
    use lookout_heartbeats::{
        ping, signal, HeartbeatStore, PingCommand, PingKind, PingOutcome, SignalCommand, SignalKind,
    };
    use std::time::Duration;
    let hb = spawn().await;
    admin(
        &hb,
        0,
        json!({"tenant": "acme", "app_id": "memo", "period_seconds": 3600}),
    )
    .await;
    let calls = Calls::default();
    let client = calls.client_for(&hb, "record-signal").await;
    let table = hb.table().to_owned();
    let warm_deps = |bound: Duration| {
        let mut deps = hb.signal.clone();
        deps.store = HeartbeatStore::new(client.clone(), &table);
        deps.store.apps = deps.store.apps.clone().with_memo(bound);
        deps
    };
    let warm = warm_deps(Duration::from_secs(3_600));
    let tenant = lookout_core::auth::Tenant::parse("acme").unwrap();
    async fn send(deps: &lookout_heartbeats::ApiDeps, kind: SignalKind) {
        let cmd = SignalCommand {
            tenant: lookout_core::auth::Tenant::parse("acme").unwrap(),
            kind,
            input: serde_json::from_value(json!({"app_id": "memo"})).unwrap(),
        };
        signal(&deps.ports(), cmd).await.unwrap();
    }
    let open_runs = || async { hb.view("memo").await["open_runs"].as_array().unwrap().len() };

    // The first signal reads the app; the next ones are one write each.
    send(&warm, SignalKind::Start).await;
    assert_eq!(calls.take(), ["GetItem", "PutItem"]);
    send(&warm, SignalKind::Success).await;
    assert_eq!(calls.take(), ["PutItem"]);
    // A ping with a body is its transaction alone, and the process keeps what it wrote.
    let ping_cmd = |body: &str| PingCommand {
        tenant: tenant.clone(),
        app_id: serde_json::from_value(json!("memo")).unwrap(),
        ping_id: None,
        kind: PingKind::Start,
        run_id: None,
        create: false,
        body: body.as_bytes().to_vec(),
        truncated: false,
    };
    let outcome = ping(&warm.ports(), &warm.store.pings, ping_cmd("output")).await;
    assert!(matches!(outcome, Ok(PingOutcome::Recorded)), "{outcome:?}");
    assert_eq!(calls.take(), ["TransactWriteItems"]);
    let outcome = ping(&warm.ports(), &warm.store.pings, ping_cmd("")).await;
    assert!(matches!(outcome, Ok(PingOutcome::Recorded)), "{outcome:?}");
    assert_eq!(calls.take(), ["PutItem"]);
    assert_eq!(open_runs().await, 2);

    // Another process starts a run: the warm copy is stale. The warm start fails its
    // condition, is decided again on the item the failure answered, and keeps that run.
    send(&hb.signal, SignalKind::Start).await;
    send(&warm, SignalKind::Start).await;
    assert_eq!(calls.take(), ["PutItem", "PutItem"]);
    assert_eq!(open_runs().await, 4);

    // Deleted behind the warm process's back: its write fails, and the app is created anew
    // only after the tenant's app quota admitted it.
    delete_app(&hb, "memo").await;
    send(&warm, SignalKind::Start).await;
    let ops = calls.take();
    assert_eq!(ops.first().map(String::as_str), Some("PutItem"), "{ops:?}");
    assert_eq!(ops.last().map(String::as_str), Some("PutItem"), "{ops:?}");
    assert!(
        ops.iter().any(|op| op == "Query"),
        "the quota's count: {ops:?}"
    );
    assert_eq!(open_runs().await, 1);

    // Bound 0 keeps nothing: every signal reads.
    let cold = warm_deps(Duration::ZERO);
    send(&cold, SignalKind::Success).await;
    send(&cold, SignalKind::Success).await;
    assert_eq!(calls.take(), ["GetItem", "PutItem", "GetItem", "PutItem"]);
}

/// A warm process's heartbeat of an `up` app is one UpdateItem that answers only what it set,
/// not the item (a month of booking, its runs). The process's copy of the app, one version
/// behind, takes those attributes: its next signal is still one write, and writes what a read
/// would have given. A copy another writer made stale meanwhile is dropped by the beat, and the
/// next signal reads the app.
#[tokio::test]
async fn a_warm_beat_keeps_the_process_copy_of_the_app_current() {
    use lookout_heartbeats::{
        beat, signal, ApiDeps, BeatCommand, HeartbeatStore, SignalCommand, SignalKind,
    };
    use std::time::Duration;
    let hb = spawn().await;
    for app in ["kept", "stale"] {
        admin(
            &hb,
            0,
            json!({"tenant": "acme", "app_id": app, "period_seconds": 3600}),
        )
        .await;
    }
    let calls = Calls::default();
    let client = calls.client_for(&hb, "record-heartbeat").await;
    let mut warm = hb.heartbeat.clone();
    warm.store = HeartbeatStore::new(client, hb.table());
    warm.store.apps = warm
        .store
        .apps
        .clone()
        .with_memo(Duration::from_secs(3_600));
    let tenant = || lookout_core::auth::Tenant::parse("acme").unwrap();
    // Each beat ten seconds after the last: every beat moves the deadline.
    async fn beat_of(hb: &Hb, deps: &ApiDeps, cmd: BeatCommand) -> Value {
        hb.clock.advance(Duration::from_secs(10));
        serde_json::to_value(beat(&deps.ports(), cmd).await.unwrap()).unwrap()
    }
    async fn start(deps: &ApiDeps, cmd: SignalCommand) {
        signal(&deps.ports(), cmd).await.unwrap();
    }
    let beat_cmd = |app: &str| BeatCommand {
        tenant: tenant(),
        input: serde_json::from_value(json!({"app_id": app})).unwrap(),
    };
    let start_cmd = |app: &str| SignalCommand {
        tenant: tenant(),
        kind: SignalKind::Start,
        input: serde_json::from_value(json!({"app_id": app})).unwrap(),
    };

    // A beat makes the app up; a run started and ended through the warm process leaves it its
    // copy of the app (and no open run, which a beat's one-write path would not know).
    let beats = |view: &Value| view["heartbeats"].as_i64().unwrap();
    beat_of(&hb, &warm, beat_cmd("kept")).await;
    let before_start = beats(&hb.view("kept").await);
    start(&warm, start_cmd("kept")).await;
    // What a start adds to the count (a signal is a sign of life too).
    let by_start = beats(&hb.view("kept").await) - before_start;
    let success = SignalCommand {
        kind: SignalKind::Success,
        ..start_cmd("kept")
    };
    start(&warm, success).await;
    let before_beat = beats(&hb.view("kept").await);
    calls.take();
    // The beat is the one-write path, and the copy takes it.
    let reply = beat_of(&hb, &warm, beat_cmd("kept")).await;
    assert_eq!(calls.take(), ["UpdateItem"]);
    let view = hb.view("kept").await;
    assert_eq!(reply["state"], "up", "{reply}");
    assert_eq!(reply["app_id"], "kept");
    assert_eq!(reply["due_by"], view["due_by"], "the deadline the beat set");
    assert_eq!(beats(&view), before_beat + 1);
    // So the next signal is its write alone, and keeps the beat and the ended run.
    start(&warm, start_cmd("kept")).await;
    assert_eq!(calls.take(), ["PutItem"]);
    let view = hb.view("kept").await;
    assert_eq!(
        (
            beats(&view),
            view["open_runs"].as_array().map(Vec::len),
            view["runs"].as_array().map(Vec::len)
        ),
        (before_beat + 1 + by_start, Some(1), Some(1)),
        "{view}"
    );

    // Another process beats in between: the warm beat still writes once, drops its copy, and
    // the next signal reads the app.
    beat_of(&hb, &warm, beat_cmd("stale")).await;
    beat_of(&hb, &hb.heartbeat, beat_cmd("stale")).await;
    calls.take();
    beat_of(&hb, &warm, beat_cmd("stale")).await;
    assert_eq!(calls.take(), ["UpdateItem"]);
    start(&warm, start_cmd("stale")).await;
    assert_eq!(calls.take(), ["GetItem", "PutItem"]);
    let view = hb.view("stale").await;
    assert_eq!(beats(&view), 3 + by_start, "{view}");
}

/// A Healthchecks ping by check UUID (`/ping/<uuid>`, record-ping's handler) in a warm process:
/// the first finds the app through the `ping` index and reads it; every later one is its write
/// alone (an hourly job's pings too: the process keeps the app for hours, since the write is
/// conditioned on the version it was derived from, and the UUID's app never changes). Another
/// writer's change costs the write that finds it. A UUID whose app was deleted names nothing,
/// though its id was registered again (with a UUID of its own) and the process still trusts
/// where the old UUID pointed.
#[tokio::test]
async fn a_warm_process_pings_a_check_it_has_seen_in_one_write() {
    use lambda_http::{Body, Request};
    use std::time::Duration;
    let hb = spawn().await;
    let register =
        json!({"tenant": "acme", "app_id": "hourly", "period_seconds": 3600, "grace_seconds": 600});
    admin(&hb, 0, register.clone()).await;
    let uuid_of = |view: Value| {
        let url = view["ping_url"].as_str().unwrap().to_owned();
        url.rsplit('/').next().unwrap().to_owned()
    };
    let uuid = uuid_of(hb.view("hourly").await);
    let calls = Calls::default();
    let client = calls.client_for(&hb, "record-ping").await;
    // record-ping's deps as `HeartbeatStore::from_env` builds them (bounds from limits.rs).
    let mut warm = hb.signal.clone();
    warm.store = lookout_heartbeats::HeartbeatStore::new(client, hb.table());
    warm.store.apps = warm
        .store
        .apps
        .clone()
        .with_memo(Duration::from_secs(7_200));
    warm.store.pings = warm
        .store
        .pings
        .clone()
        .with_cache(Duration::from_secs(86_400));
    let ping = |uuid: String| {
        let warm = &warm;
        async move {
            let req = Request::new(Body::Empty);
            let (mut parts, body) = req.into_parts();
            parts.uri = format!("https://lookout.test/ping/{uuid}").parse().unwrap();
            let resp = record_ping::handle(warm, Request::from_parts(parts, body))
                .await
                .unwrap();
            let text = String::from_utf8(resp.body().to_vec()).unwrap();
            (resp.status().as_u16(), text)
        }
    };

    hb.clock.set(crate::harness::ts(&at(60)));
    assert_eq!(ping(uuid.clone()).await, (200, "OK".to_owned()));
    assert_eq!(calls.take(), ["Query", "GetItem", "PutItem"]);
    // An hour later (the same warm process): the write alone.
    hb.clock.set(crate::harness::ts(&at(3_660)));
    assert_eq!(ping(uuid.clone()).await, (200, "OK".to_owned()));
    assert_eq!(calls.take(), ["PutItem"]);
    assert_eq!(hb.view("hourly").await["heartbeats"], json!(2));

    // Another process beats the app: the warm copy is stale; its write fails the condition,
    // which answers the app as it is, and the ping is recorded on that.
    let (status, reply) = hb
        .signal_at(3_700, "success", &json!({"app_id": "hourly"}))
        .await;
    assert_eq!(status, 200, "{reply}");
    hb.clock.set(crate::harness::ts(&at(7_260)));
    assert_eq!(ping(uuid.clone()).await, (200, "OK".to_owned()));
    assert_eq!(calls.take(), ["PutItem", "PutItem"]);
    assert_eq!(hb.view("hourly").await["heartbeats"], json!(4));

    // Deleted, and the id registered again: a new check, with a new UUID.
    delete_app(&hb, "hourly").await;
    admin(&hb, 7_300, register).await;
    let again = hb.view("hourly").await;
    assert_ne!(uuid_of(again.clone()), uuid);
    assert_eq!(again["heartbeats"], json!(0), "{again}");
    hb.clock.set(crate::harness::ts(&at(7_320)));
    assert_eq!(ping(uuid.clone()).await, (404, "not found".to_owned()));
    assert_eq!(hb.view("hourly").await, again, "the new check is untouched");
}
