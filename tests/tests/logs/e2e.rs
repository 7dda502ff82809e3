//! /send_logs, /admin/log_users and GET /logs over HTTP through cargo lambda watch.

use lookout_tests::support::live;
use serde_json::{json, Value};

#[tokio::test]
async fn e2e_send_and_query_logs() {
    let l = live().await;
    let admin = format!("Bearer {}", l.admin_token);
    let user = format!("e2e-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let (status, created) = l
        .post_raw(
            "/admin/log_users",
            &[("authorization", &admin)],
            &json!({"user": user}).to_string(),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let token = created["x_user_token"].as_str().unwrap();
    let batch = json!({"data": {"user": user, "pid": 3, "p_name": "svc", "post_time": "2024-05-05T12:00:00Z", "logs": [
        {"level": "error", "msg": "диск заполнен 💾", "event_at": "2024-05-05T11:59:00Z", "p_description": "d"},
        {"level": "info", "msg": "ok", "event_at": "2024-05-05T11:58:00Z", "p_description": "d"}
    ]}});
    let (status, body) = l
        .post_raw("/send_logs", &[("x-user-token", token)], &batch.to_string())
        .await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"code": 200, "message": "Logs added successfully"})
        )
    );

    let (status, body) = l
        .post_raw(
            "/send_logs",
            &[("x-user-token", "ffffffffffffffffffffffffffffffff")],
            &batch.to_string(),
        )
        .await;
    assert_eq!(
        (status, body),
        (403, json!({"code": 403, "message": "Forbidden"}))
    );
    // A body that names no user cannot be checked: 403; a broken batch of the user: 400.
    let (status, body) = l
        .post_raw("/send_logs", &[("x-user-token", token)], "{\"data\": ")
        .await;
    assert_eq!(
        (status, body),
        (403, json!({"code": 403, "message": "Forbidden"}))
    );
    let mut broken = batch.clone();
    broken["data"]["logs"][0]["level"] = json!("loud");
    let (status, body) = l
        .post_raw(
            "/send_logs",
            &[("x-user-token", token)],
            &broken.to_string(),
        )
        .await;
    assert_eq!(
        (status, body),
        (400, json!({"code": 400, "message": "BadRequest"}))
    );
    let mut missing = batch.clone();
    missing["data"].as_object_mut().unwrap().remove("pid");
    let (status, _) = l
        .post_raw(
            "/send_logs",
            &[("x-user-token", token)],
            &missing.to_string(),
        )
        .await;
    assert_eq!(status, 400);
    let mut big = batch.clone();
    big["data"]["logs"][0]["msg"] = json!("y".repeat(1_100_000));
    let (status, body) = l
        .post_raw("/send_logs", &[("x-user-token", token)], &big.to_string())
        .await;
    assert_eq!((status, body["code"].clone()), (413, json!(413)));

    let (status, page) = l
        .get(
            "/logs",
            &[("user", &user), ("level", "error")],
            &[("x-user-token", token)],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let msgs: Vec<&Value> = page["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| &x["msg"])
        .collect();
    assert_eq!(msgs, [&json!("диск заполнен 💾")]);
    let (status, page) = l
        .get("/logs", &[("user", &user)], &[("authorization", &admin)])
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["logs"][0]["msg"], "ok", "oldest first");
    assert_eq!(l.get("/logs", &[("user", &user)], &[]).await.0, 401);
    assert_eq!(
        l.get(
            "/logs",
            &[("user", &user), ("limit", "x")],
            &[("authorization", &admin)]
        )
        .await
        .0,
        400
    );
}
