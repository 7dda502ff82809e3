//! Seed 004 end to end: real HTTP through `cargo lambda watch` (router paths = API Gateway
//! paths), functions talking to moto, results checked in DynamoDB.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};

use lookout_tests::support::{live, Live};

async fn session(l: &Live, key: &str, machine: &str) -> String {
    let (status, body) = l
        .post("/start_session", key, &json!({"userId": "u1", "machineId": machine, "startAt": "2023-02-02 16:22:15", "orgId": 11232}))
        .await;
    assert_eq!(status, 200, "{body}");
    body["sessionId"].as_str().unwrap().to_owned()
}

fn machine_id() -> String {
    format!("m-{}", uuid::Uuid::new_v4())
}

#[tokio::test]
async fn e2e_admin_api_keys() {
    let l = live().await;
    let key = l.issue_key("e2e-admin").await;
    assert!(key.starts_with("lk_"));
    let (status, body) = l
        .post_raw("/admin/api_keys", &[], &json!({"tenant": "x"}).to_string())
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("unauthorized"))
    );
    let bearer = format!("Bearer {}", l.admin_token);
    let (status, _) = l
        .post_raw(
            "/admin/api_keys",
            &[("authorization", &bearer)],
            "{not json",
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn e2e_start_session() {
    let l = live().await;
    let key = l.issue_key("e2e-start").await;
    let id = session(&l, &key, &machine_id()).await;
    let item = l
        .ddb()
        .await
        .get_item()
        .table_name(l.stack.table("TrackerTable").unwrap())
        .key("pk", AttributeValue::S(format!("SESSION#{id}")))
        .key("sk", AttributeValue::S("META".into()))
        .send()
        .await
        .unwrap()
        .item
        .expect("session stored in DynamoDB");
    assert_eq!(item["tenant"].as_s().unwrap(), "e2e-start");
    assert_eq!(item["startAt"].as_s().unwrap(), "2023-02-02T16:22:15.000Z");

    let (status, body) = l
        .post("/start_session", &key, &json!({"userId": "u"}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("machineId"),
        "{body}"
    );
    let (status, _) = l
        .post_raw(
            "/start_session",
            &[],
            &json!({"userId": "u", "machineId": "m", "startAt": "2023-01-01"}).to_string(),
        )
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn e2e_add_event() {
    let l = live().await;
    let key = l.issue_key("e2e-add").await;
    let id = session(&l, &key, &machine_id()).await;
    let (status, body) = l
        .post(
            "/add_event",
            &key,
            &json!({"sessionId": id, "events": [
                {"eventAt": "2023-02-09 01:08:55", "eventType": "exe", "payload": {"info": "ü ✓"}},
                {"eventAt": "2023-02-09 01:05:23", "eventType": "data"}
            ]}),
        )
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"message": "request received"}))
    );
    let (status, _) = l.post("/add_event", &key, &json!({"sessionId": "missing", "events": [{"eventAt": "2023-02-09", "eventType": "x"}]})).await;
    assert_eq!(status, 404);
    let (status, _) = l
        .post(
            "/add_event",
            &key,
            &json!({"sessionId": id, "events": [{"eventAt": "never", "eventType": "x"}]}),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = l
        .post(
            "/end_session",
            &key,
            &json!({"sessionId": id, "endAt": "2023-03-01"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = l
        .post(
            "/add_event",
            &key,
            &json!({"sessionId": id, "events": [{"eventAt": "2023-02-09", "eventType": "x"}]}),
        )
        .await;
    assert_eq!((status, body["error"].as_str()), (409, Some("conflict")));
    let (_, s) = l
        .post("/get_session", &key, &json!({"sessionId": id}))
        .await;
    assert_eq!(s["events"].as_array().unwrap().len(), 2);
    assert_eq!(s["events"][1]["payload"]["info"], "ü ✓");
}

#[tokio::test]
async fn e2e_end_session() {
    let l = live().await;
    let key = l.issue_key("e2e-end").await;
    let id = session(&l, &key, &machine_id()).await;
    let (status, body) = l
        .post(
            "/end_session",
            &key,
            &json!({"sessionId": id, "endAt": [2023, 2, 2, 18, 0, 0]}),
        )
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"message": "request received"}))
    );
    assert_eq!(
        l.post(
            "/end_session",
            &key,
            &json!({"sessionId": id, "endAt": "2023-03-01"})
        )
        .await
        .0,
        409
    );
    assert_eq!(
        l.post(
            "/end_session",
            &key,
            &json!({"sessionId": "missing", "endAt": "2023-03-01"})
        )
        .await
        .0,
        404
    );
    assert_eq!(
        l.post("/end_session", &key, &json!({"sessionId": id}))
            .await
            .0,
        400
    );
    let (_, s) = l
        .post("/get_session", &key, &json!({"sessionId": id}))
        .await;
    assert_eq!(s["endAt"], "2023-02-02T18:00:00.000Z");
}

