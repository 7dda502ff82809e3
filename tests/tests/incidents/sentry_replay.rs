//! Recorded Sentry requests (tests/sdk/recorded/: one per item type, as the real Python and
//! Node SDKs sent them) replayed byte for byte through cargo lambda watch with a test app's
//! key; and what must store nothing: a zip bomb, a malformed envelope, a missing or wrong key.

use std::io::Write;

use lookout_tests::support::{live, Live};
use serde_json::{json, Value};

use crate::sentry_sdk::{log_user, register, unique};

const RECORDED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sdk/recorded");

/// An app linked to a heartbeat tenant and a log user of its own; (name, project, key,
/// tenant, log user).
async fn linked_app(l: &Live) -> (String, String, String, String, String) {
    let (tenant, user) = (unique("rt"), log_user(l, "rl").await);
    let app = register(l, json!({"heartbeat_tenant": tenant, "log_user": user})).await;
    (app.name, app.project, app.key, tenant, user)
}

/// POSTs `body` to `path` with `headers`; status and the reply's headers and body.
async fn post(
    l: &Live,
    path: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut req = Live::http().post(format!("{}{path}", l.base)).body(body);
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.text().await.unwrap())
}

/// What the app's domains hold: (incidents, heartbeat jobs' runs, log lines).
async fn stored(
    l: &Live,
    app: &str,
    tenant: &str,
    user: &str,
) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let admin = format!("Bearer {}", l.admin_token);
    let auth = [("authorization", admin.as_str())];
    let (_, incidents) = l.get("/admin/incidents", &[("app", app)], &auth).await;
    let (_, jobs) = l
        .get("/admin/heartbeat_apps", &[("tenant", tenant)], &auth)
        .await;
    let (_, logs) = l.get("/logs", &[("user", user)], &auth).await;
    let list = |v: &Value, k: &str| v[k].as_array().cloned().unwrap_or_default();
    (
        list(&incidents, "incidents"),
        list(&jobs, "apps"),
        list(&logs, "logs"),
    )
}

