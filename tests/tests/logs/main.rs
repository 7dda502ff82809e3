//! Seed 000 log ingestion: handlers in-process against moto, then end to end through watch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

mod e2e;
mod no_store;
mod otlp;
mod quota;
mod seed_client;

use lambda_http::{Body, Response};
use lookout_core::{
    auth::{sha256_hex, AdminAuth},
    quota::Quotas,
    time::system_clock,
};
use lookout_logs::{self as logs, LogStore};
use lookout_tests::support::{
    http_request, read, read_secret, request, spawn_app, TestApp, ADMIN_TOKEN,
};
use serde_json::{json, Value};

struct Logs {
    app: TestApp,
    ingest: send_logs::Deps,
    admin: admin_issue_log_token::Deps,
    query: query_logs::Deps,
}

async fn setup() -> Logs {
    let app = spawn_app().await;
    // Each handler signs as its own function's role.
    let store_of = |ddb| {
        LogStore::new(
            ddb,
            app.stack.table("LogUsersTable").unwrap(),
            app.stack.table("LogsTable").unwrap(),
            30,
        )
    };
    let admin = AdminAuth::from_sha256_hex(&sha256_hex(ADMIN_TOKEN.as_bytes())).unwrap();
    Logs {
        ingest: send_logs::Deps {
            store: store_of(app.ddb_for("send-logs").await),
            quotas: Quotas::default(),
            clock: system_clock(),
        },
        admin: admin_issue_log_token::Deps {
            admin: admin.clone(),
            store: store_of(app.ddb_for("admin-issue-log-token").await),
        },
        query: query_logs::Deps {
            admin,
            store: store_of(app.ddb_for("query-logs").await),
            clock: system_clock(),
        },
        app,
    }
}

const SEED_OK: &str = r#"{"code":200,"message":"Logs added successfully"}"#;
const SEED_400: &str = r#"{"code":400,"message":"BadRequest"}"#;
const SEED_403: &str = r#"{"code":403,"message":"Forbidden"}"#;

fn raw(resp: Result<Response<Body>, lambda_http::Error>) -> (u16, String, Option<String>) {
    let resp = resp.unwrap();
    let detail = resp
        .headers()
        .get("x-lookout-error")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        resp.status().as_u16(),
        String::from_utf8(resp.body().to_vec()).unwrap(),
        detail,
    )
}

impl Logs {
    async fn create_user(&self, user: &str) -> Value {
        self.issue_token(json!({"user": user}), 201).await
    }

    /// Rotates `user`'s token through the admin's function; the new token's reply.
    async fn rotate_user(&self, user: &str) -> Value {
        self.issue_token(json!({"user": user, "rotate": true}), 200)
            .await
    }

    /// `POST /admin/log_users` with `body` as the admin; its reply, which must be `status`.
    async fn issue_token(&self, body: Value, status: u16) -> Value {
        let (got, reply) = read_secret(
            admin_issue_log_token::handle(
                &self.admin,
                request(
                    "/admin/log_users",
                    &[("authorization", &format!("Bearer {ADMIN_TOKEN}"))],
                    &body.to_string(),
                ),
            )
            .await,
        );
        assert_eq!(got, status, "{reply}");
        reply
    }

