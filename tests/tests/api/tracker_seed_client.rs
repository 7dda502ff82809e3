//! Seed 004's callers replayed byte for byte through `cargo lambda watch`
//! (docs/seed-clients.md). Microservice-Tracker had no client of its own: callers POST JSON
//! with python-requests (`requests.post(base + "/start_session", json={...})`), times as epoch
//! seconds (int or float) or `YYYY-MM-DD HH:MM:SS`, sometimes with fields the server never
//! read. The base URL carries the API key (`http://lookout:<key>@host`, sent as
//! `Authorization: Basic`). The seed answered `request received`; Lookout answers JSON that
//! holds that text, plus the session id the seed never returned.

use serde_json::{json, Value};

use lookout_tests::support::{live, raw_exchange, requests_bytes, Live};

async fn post(l: &Live, key: &str, path: &str, body: &str) -> (u16, Value) {
    let reply = raw_exchange(&l.base, &requests_bytes("POST", &l.base, path, key, body)).await;
    (reply.status, reply.json())
}

#[tokio::test]
async fn e2e_seed_tracker_callers_work_with_the_key_in_the_base_url() {
    let l = live().await;
    let key = l.issue_key("seed4").await;
    let machine = format!("m-{}", uuid::Uuid::new_v4());

    let (status, started) = post(
        &l,
        &key,
        "/start_session",
        &format!(
            r#"{{"userId": "asfla-asdf-asdfa", "machineId": "{machine}", "startAt": 1675354935, "orgId": 11232, "appVersion": "1.4.2"}}"#
        ),
    )
    .await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(started["message"], "request received");
    let id = started["sessionId"].as_str().unwrap().to_owned();

    let (status, reply) = post(
        &l,
        &key,
        "/add_event",
        &format!(
            r#"{{"sessionId": "{id}", "events": [{{"eventAt": 1675354940.5, "eventType": "exe", "payload": {{"info": "someInfo"}}, "seq": 1}}, {{"eventAt": "2023-02-02 16:22:30", "eventType": "data", "payload": {{"rows": [1, 2]}}}}]}}"#
        ),
    )
    .await;
    assert_eq!(
        (status, &reply["message"]),
        (200, &json!("request received")),
        "{reply}"
    );
    let (status, reply) = post(
        &l,
        &key,
        "/end_session",
        &format!(r#"{{"sessionId": "{id}", "endAt": 1675355000}}"#),
    )
    .await;
    assert_eq!(
        (status, &reply["message"]),
        (200, &json!("request received")),
        "{reply}"
    );

    let (status, s) = post(
        &l,
        &key,
        "/get_session",
        &format!(r#"{{"sessionId": "{id}"}}"#),
    )
    .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        (&s["userId"], &s["machineId"], &s["orgId"]),
        (&json!("asfla-asdf-asdfa"), &json!(machine), &json!(11232))
    );
    assert_eq!(
        (&s["startAt"], &s["endAt"]),
        (
            &json!("2023-02-02T16:22:15.000Z"),
            &json!("2023-02-02T16:23:20.000Z")
        )
    );
    assert_eq!(
        s["events"],
        json!([
            {"eventAt": "2023-02-02T16:22:20.500Z", "eventType": "exe", "payload": {"info": "someInfo"}},
            {"eventAt": "2023-02-02T16:22:30.000Z", "eventType": "data", "payload": {"rows": [1, 2]}},
        ])
    );

    let (status, m) = post(
        &l,
        &key,
        "/get_machine_events",
        &format!(r#"{{"machineId": "{machine}"}}"#),
    )
    .await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["machineId"], machine.as_str());
    let sessions: Vec<&Value> = m["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["sessionId"])
        .collect();
    assert_eq!(sessions, [&json!(id), &json!(id)]);

    // Differences kept on purpose (docs/migrating.md): an unknown session is a JSON 404, not a
    // 200 "sessionId not found"; a wrong key is 401.
    let (status, reply) = post(
        &l,
        &key,
        "/get_session",
        r#"{"sessionId": "nope-nope-nope"}"#,
    )
    .await;
    assert_eq!(
        (status, &reply["error"]),
        (404, &json!("not_found")),
        "{reply}"
    );
    let (status, _) = post(
        &l,
        "lk_not_a_key",
        "/get_session",
        &format!(r#"{{"sessionId": "{id}"}}"#),
    )
    .await;
    assert_eq!(status, 401);
}