#[tokio::test]
async fn e2e_recorded_envelopes_of_each_item_type_replay_byte_for_byte() {
    let l = live().await;
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{RECORDED}/index.json")).unwrap())
            .unwrap();
    let recorded_key = index["recorded_key"].as_str().unwrap();
    let (app, project, key, tenant, user) = linked_app(&l).await;
    let mut seen = Vec::new();

    for r in index["requests"].as_array().unwrap() {
        let name = r["name"].as_str().unwrap();
        let body = std::fs::read(format!("{RECORDED}/{}", r["file"].as_str().unwrap())).unwrap();
        let mut headers: Vec<(String, String)> = r["headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().replace(recorded_key, &key)))
            .collect();
        headers.retain(|(k, _)| k != "content-length");
        let path = match r["query"].as_str() {
            Some(q) => format!("/api/{project}/envelope/?{}", q.replace(recorded_key, &key)),
            None => format!("/api/{project}/envelope/"),
        };
        let (status, _, reply) = post(&l, &path, &headers, body).await;
        assert_eq!(status, 200, "{name}: {reply}");
        let reply: Value = serde_json::from_str(&reply).unwrap();
        assert!(
            reply["id"].as_str().is_some_and(|id| id.len() == 32),
            "{name}: {reply}"
        );
        seen.push(r["item_type"].as_str().unwrap().to_owned());
    }

    seen.sort();
    seen.dedup();
    assert_eq!(
        seen,
        [
            "check_in",
            "client_report",
            "event",
            "log",
            "session",
            "transaction"
        ]
    );
    let (incidents, jobs, logs) = stored(&l, &app, &tenant, &user).await;
    let mut titles: Vec<&str> = incidents
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    titles.sort_unstable();
    assert_eq!(
        titles,
        [
            "TypeError: card 4242 declined (amount 42)",
            "ValueError: card 4242 declined (amount 42)"
        ],
        "the two events; sessions, transactions and client reports are dropped"
    );
    assert_eq!(jobs.len(), 1, "{jobs:#?}");
    let job = &jobs[0];
    assert_eq!(job["app_id"], "nightly-backup");
    // Python's run started and finished; Node's recorded start is still open.
    assert_eq!(job["runs"].as_array().map(Vec::len), Some(1), "{job}");
    assert_eq!(job["runs"][0]["outcome"], "success");
    assert_eq!(job["open_runs"].as_array().map(Vec::len), Some(1), "{job}");
    assert_eq!(logs.len(), 6, "three lines from each SDK: {logs:#?}");
}

#[tokio::test]
async fn e2e_the_store_endpoint_takes_a_bare_event() {
    let l = live().await;
    let (app, project, key, tenant, user) = linked_app(&l).await;
    let event = json!({
        "event_id": uuid::Uuid::new_v4().simple().to_string(),
        "level": "fatal",
        "platform": "python",
        "logentry": {"message": "worker %s died", "formatted": "worker 7 died"},
        "release": "billing@1.4.2"
    });
    let auth =
        format!("Sentry sentry_version=7, sentry_key={key}, sentry_client=raven-python/6.10.0");
    let headers = [
        ("x-sentry-auth".to_owned(), auth),
        ("content-type".to_owned(), "application/json".to_owned()),
    ];

    let (status, _, reply) = post(
        &l,
        &format!("/api/{project}/store/"),
        &headers,
        event.to_string().into_bytes(),
    )
    .await;

    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        serde_json::from_str::<Value>(&reply).unwrap()["id"],
        event["event_id"]
    );
    let (incidents, _, _) = stored(&l, &app, &tenant, &user).await;
    assert_eq!(incidents.len(), 1);
    assert_eq!(
        (&incidents[0]["title"], &incidents[0]["level"]),
        (&json!("worker 7 died"), &json!("crit"))
    );
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[tokio::test]
async fn e2e_a_zip_bomb_a_malformed_envelope_and_a_bad_key_store_nothing() {
    let l = live().await;
    let (app, project, key, tenant, user) = linked_app(&l).await;
    let path = format!("/api/{project}/envelope/");
    let auth = |k: &str| {
        (
            "x-sentry-auth".to_owned(),
            format!("Sentry sentry_version=7, sentry_key={k}"),
        )
    };
    let event = r#"{"message":"should never be stored","level":"error"}"#;
    let good = format!(
        "{{}}\n{{\"type\":\"event\",\"length\":{}}}\n{event}\n",
        event.len()
    );

    // 50 MB of zeros, gzipped to about 50 KB: refused once the decoded bound is passed.
    let bomb = gzip(&vec![b'\n'; 50 << 20]);
    assert!(bomb.len() < 200 << 10, "{}", bomb.len());
    let gz = ("content-encoding".to_owned(), "gzip".to_owned());
    let ct = (
        "content-type".to_owned(),
        "application/x-sentry-envelope".to_owned(),
    );
    let (status, _, reply) = post(&l, &path, &[auth(&key), gz.clone(), ct.clone()], bomb).await;
    assert_eq!(status, 413, "{reply}");

    // A valid event followed by an item whose length runs past the end: nothing of it stored.
    let broken = format!("{good}{{\"type\":\"event\",\"length\":999}}\n{{}}\n");
    let (status, _, reply) = post(&l, &path, &[auth(&key)], broken.into_bytes()).await;
    assert_eq!(status, 400, "{reply}");
    let (status, _, _) = post(&l, &path, &[auth(&key)], b"not json\n".to_vec()).await;
    assert_eq!(status, 400);
    let (status, _, _) = post(&l, &path, &[auth(&key), gz, ct], b"not gzip".to_vec()).await;
    assert_eq!(status, 400);

    // No key, a wrong key, an unknown project.
    let (status, _, _) = post(&l, &path, &[], good.clone().into_bytes()).await;
    assert_eq!(status, 401);
    let (status, _, _) = post(
        &l,
        &path,
        &[auth(&"f".repeat(32))],
        good.clone().into_bytes(),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _, _) = post(
        &l,
        "/api/1/envelope/",
        &[auth(&key)],
        good.clone().into_bytes(),
    )
    .await;
    assert_eq!(status, 403);

    assert_eq!(
        stored(&l, &app, &tenant, &user).await.0.len(),
        0,
        "nothing stored"
    );
    // The same envelope with the key is taken: the refusals above were for what they said.
    let (status, _, reply) = post(&l, &path, &[auth(&key)], good.into_bytes()).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(stored(&l, &app, &tenant, &user).await.0.len(), 1);
}

#[tokio::test]
async fn e2e_logs_spread_over_a_day_are_written_in_one_transaction() {
    let l = live().await;
    let (app, project, key, tenant, user) = linked_app(&l).await;
    // 30 lines two hours apart: 30 chunk items, more than one BatchWriteItem holds, so the log
    // store writes them in one TransactWriteItems (all or nothing).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let items: Vec<Value> = (0..30)
        .map(|i| {
            json!({"timestamp": now - f64::from(30 - i) * 7200.0, "level": "info",
                   "body": format!("nightly step {i}"), "attributes": {}})
        })
        .collect();
    let payload = json!({ "items": items }).to_string();
    let envelope = format!(
        "{{}}\n{{\"type\":\"log\",\"item_count\":30,\"content_type\":\"application/vnd.sentry.items.log+json\",\"length\":{}}}\n{payload}\n",
        payload.len()
    );
    let headers = [
        (
            "x-sentry-auth".to_owned(),
            format!("Sentry sentry_key={key}, sentry_version=7"),
        ),
        (
            "content-type".to_owned(),
            "application/x-sentry-envelope".to_owned(),
        ),
    ];

    let (status, _, reply) = post(
        &l,
        &format!("/api/{project}/envelope/"),
        &headers,
        envelope.into_bytes(),
    )
    .await;

    assert_eq!(status, 200, "{reply}");
    let (incidents, _, logs) = stored(&l, &app, &tenant, &user).await;
    assert!(incidents.is_empty());
    assert_eq!(logs.len(), 30, "{logs:#?}");
}
