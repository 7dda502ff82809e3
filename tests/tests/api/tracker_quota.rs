//! The tracker's per-tenant daily quota (#30): events and bytes as stored, counted in the same
//! transactions as the events. Over it: 429 with `Retry-After`, nothing stored; other tenants
//! are not affected.

use lambda_http::{Body, Response};
use lookout_tracker::TrackerQuota;
use serde_json::{json, Value};

use lookout_tests::support::{read, request, spawn_app, TestApp};

fn with_quota(app: &TestApp, events: u64, bytes: u64) -> lookout_tracker::Deps {
    let mut deps = app.tracker("add-event").clone();
    deps.store = deps.store.with_quota(TrackerQuota {
        events_per_day: events,
        bytes_per_day: bytes,
    });
    deps
}

async fn start(app: &TestApp, key: &str) -> String {
    let body =
        json!({"userId": "u", "machineId": "m", "startAt": "2026-01-01 00:00:00", "orgId": 1});
    let (status, body) = read(
        start_session::handle(
            app.tracker("start-session"),
            request("/start_session", &[("x-api-key", key)], &body.to_string()),
        )
        .await,
    );
    assert_eq!(status, 200, "{body}");
    body["sessionId"].as_str().unwrap().to_owned()
}

fn events(session: &str, from: usize, n: usize, payload: &str) -> String {
    let events: Vec<Value> = (from..from + n)
        .map(|i| json!({"eventAt": 1_767_225_600 + i, "eventType": "click", "payload": {"i": i, "p": payload}}))
        .collect();
    json!({"sessionId": session, "events": events}).to_string()
}

async fn add(deps: &lookout_tracker::Deps, key: &str, body: &str) -> (u16, Value, Option<String>) {
    let resp: Response<Body> =
        add_event::handle(deps, request("/add_event", &[("x-api-key", key)], body))
            .await
            .unwrap();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let status = resp.status().as_u16();
    let body: Value = serde_json::from_slice(resp.body().as_ref()).unwrap_or(Value::Null);
    (status, body, retry)
}

async fn stored_events(app: &TestApp) -> usize {
    app.tracker_items()
        .await
        .iter()
        .filter(|i| {
            matches!(i.get("sk"), Some(aws_sdk_dynamodb::types::AttributeValue::S(sk)) if sk.starts_with("EVENT#"))
        })
        .count()
}

#[tokio::test]
async fn a_tenant_over_its_daily_events_gets_429_and_nothing_is_stored() {
    let app = spawn_app().await;
    let deps = with_quota(&app, 150, 1 << 30);
    let key = &app.api_key;
    let sid = start(&app, key).await;
    // 100 events: two transactions, both counted.
    let (status, body, _) = add(&deps, key, &events(&sid, 0, 100, "")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(stored_events(&app).await, 100);
    // 60 more would pass 150: refused before any write (a request of two transactions).
    let (status, body, retry) = add(&deps, key, &events(&sid, 100, 60, "")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("quota_exceeded")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("tracker quota"),
        "{body}"
    );
    let retry: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=86_400).contains(&retry), "{retry}");
    assert_eq!(stored_events(&app).await, 100, "nothing of it stored");
    // Up to the quota exactly, in one transaction.
    let (status, body, _) = add(&deps, key, &events(&sid, 100, 50, "")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(stored_events(&app).await, 150);
    // Then even one event is refused, by the counter in its transaction.
    let (status, body, _) = add(&deps, key, &events(&sid, 150, 1, "")).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(stored_events(&app).await, 150);
    // Another tenant has its own day.
    let other = app.key_for("globex").await;
    let theirs = start(&app, &other).await;
    let (status, body, _) = add(&deps, &other, &events(&theirs, 0, 10, "")).await;
    assert_eq!(status, 200, "{body}");
    // Two requests for the last 40 events of a fresh tenant's room (30 each): the counter's
    // condition in each transaction admits exactly one, whichever DynamoDB applies first.
    let deps = with_quota(&app, 40, 1 << 30);
    let third = app.key_for("initech").await;
    let sid3 = start(&app, &third).await;
    let (first, second) = (events(&sid3, 0, 30, "a"), events(&sid3, 100, 30, "b"));
    let (a, b) = tokio::join!(add(&deps, &third, &first), add(&deps, &third, &second));
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 429], "{a:?} {b:?}");
}

#[tokio::test]
async fn a_tenant_over_its_daily_bytes_gets_429() {
    let app = spawn_app().await;
    // Room for about three events of 10 KB.
    let deps = with_quota(&app, 1_000_000, 35_000);
    let key = &app.api_key;
    let sid = start(&app, key).await;
    let big = "x".repeat(10_000);
    let (status, body, _) = add(&deps, key, &events(&sid, 0, 3, &big)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body, _) = add(&deps, key, &events(&sid, 3, 1, &big)).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(stored_events(&app).await, 3);
    // A request bigger than a whole day's bytes never passes.
    let (status, _, _) = add(&deps, key, &events(&sid, 10, 4, &big)).await;
    assert_eq!(status, 429);
}