#[tokio::test]
async fn e2e_get_session() {
    let l = live().await;
    let key = l.issue_key("e2e-get").await;
    let id = session(&l, &key, &machine_id()).await;
    l.post("/add_event", &key, &json!({"sessionId": id, "events": [
        {"eventAt": "2023-02-09 01:08:55", "eventType": "exe", "payload": {"info": "someInfo"}},
        {"eventAt": "2023-02-02 16:22:15", "eventType": "applicationStarted", "payload": {"info": "someInfo"}}
    ]}))
    .await;
    let (status, s) = l
        .post("/get_session", &key, &json!({"sessionId": id}))
        .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        s,
        json!({
            "sessionId": id, "userId": "u1", "machineId": s["machineId"], "orgId": 11232,
            "startAt": "2023-02-02T16:22:15.000Z", "endAt": null,
            "events": [
                {"eventAt": "2023-02-02T16:22:15.000Z", "eventType": "applicationStarted", "payload": {"info": "someInfo"}},
                {"eventAt": "2023-02-09T01:08:55.000Z", "eventType": "exe", "payload": {"info": "someInfo"}}
            ]
        })
    );
    let other = l.issue_key("e2e-get-other").await;
    assert_eq!(
        l.post("/get_session", &other, &json!({"sessionId": id}))
            .await
            .0,
        404
    );
    assert_eq!(
        l.post("/get_session", &key, &json!({"session": id}))
            .await
            .0,
        400
    );
    assert_eq!(
        l.post("/get_session", "lk_bogus", &json!({"sessionId": id}))
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn e2e_get_machine_events() {
    let l = live().await;
    let key = l.issue_key("e2e-machine").await;
    let machine = machine_id();
    let s1 = session(&l, &key, &machine).await;
    let s2 = session(&l, &key, &machine).await;
    l.post("/add_event", &key, &json!({"sessionId": s2, "events": [{"eventAt": "2023-02-09 01:05:23", "eventType": "late"}]})).await;
    l.post("/add_event", &key, &json!({"sessionId": s1, "events": [{"eventAt": "2016-01-01 11:20:05.123", "eventType": "early"}]})).await;
    let (status, body) = l
        .post("/get_machine_events", &key, &json!({"machineId": machine}))
        .await;
    assert_eq!(status, 200, "{body}");
    let got: Vec<(Value, Value)> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["eventType"].clone(), e["sessionId"].clone()))
        .collect();
    assert_eq!(
        got,
        [(json!("early"), json!(s1)), (json!("late"), json!(s2))]
    );
    let (status, page) = l
        .post(
            "/get_machine_events",
            &key,
            &json!({"machineId": machine, "limit": 1}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, rest) = l
        .post(
            "/get_machine_events",
            &key,
            &json!({"machineId": machine, "nextToken": page["nextToken"]}),
        )
        .await;
    assert_eq!(rest["events"][0]["eventType"], "late");
    assert_eq!(
        l.post(
            "/get_machine_events",
            &key,
            &json!({"machineId": machine, "limit": -1})
        )
        .await
        .0,
        400
    );
    assert_eq!(
        l.post_raw(
            "/get_machine_events",
            &[],
            &json!({"machineId": machine}).to_string()
        )
        .await
        .0,
        401
    );
}
