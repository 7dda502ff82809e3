//! Seed 000's real client (`bot_logging`, den-bibik/LoggerBotLogging) replayed byte for byte
//! through `cargo lambda watch` (docs/seed-clients.md): urllib3's request line
//! `POST //send_logs`, its headers in its order, `json.dumps` bodies with Python's separators and
//! `\uXXXX` escapes, levels as `record.levelno` (30, 40, 50), `msg` as the raw `record.msg`
//! (not always a string), and times from `utcnow().strftime("%Y-%m-%dT%H:%M:%S")` (UTC, no
//! offset). The client needs exactly 200; it follows the 308 with the same POST.

use serde_json::{json, Value};

use lookout_tests::support::{live, raw_exchange};

/// One exchange: status, headers and body.
async fn exchange(base: &str, request: &[u8]) -> (u16, Vec<(String, String)>, String) {
    let reply = raw_exchange(base, request).await;
    (reply.status, reply.headers, reply.body)
}

/// The request urllib3 1.25 writes for `urlopen("POST", host + "//send_logs", body=…,
/// headers={"Content-Type": "application/json", "X-User-Token": token})`.
fn urllib3_request(path: &str, host: &str, token: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: identity\r\nContent-Length: {}\r\nContent-Type: application/json\r\nX-User-Token: {token}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test]
async fn e2e_the_bot_logging_client_works_unchanged() {
    let l = live().await;
    let admin = format!("Bearer {}", l.admin_token);
    let user = format!("denis{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let (status, created) = l
        .post_raw(
            "/admin/log_users",
            &[("authorization", &admin)],
            &json!({ "user": user }).to_string(),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let token = created["x_user_token"].as_str().unwrap().to_owned();
    assert_eq!(
        token.len(),
        32,
        "the client asserts a 32-character LOGGER_TOKEN"
    );

    // What the client sent in a recorded run, with our user: warning/error/critical levels as
    // numbers, a Cyrillic message escaped by json.dumps, an unformatted "%s" message and a
    // non-string msg (logger.error(42)).
    let body = format!(
        r#"{{"data": {{"post_time": "2026-11-30T06:17:48", "pid": 31919, "p_name": "python", "logs": [{{"level": 30, "event_at": "2026-11-30T06:17:48", "msg": "warn %s", "p_description": "log1"}}, {{"level": 40, "event_at": "2026-11-30T06:17:49", "msg": "\u041f\u0440\u0438\u0432\u0435\u0442", "p_description": "log1"}}, {{"level": 50, "event_at": "2026-11-30T06:17:50", "msg": "crit", "p_description": "log1"}}, {{"level": 40, "event_at": "2026-11-30T06:17:51", "msg": 42, "p_description": "log1"}}], "user": "{user}"}}}}"#
    );
    let host = l.base.trim_start_matches("http://").to_owned();
    let (status, headers, reply) = exchange(
        &l.base,
        &urllib3_request("//send_logs", &host, &token, &body),
    )
    .await;
    assert_eq!(status, 308, "{reply}");
    let location = headers
        .iter()
        .find(|(k, _)| k == "location")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert_eq!(location, "/send_logs");
    // urllib3 follows it with the same method, headers and body.
    let (status, _, reply) =
        exchange(&l.base, &urllib3_request(&location, &host, &token, &body)).await;
    assert_eq!(
        status, 200,
        "the client treats anything but 200 as a failure: {reply}"
    );
    assert_eq!(
        serde_json::from_str::<Value>(&reply).unwrap(),
        json!({"code": 200, "message": "Logs added successfully"})
    );

    // A batch of 30 (the client's largest) in one request.
    let lines: Vec<String> = (0..30)
        .map(|i| format!(r#"{{"level": 40, "event_at": "2026-11-30T07:00:{i:02}", "msg": "line {i}", "p_description": "log1"}}"#))
        .collect();
    let big = format!(
        r#"{{"data": {{"post_time": "2026-11-30T07:00:30", "pid": 31919, "p_name": "python", "logs": [{}], "user": "{user}"}}}}"#,
        lines.join(", ")
    );
    let (status, _, reply) =
        exchange(&l.base, &urllib3_request("/send_logs", &host, &token, &big)).await;
    assert_eq!(status, 200, "{reply}");
    // The client's retry: on a non-200 (a timeout, a 500) it puts the batch back and sends the
    // same bytes once more after 1 s. Resent, it is stored once.
    let (status, _, reply) =
        exchange(&l.base, &urllib3_request("/send_logs", &host, &token, &big)).await;
    assert_eq!(status, 200, "{reply}");

    // Stored as sent: levels by name, offset-less times as UTC, the number kept as text.
    let (status, logs) = l
        .get(
            "/logs",
            &[("user", user.as_str()), ("limit", "100")],
            &[("x-user-token", token.as_str())],
        )
        .await;
    assert_eq!(status, 200, "{logs}");
    let logs = logs["logs"].as_array().unwrap();
    assert_eq!(logs.len(), 34, "{logs:?}");
    let find = |msg: &str| logs.iter().find(|x| x["msg"] == msg).cloned().unwrap();
    assert_eq!(find("warn %s")["level"], "warning");
    assert_eq!(find("Привет")["level"], "error");
    assert_eq!(find("crit")["level"], "critical");
    assert_eq!(find("42")["level"], "error");
    assert_eq!(find("crit")["event_at"], "2026-11-30T06:17:50.000Z");

    // An unknown token is 403, which the client survives (it retries once, then drops the
    // batch); a 400 would kill its sender thread for good, so 400 is kept for bodies it never
    // sends.
    let (status, _, _) = exchange(
        &l.base,
        &urllib3_request("/send_logs", &host, &"f".repeat(32), &body),
    )
    .await;
    assert_eq!(status, 403);
}
