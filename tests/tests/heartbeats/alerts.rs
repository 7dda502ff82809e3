//! A tenant's alert channels end to end (#28), through `cargo lambda watch`, the pump and the
//! messenger emulator (which plays Slack, Discord and a generic webhook receiver, 429s and
//! deleted webhooks included): channels created over the admin API (the SSRF guard refusing
//! what it must), a test alert, routes, and a heartbeat outage and recovery delivered along
//! them — a deleted Discord webhook falling back to Slack, Slack's 429 waited out, the
//! recovery signed to the generic webhook.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use lookout_tests::support::{alerts_in_queue, alerts_pump, app_events_pump, live, Live};

/// Held for the whole of each test that fires the alerts' schedules far ahead (repeats 25
/// minutes, an hour) or waits on schedules minutes away (a window's end, quiet hours' end): the
/// pump fires every tenant's schedules of the shared stack, so one such test running beside
/// another would fire the other's window or quiet hours early.
static SCHEDULES_AHEAD: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// An admin request with a JSON body (`POST`, `PUT`, `DELETE`): status and JSON reply.
async fn admin(l: &Live, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let resp = Live::http()
        .request(method, format!("{}{path}", l.base))
        .header("authorization", format!("Bearer {}", l.admin_token))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn admin_get(l: &Live, path: &str, tenant: &str) -> Value {
    let bearer = format!("Bearer {}", l.admin_token);
    let (status, body) = l
        .get(path, &[("tenant", tenant)], &[("authorization", &bearer)])
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn create(l: &Live, tenant: &str, kind: &str, url: &str) -> Value {
    let (status, body) = admin(
        l,
        "POST",
        "/admin/alert_channels",
        &json!({"tenant": tenant, "kind": kind, "name": format!("{kind} of {tenant}"), "url": url}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body
}

/// Registers heartbeat app `app` of `tenant` with a week's period (no scan marks it down).
async fn weekly_app(l: &Live, tenant: &str, app: &str) {
    let (status, body) = admin(
        l,
        "POST",
        "/admin/heartbeat_apps",
        &json!({"tenant": tenant, "app_id": app, "period_seconds": 604_800}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

/// A job's signal `path` (`fail`, `exit`) with `exit_code` for `app`: the app's state after it.
async fn signal(l: &Live, key: &str, path: &str, app: &str, exit_code: i64) -> Value {
    let (status, body) = l
        .post(
            &format!("/api/apps/{path}"),
            key,
            &json!({"app_id": app, "exit_code": exit_code}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["state"].clone()
}

/// Pumps the app-events and alerts queues until `done` holds (at most 90 s).
async fn pump_until<F, Fut>(l: &Live, what: &str, done: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<Value>>,
{
    pump_ahead_until(l, what, 0, done).await
}

/// Pumps as [`pump_until`], firing the alerts' schedules due `ahead_secs` from now.
async fn pump_ahead_until<F, Fut>(l: &Live, what: &str, ahead_secs: i64, mut done: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<Value>>,
{
    let mut events = app_events_pump(l).await;
    let mut alerts = alerts_pump(l).await;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let now = chrono::Utc::now();
        events.tick(now).await;
        alerts
            .tick(now + chrono::Duration::seconds(ahead_secs))
            .await;
        if let Some(v) = done().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What the emulator received for `service` at `address` whose text contains `needle`.
async fn received(l: &Live, service: &str, address: &str, needle: &str) -> Vec<Value> {
    l.emulator_received()
        .await
        .into_iter()
        .filter(|r| r.messenger == service && r.address == address && r.text.contains(needle))
        .map(|r| serde_json::to_value(r).unwrap())
        .collect()
}

#[tokio::test]
async fn e2e_channels_routes_fallback_and_signed_webhooks() {
    let l = live().await;
    let tenant = format!("al{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let emu = l.emulator_url();

    // The guard: metadata, private and http URLs are refused, nothing stored.
    for bad in [
        "http://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/hook",
        "https://[fd00::1]/hook",
        "https://0xa9fea9fe/hook",
    ] {
        let (status, body) = admin(
            &l,
            "POST",
            "/admin/alert_channels",
            &json!({"tenant": tenant, "kind": "webhook", "name": "x", "url": bad}),
        )
        .await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            body["message"].as_str().unwrap().starts_with("url refused"),
            "{body}"
        );
    }
    let (status, body) = admin(
        &l,
        "POST",
        "/admin/alert_channels",
        &json!({"tenant": tenant, "kind": "slack", "name": "x", "url": "https://example.com/services/T/B/x"}),
    )
    .await;
    assert_eq!(status, 400, "a Slack channel is on hooks.slack.com: {body}");
    assert!(
        admin_get(&l, "/admin/alert_channels", &tenant).await["channels"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // A host name that resolves to a private address passes the syntax check but is refused
    // when the alert is sent (resolved, then checked, then pinned).
    let local = create(&l, &tenant, "webhook", "https://localhost/hook").await;
    let (status, outcome) = admin(
        &l,
        "POST",
        "/admin/alert_channels/test",
        &json!({"tenant": tenant, "id": local["id"]}),
    )
    .await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["outcome"], json!("failed"), "{outcome}");
    assert!(
        outcome["detail"]
            .as_str()
            .unwrap()
            .contains("not a public address"),
        "{outcome}"
    );
    let (status, _) = admin(
        &l,
        "DELETE",
        "/admin/alert_channels",
        &json!({"tenant": tenant, "id": local["id"]}),
    )
    .await;
    assert_eq!(status, 200);

    // Three channels on the emulator: Slack, a deleted Discord webhook, a signed webhook.
    let slack_secret = format!("s3cr3t{tenant}");
    let slack = create(
        &l,
        &tenant,
        "slack",
        &format!("{emu}/slack/services/T{tenant}/B1/{slack_secret}"),
    )
    .await;
    let discord = create(
        &l,
        &tenant,
        "discord",
        &format!("{emu}/discord/api/webhooks/{tenant}/deleted-token"),
    )
    .await;
    let hook = create(&l, &tenant, "webhook", &format!("{emu}/webhook/{tenant}")).await;
    let signing_secret = hook["signing_secret"].as_str().unwrap().to_owned();
    assert!(signing_secret.starts_with("whsec_"));
    // Listed masked: no secret, not the whole URL.
    let listed = admin_get(&l, "/admin/alert_channels", &tenant).await;
    let text = listed.to_string();
    assert!(
        !text.contains(&slack_secret) && !text.contains("whsec_"),
        "{listed}"
    );
    assert_eq!(listed["channels"].as_array().unwrap().len(), 3);

    // The console's "send test alert".
    let (status, outcome) = admin(
        &l,
        "POST",
        "/admin/alert_channels/test",
        &json!({"tenant": tenant, "id": slack["id"]}),
    )
    .await;
    assert_eq!(
        (status, outcome.clone()),
        (200, json!({"delivered": true, "outcome": "delivered"}))
    );
    let slack_address = format!("T{tenant}/B1");
    assert_eq!(
        received(&l, "slack", &slack_address, "Test alert")
            .await
            .len(),
        1
    );

    // Routes: outages (critical) to the Discord webhook, falling back to Slack; the rest to
    // the signed webhook. A channel of no tenant's is refused.
    let (status, body) = admin(
        &l,
        "PUT",
        "/admin/alert_routes",
        &json!({"tenant": tenant, "default": ["ch_00000000000000ff"]}),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let routes = json!({
        "default": [hook["id"]],
        "rules": [{"kind": "heartbeat", "min_level": "critical", "channels": [discord["id"], slack["id"]]}],
    });
    let (status, body) = admin(
        &l,
        "PUT",
        "/admin/alert_routes",
        &json!({"tenant": tenant, "default": routes["default"], "rules": routes["rules"]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = admin(
        &l,
        "DELETE",
        "/admin/alert_channels",
        &json!({"tenant": tenant, "id": slack["id"]}),
    )
    .await;
    assert_eq!(status, 409, "a routed channel stays: {body}");

    // A job of the tenant fails: the transition opens an incident, which raises the tenant's
    // alert. (A failed run, not the scanner: a scan of this shared stack would fold other
    // tests' transitions into one digest mail.) A week's period: no scan marks it down.
    // Slack's first answer is a 429.
    let key = l.issue_key(&tenant).await;
    weekly_app(&l, &tenant, "svc").await;
    let (status, _) = Live::http()
        .post(format!("{emu}/_fail"))
        .json(&json!({"messenger": "slack", "status": 429, "times": 1}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(signal(&l, &key, "fail", "svc", 2).await, json!("down"));
    let delivered = pump_until(&l, "the DOWN alert in Slack", || async {
        received(&l, "slack", &slack_address, "svc is DOWN")
            .await
            .into_iter()
            .find(|r| r["accepted"] == json!(true))
    })
    .await;
    assert!(
        delivered["body"]["blocks"].is_array(),
        "Block Kit: {delivered}"
    );
    // An outage needs someone: its message carries the signed link to acknowledge it, on the
    // host the channel was created through.
    let ack = buttons(&delivered)
        .into_iter()
        .find(|e| e["text"]["text"] == json!("Acknowledge"))
        .and_then(|e| e["url"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no Acknowledge button: {delivered}"));
    assert!(ack.starts_with(&format!("{}/ack/", l.base)), "{ack}");
    // Discord answered 404 (deleted webhook) once; Slack 429 once, then took it.
    let discord_tries = received(&l, "discord", &tenant, "").await;
    assert_eq!(discord_tries.len(), 1, "{discord_tries:?}");
    assert_eq!(discord_tries[0]["status"], json!(404));
    let slack_tries: Vec<u64> = received(&l, "slack", &slack_address, "svc is DOWN")
        .await
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(slack_tries, [429, 200]);
    let failures = admin_get(&l, "/admin/alert_failures", &tenant).await;
    let failures = failures["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["channel_id"], discord["id"]);
    assert_eq!(failures[0]["fell_back_to"], slack["id"]);
    assert!(
        failures[0]["error"]
            .as_str()
            .unwrap()
            .starts_with("HTTP 404"),
        "{failures:?}"
    );

    // The recovery (info) takes the default route: the generic webhook, signed.
    assert_eq!(signal(&l, &key, "exit", "svc", 0).await, json!("up"));
    let got = pump_until(&l, "the UP alert at the webhook", || async {
        received(&l, "webhook", &tenant, "")
            .await
            .into_iter()
            .next()
    })
    .await;
    assert_eq!(got["body"]["title"], json!("svc is back UP"), "{got}");
    let signature = got["headers"]["lookout-signature"].as_str().unwrap();
    let now = lookout_core::time::Timestamp::now().unix_seconds();
    lookout_webhooks::verify(
        signing_secret.as_bytes(),
        signature,
        got["body"].to_string().as_bytes(),
        now,
        300,
    )
    .unwrap();
    assert!(received(&l, "slack", &slack_address, "back UP")
        .await
        .is_empty());
}

/// The elements of a Slack message's action blocks.
fn buttons(message: &Value) -> Vec<Value> {
    message["body"]["blocks"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// What the generic webhook receiver `name` got whose title is `title`.
async fn titled(l: &Live, name: &str, title: &str) -> Option<Value> {
    received(l, "webhook", name, "")
        .await
        .into_iter()
        .find(|r| r["body"]["title"] == json!(title))
}

/// The `/ack/<token>` path of an alert's acknowledgement link.
fn ack_path(link: &str) -> String {
    let at = link.find("/ack/").expect("an acknowledgement link");
    link[at..].to_owned()
}

#[tokio::test]
async fn e2e_an_unacknowledged_outage_repeats_escalates_and_stops_when_acknowledged_by_link() {
    let _turn = SCHEDULES_AHEAD.lock().await;
    let l = live().await;
    let tenant = format!("ak{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let emu = l.emulator_url();
    // Generic webhooks only: the other test injects a 429 into the emulator's Slack.
    let first = format!("first-{tenant}");
    let oncall = create(&l, &tenant, "webhook", &format!("{emu}/webhook/{first}")).await;
    let pager = create(
        &l,
        &tenant,
        "webhook",
        &format!("{emu}/webhook/pager-{tenant}"),
    )
    .await;
    let (status, body) = admin(
        &l,
        "PUT",
        "/admin/alert_routes",
        &json!({"tenant": tenant, "rules": [{
            "kind": "heartbeat", "min_level": "critical", "channels": [oncall["id"]],
            "repeat_minutes": 5, "escalate_after_minutes": 10, "escalation": [[pager["id"]]]
        }]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let key = l.issue_key(&tenant).await;
    weekly_app(&l, &tenant, "etl").await;
    assert_eq!(signal(&l, &key, "fail", "etl", 1).await, json!("down"));

    // The alert, with the signed link that acknowledges it.
    let alert = pump_until(&l, "the DOWN alert", || titled(&l, &first, "etl is DOWN")).await;
    let ack = alert["body"]["ack_url"].as_str().unwrap().to_owned();
    // Nobody acknowledges: 5 minutes on, a repeat; 10 minutes on, the escalation to the pager.
    pump_ahead_until(&l, "the first repeat", 301, || {
        titled(&l, &first, "Repeat 1: etl is DOWN")
    })
    .await;
    let escalated = pump_ahead_until(&l, "the escalation", 601, || async {
        received(&l, "webhook", &format!("pager-{tenant}"), "")
            .await
            .into_iter()
            .next()
    })
    .await;
    assert_eq!(
        escalated["body"]["title"],
        json!("Escalated (step 1): etl is DOWN"),
        "{escalated}"
    );
    assert_eq!(
        ack_path(escalated["body"]["ack_url"].as_str().unwrap())
            .split('/')
            .count(),
        3
    );

    // The link: GET shows a form and changes nothing; POST acknowledges, by name.
    let path = ack_path(&ack);
    let page = Live::http()
        .get(format!("{}{path}", l.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("<form method=\"post\">"));
    let done = Live::http()
        .post(format!("{}{path}", l.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("by=Ana+on+call")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status().as_u16(), 200);
    assert!(done
        .text()
        .await
        .unwrap()
        .contains("Acknowledged by Ana on call (alert link)"));
    let bearer = format!("Bearer {}", l.admin_token);
    let (_, incidents) = l
        .get(
            "/admin/incidents",
            &[("app", format!("{tenant} etl").as_str())],
            &[("authorization", &bearer)],
        )
        .await;
    let id = incidents["incidents"][0]["id"].as_str().unwrap().to_owned();
    let (_, detail) = l
        .get(
            "/admin/incident",
            &[("id", id.as_str())],
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(detail["status"], json!("acknowledged"), "{detail}");
    assert!(
        detail["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["by"] == json!("Ana on call (alert link)")),
        "{detail}"
    );
    // A forged or altered link is refused.
    let forged = format!("{}x", path);
    let refused = Live::http()
        .post(format!("{}{forged}", l.base))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 404);

    // The repeats stop: the next ones fire, find the incident acknowledged, send nothing.
    // (A repeat already taken from the queue before the acknowledgement is sent as it was
    // read: the queue is drained first.)
    fire_and_drain(&l, &[0]).await;
    let before = l.emulator_received().await.len();
    let fired = fire_and_drain(&l, &[901, 1201, 1501]).await;
    // The third repeat was due and fired (else this proves nothing).
    assert!(fired >= 1, "no repeat was due");
    let after: Vec<_> = l
        .emulator_received()
        .await
        .into_iter()
        .skip(before)
        .filter(|r| r.address == first || r.address == format!("pager-{tenant}"))
        .collect();
    assert!(after.is_empty(), "{after:?}");
}

/// Fires the alerts' schedules due `aheads` seconds from now (in turn), then pumps until the
/// alerts queue holds nothing, in flight or not (another test's pump may be the one that takes
/// a message): the schedules fired.
async fn fire_and_drain(l: &Live, aheads: &[i64]) -> usize {
    let mut alerts = alerts_pump(l).await;
    let mut fired = 0;
    for &ahead in aheads {
        let report = alerts
            .tick(chrono::Utc::now() + chrono::Duration::seconds(ahead))
            .await;
        fired += report.schedules_fired;
    }
    let last = aheads.last().copied().unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        alerts
            .tick(chrono::Utc::now() + chrono::Duration::seconds(last))
            .await;
        if alerts_in_queue(l).await == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the alerts queue never drained");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    fired
}

#[tokio::test]
async fn e2e_a_dependent_app_alerts_after_its_parent_is_back() {
    let l = live().await;
    let tenant = format!("dp{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let emu = l.emulator_url();
    let name = format!("deps-{tenant}");
    let hook = create(&l, &tenant, "webhook", &format!("{emu}/webhook/{name}")).await;
    let (status, body) = admin(
        &l,
        "PUT",
        "/admin/alert_routes",
        &json!({"tenant": tenant, "default": [hook["id"]], "dependencies": {"web": ["db"]}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["dependencies"], json!({"web": ["db"]}));
    let key = l.issue_key(&tenant).await;
    for app in ["db", "web"] {
        weekly_app(&l, &tenant, app).await;
    }
    // The database fails: its alert goes out.
    assert_eq!(signal(&l, &key, "fail", "db", 1).await, json!("down"));
    pump_until(&l, "db's alert", || titled(&l, &name, "db is DOWN")).await;
    // Then the web app that depends on it: held, listed, not sent.
    assert_eq!(signal(&l, &key, "fail", "web", 1).await, json!("down"));
    let held = pump_until(&l, "web's alert held", || async {
        let listed = admin_get(&l, "/admin/alert_failures", &tenant).await;
        let held = listed["held"].as_array().cloned().unwrap_or_default();
        (!held.is_empty()).then_some(Value::Array(held))
    })
    .await;
    assert_eq!(
        (&held[0]["app"], &held[0]["parent"], &held[0]["title"]),
        (&json!("web"), &json!("db"), &json!("web is DOWN")),
        "{held}"
    );
    assert!(titled(&l, &name, "web is DOWN").await.is_none());
    // The database is back: its recovery, then (a minute later, as scheduled) the web app's
    // outage, which is still on.
    assert_eq!(signal(&l, &key, "exit", "db", 0).await, json!("up"));
    pump_until(&l, "db's recovery", || titled(&l, &name, "db is back UP")).await;
    pump_ahead_until(&l, "web's released alert", 61, || {
        titled(&l, &name, "web is DOWN")
    })
    .await;
    assert!(
        admin_get(&l, "/admin/alert_failures", &tenant).await["held"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// The alerts' one-time schedules (repeats, releases) of `tenant` not fired yet.
async fn follow_ups_of(l: &Live, tenant: &str) -> usize {
    let scheduler = aws_sdk_scheduler::Client::new(&lookout_dev::moto::sdk_config(&l.moto).await);
    let group = l.stack.schedule_groups["AlertsScheduleGroup"].clone();
    let mut count = 0;
    let mut token = None;
    loop {
        let page = scheduler
            .list_schedules()
            .group_name(&group)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        for s in page.schedules() {
            let Ok(got) = scheduler
                .get_schedule()
                .name(s.name().unwrap_or_default())
                .group_name(&group)
                .send()
                .await
            else {
                continue; // fired and deleted meanwhile
            };
            let input = got.target().and_then(|t| t.input()).unwrap_or_default();
            if input.contains(&format!("\"tenant\":\"{tenant}\"")) {
                count += 1;
            }
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return count;
        }
    }
}

async fn incident_detail(l: &Live, id: &str) -> Value {
    let bearer = format!("Bearer {}", l.admin_token);
    let (status, detail) = l
        .get(
            "/admin/incident",
            &[("id", id)],
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(status, 200, "{detail}");
    detail
}

/// Plays Telegram delivering a button press to the webhook `url` with `secret`: the status
/// and JSON reply.
async fn press(url: &str, secret: &str, data: &str, who: &Value) -> (u16, Value) {
    let update = json!({"update_id": 7001, "callback_query": {
        "id": "4382bfdwdsb323b2d9", "from": who, "chat_instance": "1",
        "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "group"}},
        "data": data,
    }});
    let resp = Live::http()
        .post(url)
        .header("content-type", "application/json")
        .header("X-Telegram-Bot-Api-Secret-Token", secret)
        .body(update.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn e2e_a_telegram_alert_is_acknowledged_with_its_button_and_stops_repeating() {
    let _turn = SCHEDULES_AHEAD.lock().await;
    let l = live().await;
    let tenant = format!("tg{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let emu = l.emulator_url();
    let chat = format!("-100{}", &tenant[2..]);
    // A bot Telegram refuses (a revoked token) is a 400, and no channel is stored.
    let (status, body) = admin(
        &l,
        "POST",
        "/admin/alert_channels",
        &json!({"tenant": tenant, "kind": "telegram", "name": "ops",
                "url": format!("{emu}/telegram/bot9:revoked/sendMessage?chat_id={chat}")}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("Unauthorized"),
        "{body}"
    );
    assert_eq!(
        admin_get(&l, "/admin/alert_channels", &tenant).await["channels"],
        json!([])
    );

    // The channel: its bot is told where presses go, with the tenant's secret token.
    let token = format!("7:{tenant}");
    let channel = create(
        &l,
        &tenant,
        "telegram",
        &format!("{emu}/telegram/bot{token}/sendMessage?chat_id={chat}"),
    )
    .await;
    assert!(
        !channel["url"].as_str().unwrap().contains(&tenant),
        "{channel}"
    );
    let hook = format!("{}/ack/telegram/{tenant}", l.base);
    let set: Vec<_> = l
        .emulator_received()
        .await
        .into_iter()
        .filter(|r| r.messenger == "telegram_webhook" && r.address == hook)
        .collect();
    let calls: Vec<(&str, u16)> = set
        .iter()
        .map(|r| (r.credential.as_str(), r.status))
        .collect();
    assert_eq!(
        calls,
        [("9:revoked", 401), (token.as_str(), 200)],
        "the refused bot's call and this one"
    );
    assert_eq!(set[1].body["allowed_updates"], json!(["callback_query"]));
    let secret = set[1].body["secret_token"].as_str().unwrap().to_owned();

    let (status, body) = admin(
        &l,
        "PUT",
        "/admin/alert_routes",
        &json!({"tenant": tenant, "rules": [{
            "kind": "heartbeat", "min_level": "critical", "channels": [channel["id"]],
            // Beyond the horizon other tests' pumps fire ahead (1,501 s): only this test
            // fires these repeats.
            "repeat_minutes": 60
        }]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let key = l.issue_key(&tenant).await;
    // Two apps go down: etl is acknowledged with the Telegram button, api in the console.
    for app in ["etl", "api"] {
        weekly_app(&l, &tenant, app).await;
        assert_eq!(signal(&l, &key, "fail", app, 1).await, json!("down"));
    }
    pump_until(&l, "api's Telegram alert", || async {
        received(&l, "telegram", &chat, "api is DOWN")
            .await
            .into_iter()
            .next()
    })
    .await;

    // The alert in the chat, with its button.
    let message = pump_until(&l, "the Telegram alert", || async {
        received(&l, "telegram", &chat, "etl is DOWN")
            .await
            .into_iter()
            .next()
    })
    .await;
    assert_eq!(message["credential"], json!(token));
    assert!(message["body"].get("parse_mode").is_none(), "{message}");
    let button = &message["body"]["reply_markup"]["inline_keyboard"][0][0];
    assert_eq!(button["text"], "Acknowledge", "{message}");
    let data = button["callback_data"].as_str().unwrap().to_owned();
    assert!(data.len() <= 64, "{data}");

    // Only Telegram (with the secret) is heard; a button not signed for this tenant is not.
    let ana = json!({"id": 111, "is_bot": false, "first_name": "Ana", "username": "ana"});
    let (status, _) = press(&hook, &"0".repeat(32), &data, &ana).await;
    assert_eq!(status, 401);
    let (status, _) = press(
        &format!("{}/ack/telegram/other{tenant}", l.base),
        &secret,
        &data,
        &ana,
    )
    .await;
    assert_eq!(status, 401, "another tenant's route has another secret");
    let (incident, sig) = data.strip_prefix("a:").unwrap().rsplit_once(':').unwrap();
    let forged = format!("a:{incident}:{}", "0".repeat(sig.len()));
    let (status, reply) = press(&hook, &secret, &forged, &ana).await;
    assert_eq!(status, 200);
    assert_eq!(
        reply["text"], "This button is not one of Lookout's.",
        "{reply}"
    );

    assert_eq!(incident_detail(&l, incident).await["status"], json!("open"));

    // Ana presses it: acknowledged, in the history by her Telegram name.
    let (status, reply) = press(&hook, &secret, &data, &ana).await;
    assert_eq!(status, 200);
    assert_eq!(reply["method"], "answerCallbackQuery", "{reply}");
    assert_eq!(reply["callback_query_id"], "4382bfdwdsb323b2d9");
    assert!(
        reply["text"].as_str().unwrap().starts_with("Acknowledged"),
        "{reply}"
    );
    let after = incident_detail(&l, incident).await;
    assert_eq!(after["status"], json!("acknowledged"), "{after}");
    assert!(
        after["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["by"] == json!("Ana @ana (Telegram)")),
        "{after}"
    );
    let (_, again) = press(&hook, &secret, &data, &ana).await;
    assert_eq!(again["text"], "Already acknowledged.");
    // api's incident acknowledged the console's way (its Acknowledge button's PATCH).
    let bearer = format!("Bearer {}", l.admin_token);
    let (_, listed) = l
        .get(
            "/admin/incidents",
            &[("app", format!("{tenant} api").as_str())],
            &[("authorization", &bearer)],
        )
        .await;
    let api_incident = listed["incidents"][0]["id"].as_str().unwrap().to_owned();
    let version = incident_detail(&l, &api_incident).await["version"].clone();
    let resp = Live::http()
        .patch(format!("{}/admin/incident", l.base))
        .header("authorization", &bearer)
        .header("content-type", "application/json")
        .body(
            json!({"id": api_incident, "status": "acknowledged", "by": "Bo (console)",
                   "version": version})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        200,
        "{}",
        resp.text().await.unwrap()
    );

    // The repeats an hour on fire, find both acknowledged, and send nothing. (Another
    // test's pump fires every due schedule of the shared stack: a repeat it took before the
    // press may still be in flight, sent as it was read. The queue is drained first.)
    fire_and_drain(&l, &[0]).await;
    let before = received(&l, "telegram", &chat, "").await.len();
    assert_eq!(
        follow_ups_of(&l, &tenant).await,
        2,
        "etl's and api's first repeats"
    );
    fire_and_drain(&l, &[3601]).await;
    // Both fired (by this pump or another test's) and scheduled nothing more.
    assert_eq!(follow_ups_of(&l, &tenant).await, 0);
    let after: Vec<Value> = received(&l, "telegram", &chat, "")
        .await
        .into_iter()
        .skip(before)
        .collect();
    assert!(after.is_empty(), "{after:?}");
}

/// `HH:MM` (UTC) of now plus `minutes`.
fn hhmm(minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes))
        .format("%H:%M")
        .to_string()
}

#[tokio::test]
async fn e2e_a_window_releases_what_is_still_wrong_and_quiet_hours_send_one_digest() {
    let _turn = SCHEDULES_AHEAD.lock().await;
    let l = live().await;
    let tenant = format!("wq{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let emu = l.emulator_url();
    let name = format!("wq-{tenant}");
    let hook = create(&l, &tenant, "webhook", &format!("{emu}/webhook/{name}")).await;
    // A maintenance window on `etl` from a minute ago to 45 s on, and quiet hours from two
    // minutes ago to about five minutes on (UTC). The window is short in real time: the pump
    // fires schedules ahead of time (as do other tests' pumps on the shared stack), and an
    // alert released before the window's real end is held again until it has ended.
    let now = chrono::Utc::now();
    let routes = json!({"tenant": tenant, "default": [hook["id"]],
        "windows": [{"name": "etl-upgrade", "app": "etl",
                     "start": (now - chrono::Duration::seconds(60)).to_rfc3339(),
                     "end": (now + chrono::Duration::seconds(45)).to_rfc3339()}],
        "quiet_hours": {"start": hhmm(-2), "end": hhmm(5)}});
    let (status, body) = admin(&l, "PUT", "/admin/alert_routes", &routes).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["quiet_hours"], routes["quiet_hours"], "{body}");
    let upcoming = body["upcoming"].as_array().unwrap();
    assert_eq!(upcoming.len(), 1, "{body}");
    assert_eq!(
        (&upcoming[0]["window"], &upcoming[0]["active"]),
        (&json!("etl-upgrade"), &json!(true))
    );
    let key = l.issue_key(&tenant).await;
    for app in ["etl", "web"] {
        weekly_app(&l, &tenant, app).await;
    }
    // etl goes down inside its window: held (events still recorded), listed.
    assert_eq!(signal(&l, &key, "fail", "etl", 1).await, json!("down"));
    let held = pump_until(&l, "etl held by its window", || async {
        let listed = admin_get(&l, "/admin/alert_failures", &tenant).await;
        listed["held"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|h| h["app"] == json!("etl"))
            .cloned()
    })
    .await;
    assert!(
        held["parent"]
            .as_str()
            .unwrap()
            .starts_with("window:etl-upgrade:"),
        "{held}"
    );
    // web goes down: critical, so quiet hours do not hold it; its recovery (info) they do.
    assert_eq!(signal(&l, &key, "fail", "web", 1).await, json!("down"));
    pump_until(&l, "web's outage at once", || {
        titled(&l, &name, "web is DOWN")
    })
    .await;
    assert_eq!(signal(&l, &key, "exit", "web", 0).await, json!("up"));
    pump_until(&l, "web's recovery held by quiet hours", || async {
        let listed = admin_get(&l, "/admin/alert_failures", &tenant).await;
        listed["held"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|h| {
                h["parent"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("quiet:")
            })
            .cloned()
    })
    .await;
    assert!(titled(&l, &name, "etl is DOWN").await.is_none());
    assert!(titled(&l, &name, "web is back UP").await.is_none());
    // The window ends (the pump fires its end as Scheduler would): etl is still down, so it
    // alerts once, about a minute later.
    let released = pump_ahead_until(&l, "etl's released alert", 240, || {
        titled(&l, &name, "etl is DOWN")
    })
    .await;
    assert_eq!(released["body"]["level"], json!("critical"));
    // The quiet hours end: one digest with what they held.
    let digest = pump_ahead_until(&l, "the quiet hours digest", 420, || async {
        received(&l, "webhook", &name, "")
            .await
            .into_iter()
            .find(|r| r["body"]["kind"] == json!("digest"))
    })
    .await;
    assert_eq!(
        digest["body"]["title"],
        json!("Quiet hours digest: 1 alert held overnight"),
        "{digest}"
    );
    assert!(
        digest["body"]["text"]
            .as_str()
            .unwrap()
            .ends_with("· info · web is back UP"),
        "{digest}"
    );
    assert!(
        titled(&l, &name, "web is back UP").await.is_none(),
        "only in the digest"
    );
    let listed = admin_get(&l, "/admin/alert_failures", &tenant).await;
    assert_eq!(listed["held"], json!([]), "{listed}");
}