    /// Sends a batch as the seed's contract asks a client to: a 503 (DynamoDB out of reach,
    /// nothing stored, `Retry-After`) is sent again, up to three times. On a loaded 2-core CI
    /// machine moto can outlast a write's time budget; every test that counts what is stored
    /// proves a retried batch is stored once.
    async fn send(&self, token: &str, body: &str) -> (u16, String, Option<String>) {
        let mut tries = 0;
        loop {
            let reply = raw(send_logs::handle(
                &self.ingest,
                request("/send_logs", &[("x-user-token", token)], body),
            )
            .await);
            tries += 1;
            if reply.0 != 503 || tries == 3 {
                return reply;
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }

    async fn query(&self, q: &[(&str, &str)], headers: &[(&str, &str)]) -> (u16, Value) {
        read(query_logs::handle(&self.query, http_request("GET", "/logs", q, headers, "")).await)
    }

    async fn admin_query(&self, q: &[(&str, &str)]) -> (u16, Value) {
        self.query(q, &[("authorization", &format!("Bearer {ADMIN_TOKEN}"))])
            .await
    }

    async fn chunk_items(&self) -> usize {
        self.app
            .items(self.app.stack.table("LogsTable").unwrap())
            .await
            .len()
    }
}

fn seed_batch(user: &str) -> Value {
    json!({"data": {
        "user": user, "pid": 1, "p_name": "process name", "post_time": "2020-05-05T12:22:22+00:00",
        "logs": [
            {"level": "error", "msg": "log message", "event_at": "2020-05-05T12:22:22+00:00", "p_description": "process_user_description"},
            {"level": "warning", "msg": "other log message", "event_at": "2020-05-06T12:22:22+00:00", "p_description": "process_user_description"}
        ]
    }})
}

fn messages(page: &Value) -> Vec<String> {
    page["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["msg"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn send_logs_stores_the_seed_batch_and_replies_exactly() {
    let t = setup().await;
    let user = t.create_user("username").await;
    let token = user["x_user_token"].as_str().unwrap();
    assert_eq!(
        token,
        logs::x_user_token(user["token"].as_str().unwrap()),
        "md5 hex of the token"
    );
    let (status, body, _) = t.send(token, &seed_batch("username").to_string()).await;
    assert_eq!((status, body.as_str()), (200, SEED_OK));

    let (status, page) = t.admin_query(&[("user", "username")]).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        page["logs"],
        json!([
            {"event_at": "2020-05-05T12:22:22.000Z", "level": "error", "msg": "log message", "p_description": "process_user_description", "p_name": "process name", "pid": 1, "post_time": "2020-05-05T12:22:22.000Z"},
            {"event_at": "2020-05-06T12:22:22.000Z", "level": "warning", "msg": "other log message", "p_description": "process_user_description", "p_name": "process name", "pid": 1, "post_time": "2020-05-05T12:22:22.000Z"}
        ])
    );
    // Stored: packed chunks (a chunk spans at most an hour, so these two lines a day apart make
    // two) with a TTL about 30 days out; the users table holds neither the token nor its md5.
    let items = t.app.items(t.app.stack.table("LogsTable").unwrap()).await;
    assert_eq!(items.len(), 2);
    let expires: i64 = items[0]["expiresAt"].as_n().unwrap().parse().unwrap();
    let in_days = (expires - chrono_now()) as f64 / 86_400.0;
    assert!((29.9..30.1).contains(&in_days), "{in_days}");
    for item in t
        .app
        .items(t.app.stack.table("LogUsersTable").unwrap())
        .await
    {
        for v in item.values() {
            let v = v.as_s().map(String::as_str).unwrap_or("");
            assert!(v != token && v != user["token"].as_str().unwrap());
        }
    }
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn bad_requests_get_the_seed_400_and_write_nothing() {
    let t = setup().await;
    let user = t.create_user("u1").await;
    let token = user["x_user_token"].as_str().unwrap();
    // A body that names no user cannot be checked against the token: 403 (the caller is
    // authenticated before the batch is read).
    for unchecked in [
        "",
        "{",
        "not json",
        "[]",
        "{}",
        r#"{"data": {}}"#,
        r#"{"data": {"user": 7}}"#,
    ] {
        let (status, reply, detail) = t.send(token, unchecked).await;
        assert_eq!((status, reply.as_str()), (403, SEED_403), "{unchecked}");
        assert!(detail.unwrap().contains("names no user"));
    }
    let mut cases: Vec<String> = vec![];
    for field in ["pid", "p_name", "post_time", "logs"] {
        let mut b = seed_batch("u1");
        b["data"].as_object_mut().unwrap().remove(field);
        cases.push(b.to_string());
    }
    for field in ["level", "msg", "event_at"] {
        let mut b = seed_batch("u1");
        b["data"]["logs"][0].as_object_mut().unwrap().remove(field);
        cases.push(b.to_string());
    }
    for (path, value) in [
        ("level", json!("loud")),
        ("event_at", json!("yesterday")),
        // A number is kept as text (the seed client sends Python's raw record.msg); null is not
        // a message.
        ("msg", json!(null)),
        ("level", json!(-1)),
        ("level", json!(40.5)),
    ] {
        let mut b = seed_batch("u1");
        b["data"]["logs"][0][path] = value;
        cases.push(b.to_string());
    }
    let mut b = seed_batch("u1");
    b["data"]["pid"] = json!(-1);
    cases.push(b.to_string());
    let mut b = seed_batch("u1");
    b["data"]["logs"] = json!("x");
    cases.push(b.to_string());
    let mut b = seed_batch("u1");
    b["data"]["logs"] = Value::Array(
        (0..10_001)
            .map(|_| json!({"level": "info", "msg": "", "event_at": 0}))
            .collect(),
    );
    cases.push(b.to_string());

    for body in cases {
        let (status, reply, detail) = t.send(token, &body).await;
        assert_eq!(
            (status, reply.as_str()),
            (400, SEED_400),
            "{}",
            &body[..body.len().min(120)]
        );
        assert!(
            detail.is_some_and(|d| !d.is_empty()),
            "a detail header explains the 400"
        );
    }
    assert_eq!(t.chunk_items().await, 0);
}

#[tokio::test]
async fn wrong_missing_or_foreign_tokens_are_forbidden() {
    let t = setup().await;
    let alice = t.create_user("alice").await;
    let bob = t.create_user("bob").await;
    let body = seed_batch("alice").to_string();
    let bobs = bob["x_user_token"].as_str().unwrap();
    for token in [
        "",
        "0123456789abcdef0123456789abcdef",
        bobs,
        alice["token"].as_str().unwrap(),
    ] {
        let (status, reply, _) = t.send(token, &body).await;
        assert_eq!((status, reply.as_str()), (403, SEED_403), "token {token:?}");
    }
    let (status, reply, _) = t.send(bobs, &seed_batch("carol").to_string()).await;
    assert_eq!((status, reply.as_str()), (403, SEED_403), "unknown user");
    let (status, reply, _) =
        raw(send_logs::handle(&t.ingest, request("/send_logs", &[], &body)).await);
    assert_eq!((status, reply.as_str()), (403, SEED_403), "no header");
    assert_eq!(t.chunk_items().await, 0);
    // Upper-case hex is the same md5.
    let (status, _, _) = t
        .send(
            &alice["x_user_token"].as_str().unwrap().to_uppercase(),
            &body,
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn oversize_bodies_are_refused_before_anything_else() {
    let t = setup().await;
    let user = t.create_user("big").await;
    let mut b = seed_batch("big");
    b["data"]["logs"][0]["msg"] = json!("x".repeat(1024 * 1024));
    let (status, reply, _) = t
        .send(user["x_user_token"].as_str().unwrap(), &b.to_string())
        .await;
    assert_eq!(
        (status, reply.as_str()),
        (413, r#"{"code":413,"message":"PayloadTooLarge"}"#)
    );
    assert_eq!(t.chunk_items().await, 0);
}

#[tokio::test]
async fn unicode_messages_round_trip() {
    let t = setup().await;
    let user = t.create_user("юзер").await;
    let msgs = [
        "Ошибка соединения",
        "接続エラー 🚨",
        "naïve café ✓",
        "tab\tand \"quotes\" and \\ and \u{0}",
    ];
    let logs: Vec<Value> = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| json!({"level": "info", "msg": m, "event_at": 1_600_000_000 + i, "p_description": "описание"}))
        .collect();
    let body = json!({"data": {"user": "юзер", "pid": 7, "p_name": "процесс", "post_time": "2020-09-13 12:26:40", "logs": logs}});
    let (status, _, _) = t
        .send(user["x_user_token"].as_str().unwrap(), &body.to_string())
        .await;
    assert_eq!(status, 200);
    let (_, page) = t
        .admin_query(&[("user", "юзер"), ("process", "процесс")])
        .await;
    assert_eq!(messages(&page), msgs);
    assert_eq!(page["logs"][0]["p_description"], "описание");
}

#[tokio::test]
async fn a_retried_batch_is_stored_once_and_big_batches_page_completely() {
    let t = setup().await;
    let user = t.create_user("bulk").await;
    let token = user["x_user_token"].as_str().unwrap();
    let logs: Vec<Value> = (0..10_000)
        .map(|i| json!({"level": if i % 10 == 0 { "error" } else { "info" }, "msg": format!("line {i:05}"), "event_at": 1_700_000_000_000_u64 + i * 10, "p_description": ""}))
        .collect();
    let body = json!({"data": {"user": "bulk", "pid": 42, "p_name": "etl", "post_time": "2023-11-14T22:13:20Z", "logs": logs}}).to_string();
    assert!(body.len() < 1024 * 1024, "{}", body.len());
    assert_eq!(t.send(token, &body).await.0, 200);
    let chunks = t.chunk_items().await;
    assert_eq!(t.send(token, &body).await.0, 200, "retry");
    assert_eq!(
        t.chunk_items().await,
        chunks,
        "the retry rewrote the same items"
    );
    assert!(chunks * 100 < 10_000, "{chunks} items for 10,000 lines");

    let mut all = Vec::new();
    let mut token_q: Option<String> = None;
    for _ in 0..20 {
        let mut q = vec![("user", "bulk"), ("limit", "1000")];
        if let Some(tk) = token_q.as_deref() {
            q.push(("next_token", tk));
        }
        let (status, page) = t.admin_query(&q).await;
        assert_eq!(status, 200, "{page}");
        all.extend(messages(&page));
        token_q = page["next_token"].as_str().map(str::to_owned);
        if token_q.is_none() {
            break;
        }
    }
    assert_eq!(all.len(), 10_000);
    let expected: Vec<String> = (0..10_000).map(|i| format!("line {i:05}")).collect();
    assert_eq!(all, expected, "every line once, in time order");

    let (_, errors) = t
        .admin_query(&[("user", "bulk"), ("level", "error"), ("limit", "1000")])
        .await;
    assert_eq!(errors["logs"].as_array().unwrap().len(), 1000);
    assert!(errors["logs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["level"] == "error"));
}

const LEVELS: [&str; 6] = ["debug", "info", "warning", "error", "critical", "info"];

#[tokio::test]
async fn queries_filter_by_process_level_and_time() {
    let t = setup().await;
    let user = t.create_user("q").await;
    let token = user["x_user_token"].as_str().unwrap();
    for (pid, name, hour) in [(1, "api", 10), (2, "worker", 11)] {
        let logs: Vec<Value> = (0..6)
            .map(|i| json!({"level": LEVELS[i], "msg": format!("{name}-{i}"), "event_at": format!("2024-03-01 {hour}:{:02}:00", i * 10), "p_description": ""}))
            .collect();
        let body = json!({"data": {"user": "q", "pid": pid, "p_name": name, "post_time": format!("2024-03-01 {hour}:59:00"), "logs": logs}});
        assert_eq!(t.send(token, &body.to_string()).await.0, 200);
    }
    let own = [("x-user-token", token)];
    let (status, page) = t.query(&[("user", "q"), ("process", "worker")], &own).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        messages(&page),
        ["worker-0", "worker-1", "worker-2", "worker-3", "worker-4", "worker-5"]
    );
    let (_, page) = t
        .query(
            &[("user", "q"), ("pid", "1"), ("level", "error,critical")],
            &own,
        )
        .await;
    assert_eq!(messages(&page), ["api-3", "api-4"]);
    let (_, page) = t
        .query(
            &[
                ("user", "q"),
                ("from", "2024-03-01 10:35:00"),
                ("to", "2024-03-01T11:10:00Z"),
            ],
            &own,
        )
        .await;
    assert_eq!(messages(&page), ["api-4", "api-5", "worker-0", "worker-1"]);
    let (_, page) = t.query(&[("user", "q"), ("level", "WARN")], &own).await;
    assert_eq!(messages(&page), ["api-2", "worker-2"]);
    let (_, page) = t.query(&[("user", "q"), ("limit", "5")], &own).await;
    assert_eq!(page["logs"].as_array().unwrap().len(), 5);
    let (_, rest) = t
        .query(
            &[
                ("user", "q"),
                ("limit", "100"),
                ("next_token", page["next_token"].as_str().unwrap()),
            ],
            &own,
        )
        .await;
    assert_eq!(rest["logs"].as_array().unwrap().len(), 7);
    assert!(rest.get("next_token").is_none());

    // Auth: another user's token is forbidden; none at all is unauthorised.
    let other = t.create_user("other").await;
    let (status, _) = t
        .query(
            &[("user", "q")],
            &[("x-user-token", other["x_user_token"].as_str().unwrap())],
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(t.query(&[("user", "q")], &[]).await.0, 401);
    assert_eq!(
        t.query(&[("user", "q")], &[("authorization", "Bearer wrong")])
            .await
            .0,
        401
    );
    // A token of another user's query cannot be replayed here.
    let (_, opage) = t.admin_query(&[("user", "other"), ("limit", "1")]).await;
    assert!(opage.get("next_token").is_none());
    let (status, reply) = t
        .admin_query(&[
            ("user", "other"),
            ("next_token", page["next_token"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(status, 400, "{reply}");

    for bad in [
        vec![],
        vec![("user", "q"), ("level", "loud")],
        vec![("user", "q"), ("from", "soon")],
        vec![("user", "q"), ("limit", "0")],
        vec![("user", "q"), ("limit", "1001")],
        vec![("user", "q"), ("pid", "-3")],
        vec![("user", "q"), ("from", "2024-03-02"), ("to", "2024-03-01")],
        vec![("user", "q"), ("next_token", "zz")],
        vec![("user", "q"), ("colour", "red")],
    ] {
        let (status, reply) = t.admin_query(&bad).await;
        assert_eq!(status, 400, "{bad:?} -> {reply}");
        assert_eq!(reply["error"], "validation");
    }
}

#[tokio::test]
async fn admin_creates_and_rotates_tokens() {
    let t = setup().await;
    let admin = format!("Bearer {ADMIN_TOKEN}");
    let call = |body: Value, auth: Option<&str>| {
        let headers: Vec<(&str, &str)> =
            auth.map(|a| vec![("authorization", a)]).unwrap_or_default();
        let req = request("/admin/log_users", &headers, &body.to_string());
        admin_issue_log_token::handle(&t.admin, req)
    };
    let first = t.create_user("rot").await;
    assert_eq!(first["rotated"], false);
    let (status, body) = read(call(json!({"user": "rot"}), Some(&admin)).await);
    assert_eq!(status, 409, "{body}");
    let (status, second) = read(call(json!({"user": "rot", "rotate": true}), Some(&admin)).await);
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["token"], first["token"]);
    let batch = seed_batch("rot").to_string();
    assert_eq!(
        t.send(first["x_user_token"].as_str().unwrap(), &batch)
            .await
            .0,
        403,
        "old token revoked"
    );
    assert_eq!(
        t.send(second["x_user_token"].as_str().unwrap(), &batch)
            .await
            .0,
        200
    );
    assert_eq!(
        read(call(json!({"user": "ghost", "rotate": true}), Some(&admin)).await).0,
        404
    );
    assert_eq!(read(call(json!({"user": "x"}), None).await).0, 401);
    assert_eq!(
        read(call(json!({"user": "x"}), Some("Bearer nope")).await).0,
        401
    );
    for bad in [
        json!({"user": ""}),
        json!({"user": "a#b"}),
        json!({}),
        json!({"user": "x", "admin": true}),
    ] {
        assert_eq!(read(call(bad.clone(), Some(&admin)).await).0, 400, "{bad}");
    }
}

#[tokio::test]
async fn the_caller_is_authenticated_before_the_body_or_query_is_read() {
    let t = setup().await;
    let alice = t.create_user("alice").await;
    let token = alice["x_user_token"].as_str().unwrap();
    let mut broken = seed_batch("alice");
    broken["data"]["logs"][0]["level"] = json!("loud");
    let broken = broken.to_string();
    // Without the user's token, a broken batch is refused as unauthorised: its mistakes are
    // not reported to whoever sent it.
    for wrong in ["", "0123456789abcdef0123456789abcdef"] {
        for body in [broken.as_str(), "not json", "{}"] {
            let (status, reply, _) = t.send(wrong, body).await;
            assert_eq!(
                (status, reply.as_str()),
                (403, SEED_403),
                "{wrong:?} {body}"
            );
        }
    }
    // With it, the same batch gets its 400 and detail.
    let (status, reply, detail) = t.send(token, &broken).await;
    assert_eq!((status, reply.as_str()), (400, SEED_400));
    assert!(detail.unwrap().contains("loud"));
    assert_eq!(t.chunk_items().await, 0);

    // GET /logs: no credentials, a wrong admin token or a wrong user token, with bad
    // parameters, gets 401/403, never the 400 that would describe the query.
    let bad = [("user", "alice"), ("limit", "0"), ("nope", "1")];
    let (status, body) = t.query(&bad, &[]).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = t.query(&bad, &[("authorization", "Bearer wrong")]).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = t
        .query(
            &bad,
            &[("x-user-token", "0123456789abcdef0123456789abcdef")],
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = t.query(&bad, &[("x-user-token", token)]).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = t.admin_query(&bad).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn a_user_over_its_daily_bytes_gets_429_and_others_are_still_accepted() {
    let mut t = setup().await;
    let alice = t.create_user("alice").await;
    let bob = t.create_user("bob").await;
    let alices = alice["x_user_token"].as_str().unwrap();
    let bobs = bob["x_user_token"].as_str().unwrap();
    let body = |user: &str, i: usize| {
        let mut b = seed_batch(user);
        b["data"]["logs"][0]["msg"] = json!(format!("batch {i}"));
        b.to_string()
    };
    // A batch counts its body or its items' write units, whichever is more: the seed batch
    // is two lines a day apart, two chunk items of under 1 KB each, so 2 KB (its body is less).
    let one = 2 * 1024_u64;
    assert!((body("alice", 0).len() as u64) < one);
    // Room for three of alice's batches today.
    t.ingest.quotas.log_bytes_per_day = 3 * one + one / 2;
    for i in 0..3 {
        let (status, reply, _) = t.send(alices, &body("alice", i)).await;
        assert_eq!((status, reply.as_str()), (200, SEED_OK), "batch {i}");
    }
    let stored = t.chunk_items().await;
    let resp = send_logs::handle(
        &t.ingest,
        request("/send_logs", &[("x-user-token", alices)], &body("alice", 3)),
    )
    .await
    .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=86_400).contains(&retry), "{retry}");
    assert_eq!(
        std::str::from_utf8(resp.body()).unwrap(),
        r#"{"code":429,"message":"TooManyRequests"}"#
    );
    assert!(resp.headers()["x-lookout-error"]
        .to_str()
        .unwrap()
        .contains("bytes for today"));
    assert_eq!(
        t.chunk_items().await,
        stored,
        "nothing of the refused batch is stored"
    );
    // Bob's bytes are his own.
    let (status, _, _) = t.send(bobs, &body("bob", 0)).await;
    assert_eq!(status, 200);

    // The count per day is what the first query page shows (the console's volume chart).
    let (status, page) = t
        .query(&[("user", "alice")], &[("x-user-token", alices)])
        .await;
    assert_eq!(status, 200, "{page}");
    let usage = page["usage"].as_array().unwrap();
    assert_eq!(usage.len(), 30);
    let today = &usage[29];
    assert_eq!(today["lines"], json!(6), "{today}");
    assert_eq!(today["bytes"], json!(3 * one), "{today}");
    assert!(usage[..29].iter().all(|d| d["lines"] == json!(0)));
    let (_, page) = t.admin_query(&[("user", "bob")]).await;
    assert_eq!(page["usage"][29]["lines"], json!(2));
    let (_, page) = t.admin_query(&[("user", "alice"), ("limit", "1")]).await;
    let (_, next) = t
        .admin_query(&[
            ("user", "alice"),
            ("limit", "1"),
            ("next_token", page["next_token"].as_str().unwrap()),
        ])
        .await;
    assert!(
        next.get("usage").is_none(),
        "only the first page carries it"
    );
}

/// The recent lines an incident carries are read from the newest chunks backwards, and the
/// read stops after `RECENT_MAX_PAGES` pages even when the process filter matches nothing,
/// instead of reading the user's whole partition.
#[tokio::test]
async fn recent_lines_read_a_bounded_number_of_pages() {
    let t = setup().await;
    let user = t.create_user("busy").await;
    let token = user["x_user_token"].as_str().unwrap();
    // 100 batches of process "api", an hour apart (each its own chunk).
    for i in 0..100 {
        let body = json!({"data": {"user": "busy", "pid": 1, "p_name": "api",
            "post_time": "2026-01-01T00:00:00Z", "logs": [
            {"level": "info", "msg": format!("line {i}"), "event_at": 1_767_225_600 + i * 3600}
        ]}});
        let (status, reply, _) = t.send(token, &body.to_string()).await;
        assert_eq!(status, 200, "{reply}");
    }
    assert_eq!(t.chunk_items().await, 100);
    // Query calls counted at a proxy in front of moto, not by the code under test.
    let proxy =
        lookout_tests::faults::FaultProxy::start(&lookout_dev::moto::endpoint().unwrap()).await;
    let sdk = t
        .app
        .sdk_for("report-incident")
        .await
        .into_builder()
        .endpoint_url(proxy.url())
        .build();
    let store = LogStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        t.app.stack.table("LogUsersTable").unwrap(),
        t.app.stack.table("LogsTable").unwrap(),
        30,
    );
    let queries = || {
        proxy
            .forwarded()
            .iter()
            .filter(|op| op.as_str() == "Query")
            .count()
    };
    let busy = logs::UserName::parse("busy").unwrap();
    let lines = store.recent(&busy, Some("worker"), 20).await.unwrap();
    assert!(lines.is_empty());
    assert_eq!(
        queries(),
        logs::RECENT_MAX_PAGES,
        "the read stops at the cap"
    );
    // Matching lines still come from the newest chunks, on the first pages.
    proxy.reset_log();
    let lines = store.recent(&busy, Some("api"), 5).await.unwrap();
    let pages = queries();
    let msgs: Vec<&str> = lines.iter().map(|l| l.msg.as_str()).collect();
    assert_eq!(
        msgs,
        ["line 95", "line 96", "line 97", "line 98", "line 99"]
    );
    assert_eq!(pages, 1);
}

/// 600 lines of 8 KB (4.8 MB as JSON) fit a page of 1000 by count: a page also stops at 4 MiB,
/// under Lambda's 6 MB response limit, and its `next_token` goes on at the next line.
#[tokio::test]
async fn a_page_of_big_lines_is_bounded_by_bytes() {
    let t = setup().await;
    let user = t.create_user("wide").await;
    let token = user["x_user_token"].as_str().unwrap();
    let fill = "w".repeat(8 * 1024);
    for batch in 0..6_u64 {
        let logs: Vec<Value> = (0..100_u64)
            .map(|i| {
                let n = batch * 100 + i;
                json!({"level": "info", "msg": format!("line {n:05} {fill}"), "event_at": 1_700_000_000_000_u64 + n * 10, "p_description": ""})
            })
            .collect();
        let body = json!({"data": {"user": "wide", "pid": 1, "p_name": "etl", "post_time": "2023-11-14T22:13:20Z", "logs": logs}}).to_string();
        assert_eq!(t.send(token, &body).await.0, 200);
    }
    let mut all = Vec::new();
    let mut pages = 0;
    let mut token_q: Option<String> = None;
    loop {
        let mut q = vec![("user", "wide"), ("limit", "1000")];
        if let Some(tk) = token_q.as_deref() {
            q.push(("next_token", tk));
        }
        let (status, page) = t.admin_query(&q).await;
        assert_eq!(status, 200, "{page}");
        let bytes = page.to_string().len();
        assert!(bytes <= 4 * 1024 * 1024 + 4096, "a page of {bytes} bytes");
        pages += 1;
        all.extend(messages(&page).into_iter().map(|m| m[..10].to_owned()));
        token_q = page["next_token"].as_str().map(str::to_owned);
        if token_q.is_none() {
            break;
        }
        assert!(pages < 10, "pages do not end");
    }
    assert!(pages >= 2, "4.8 MB came back in one page");
    let expected: Vec<String> = (0..600).map(|i| format!("line {i:05}")).collect();
    assert_eq!(all, expected, "every line once, in time order");
}

/// A query whose filter matches nothing reads a bounded number of DynamoDB pages per request
/// and answers with a next token, instead of reading the user's whole partition in one
/// request (#30: 50 such requests a second held ~1,450 Lambdas for 29 s each). The Query
/// calls are counted at a proxy in front of moto, not by the code under test. Small bounds
/// (2 pages of 4 chunks) show the rule on 40 chunks; production's are 8 pages of 64.
#[tokio::test]
async fn a_query_reads_a_bounded_number_of_pages_per_request() {
    let t = setup().await;
    let user = t.create_user("flood").await;
    let token = user["x_user_token"].as_str().unwrap();
    // 40 batches of process "api", an hour apart (each its own chunk).
    for i in 0..40 {
        let body = json!({"data": {"user": "flood", "pid": 1, "p_name": "api",
            "post_time": "2026-01-01T00:00:00Z", "logs": [
            {"level": "info", "msg": format!("line {i:02}"), "event_at": 1_767_225_600 + i * 3600}
        ]}});
        let (status, reply, _) = t.send(token, &body.to_string()).await;
        assert_eq!(status, 200, "{reply}");
    }
    assert_eq!(t.chunk_items().await, 40);
    let proxy =
        lookout_tests::faults::FaultProxy::start(&lookout_dev::moto::endpoint().unwrap()).await;
    let sdk = t
        .app
        .sdk_for("query-logs")
        .await
        .into_builder()
        .endpoint_url(proxy.url())
        .build();
    let deps = query_logs::Deps {
        store: LogStore::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            t.app.stack.table("LogUsersTable").unwrap(),
            t.app.stack.table("LogsTable").unwrap(),
            30,
        )
        .with_read_bounds(2, 4),
        ..t.query.clone()
    };
    let admin = format!("Bearer {ADMIN_TOKEN}");
    let read_all = |process: &'static str| {
        let (deps, proxy, admin) = (deps.clone(), proxy.clone(), admin.clone());
        async move {
            let mut lines = Vec::new();
            let mut queries_per_request = Vec::new();
            let mut next: Option<String> = None;
            loop {
                let mut q = vec![("user", "flood"), ("process", process), ("limit", "1000")];
                if let Some(tk) = next.as_deref() {
                    q.push(("next_token", tk));
                }
                proxy.reset_log();
                let (status, page) = read(
                    query_logs::handle(
                        &deps,
                        http_request("GET", "/logs", &q, &[("authorization", &admin)], ""),
                    )
                    .await,
                );
                assert_eq!(status, 200, "{page}");
                queries_per_request.push(
                    proxy
                        .forwarded()
                        .iter()
                        .filter(|op| op.as_str() == "Query")
                        .count(),
                );
                lines.extend(messages(&page));
                next = page["next_token"].as_str().map(str::to_owned);
                if next.is_none() {
                    break;
                }
                assert!(queries_per_request.len() < 50, "pages do not end");
            }
            (lines, queries_per_request)
        }
    };
    // Nothing matches: every request reads at most 2 pages, and the requests go on until the
    // partition is read (40 chunks, 4 per page: 10 pages, 2 per request).
    let (lines, per_request) = read_all("worker").await;
    assert!(lines.is_empty());
    assert!(
        per_request.iter().all(|&n| (1..=2).contains(&n)),
        "Query calls per request: {per_request:?}"
    );
    assert!(per_request.len() >= 5, "{per_request:?}");
    // Everything matches: every line once, in time order, over the same bounded requests.
    let (lines, per_request) = read_all("api").await;
    let expected: Vec<String> = (0..40).map(|i| format!("line {i:02}")).collect();
    assert_eq!(lines, expected);
    assert!(
        per_request.iter().all(|&n| (1..=2).contains(&n)),
        "Query calls per request: {per_request:?}"
    );
}
