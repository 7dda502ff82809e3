//! Seed 002's callers replayed byte for byte through `cargo lambda watch`
//! (docs/seed-clients.md). mega_test_api had no client of its own: apps POST
//! `{"app_id": 23, "message": "OK:200"}` to `/api/apps/` with python-requests or curl, any
//! scalar as the id, with or without a message, sometimes with fields the server never read.
//! The only thing a caller changes is its base URL, which now carries the API key
//! (`http://lookout:<key>@host`: both send it as `Authorization: Basic`). The seed answered
//! 200 with an empty body and callers read only the status.

use serde_json::{json, Value};

use lookout_tests::support::{curl_bytes, live, raw_exchange, requests_bytes};

#[tokio::test]
async fn e2e_seed_heartbeat_callers_work_with_the_key_in_the_base_url() {
    let l = live().await;
    let tenant = format!("hbseed-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let key = l.issue_key(&tenant).await;
    let beats: [(&[u8], &str); 6] = [
        // requests.post(base + "/api/apps/", json={...}): the seed's own URL, trailing slash.
        (
            &requests_bytes(
                "POST",
                &l.base,
                "/api/apps/",
                &key,
                r#"{"app_id": 23, "message": "OK:200"}"#,
            ),
            "requests, trailing slash",
        ),
        // The README's curl, without a message.
        (
            &curl_bytes("POST", &l.base, "/api/apps/", &key, r#"{"app_id": 23}"#),
            "curl, no message",
        ),
        // The slashless path (the seed redirected it; Lookout's own route serves it).
        (
            &requests_bytes(
                "POST",
                &l.base,
                "/api/apps",
                &key,
                r#"{"app_id": "23", "message": "OK:200"}"#,
            ),
            "string id, slashless",
        ),
        // Fields the seed never read, and ids of other JSON types.
        (
            &requests_bytes(
                "POST",
                &l.base,
                "/api/apps/",
                &key,
                r#"{"app_id": "billing-cron", "message": "OK", "host": "web-1", "latency_ms": 12}"#,
            ),
            "extra fields",
        ),
        (
            &curl_bytes(
                "POST",
                &l.base,
                "/api/apps/",
                &key,
                r#"{"app_id": 7.0, "message": 200}"#,
            ),
            "float id, number message",
        ),
        (
            &curl_bytes("POST", &l.base, "/api/apps/", &key, r#"{"app_id": true}"#),
            "boolean id",
        ),
    ];
    for (request, what) in beats {
        let reply = raw_exchange(&l.base, request).await;
        assert_eq!(reply.status, 200, "{what}: {}", reply.body);
        assert_eq!(reply.json()["status"], "ok", "{what}");
    }

    // Without the key in the URL (the seed had no auth): 401, and nothing is recorded.
    let anonymous = format!(
        "POST /api/apps/ HTTP/1.1\r\nHost: {}\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{{\"app_id\": 99}}",
        l.base.trim_start_matches("http://")
    );
    let reply = raw_exchange(&l.base, anonymous.as_bytes()).await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    let wrong = raw_exchange(
        &l.base,
        &curl_bytes(
            "POST",
            &l.base,
            "/api/apps/",
            "lk_not_a_key",
            r#"{"app_id": 99}"#,
        ),
    )
    .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);

    // What was recorded, as the admin lists it.
    let bearer = format!("Bearer {}", l.admin_token);
    let (status, list) = l
        .get(
            "/admin/heartbeat_apps",
            &[("tenant", tenant.as_str())],
            &[("authorization", bearer.as_str())],
        )
        .await;
    assert_eq!(status, 200, "{list}");
    let mut apps: Vec<(Value, u64, Value)> = list["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["app_id"].clone(),
                a["heartbeats"].as_u64().unwrap(),
                a["last_message"].clone(),
            )
        })
        .collect();
    // Sorted by their JSON text: strings (quoted) first.
    apps.sort_by_key(|(id, _, _)| id.to_string());
    assert_eq!(
        apps,
        [
            (json!("billing-cron"), 1, json!("OK")),
            (json!("true"), 1, Value::Null),
            (json!(23), 3, json!("OK:200")),
            (json!(7), 1, json!("200")),
        ]
    );
}
