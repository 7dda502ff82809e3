//! Seed 001's real client (`dispatcher_maker`, NightCodeTeam/NCT-Dispatcher) replayed through
//! `cargo lambda watch` (docs/seed-clients.md): it POSTs `json.dumps` of
//! `{"incident": {"title", "message", "logs", "level"}, "app_name", "code"}` to the URL it is
//! given, unchanged (the seed server's route is `/v1/incidents/new`), and returns
//! `res.json()['ok'] == True`: a reply without `ok` raises, and so does a non-JSON one.

use serde_json::{json, Value};

use lookout_tests::support::{live, python_json_str, Live};

/// What python-requests sends for `requests.post(url, json=body)`.
async fn requests_post(l: &Live, path: &str, body: &str) -> (u16, String, Value) {
    let resp = Live::http()
        .post(format!("{}{path}", l.base))
        .header("user-agent", "python-requests/2.34.2")
        .header("accept-encoding", "gzip, deflate")
        .header("accept", "*/*")
        .header("connection", "keep-alive")
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, content_type, body)
}

/// `json.dumps` of the client's body, byte for byte (`", "`, `": "`, `\uXXXX`).
fn client_body(title: &str, level: &str, logs: &str, app: &str, code: &str) -> String {
    format!(
        r#"{{"incident": {{"title": {}, "message": "Msg", "logs": {}, "level": "{level}"}}, "app_name": "{app}", "code": "{code}"}}"#,
        python_json_str(title),
        python_json_str(logs)
    )
}

#[tokio::test]
async fn e2e_the_dispatcher_maker_client_works_unchanged() {
    let l = live().await;
    let admin = format!("Bearer {}", l.admin_token);
    let app = format!("MyApp{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let (status, created) = l
        .post_raw(
            "/admin/apps",
            &[("authorization", &admin)],
            &json!({ "name": app }).to_string(),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let code = created["code"].as_str().unwrap().to_owned();

    // The seed route and Lookout's own: both answer what the client reads.
    for (path, title) in [("/v1/incidents/new", "Title é"), ("/incidents", "Other ✓")] {
        let (status, content_type, reply) =
            requests_post(&l, path, &client_body(title, "error", "x\ny", &app, &code)).await;
        assert!(status == 200 || status == 201, "{path}: {status} {reply}");
        assert_eq!(reply["ok"], json!(true), "{path}: {reply}");
        assert!(
            content_type.starts_with("application/json"),
            "aiohttp needs it"
        );
    }
    // The seed server answered 200 for a repeat too (grouped here).
    let (status, _, reply) = requests_post(
        &l,
        "/v1/incidents/new",
        &client_body("Title é", "error", "x\ny", &app, &code),
    )
    .await;
    assert_eq!(
        (status, reply["ok"].clone(), reply["grouped"].clone()),
        (200, json!(true), json!(true))
    );

    // Its five levels.
    for level in ["debug", "info", "warning", "error", "crit"] {
        let (status, _, reply) = requests_post(
            &l,
            "/v1/incidents/new",
            &client_body(&format!("level {level}"), level, "", &app, &code),
        )
        .await;
        assert_eq!(
            (status, reply["ok"].clone()),
            (200, json!(true)),
            "{level}: {reply}"
        );
    }

    // The seed server's refusals: unknown app or wrong code 400 with its detail, invalid input
    // 422 with a detail list (the client raises on both, as it did against the seed).
    let (status, _, reply) = requests_post(
        &l,
        "/v1/incidents/new",
        &client_body("t", "error", "", &app, "wrong-code-000000000"),
    )
    .await;
    assert_eq!(
        (status, reply),
        (400, json!({"detail": "Required app fields are incorrect"}))
    );
    let (status, _, reply) = requests_post(
        &l,
        "/v1/incidents/new",
        &client_body("t", "fatal", "", &app, &code),
    )
    .await;
    assert_eq!(status, 422, "{reply}");
    assert!(
        reply["detail"][0]["msg"]
            .as_str()
            .unwrap()
            .contains("fatal"),
        "{reply}"
    );

    // `max_logs_to_send` lines, however many: the incident is kept with the newest lines,
    // and the reply and the record say the logs were cut.
    let logs: Vec<String> = (0..2000)
        .map(|i| format!("trace line {i:04} {}", "z".repeat(100)))
        .collect();
    let (status, _, reply) = requests_post(
        &l,
        "/v1/incidents/new",
        &client_body("huge logs", "crit", &logs.join("\n"), &app, &code),
    )
    .await;
    assert_eq!(
        (status, reply["ok"].clone(), reply["logs_truncated"].clone()),
        (200, json!(true), json!(true)),
        "{reply}"
    );
    let (status, detail) = l
        .get(
            "/admin/incident",
            &[("id", reply["id"].as_str().unwrap())],
            &[("authorization", admin.as_str())],
        )
        .await;
    assert_eq!(status, 200, "{detail}");
    let kept = detail["logs"].as_array().unwrap();
    assert!(!kept.is_empty() && kept.len() <= 500, "{}", kept.len());
    assert!(kept
        .last()
        .unwrap()
        .as_str()
        .unwrap()
        .starts_with("trace line 1999"));
    assert_eq!(
        detail["logs_dropped"],
        json!(2000 - kept.len()),
        "{}",
        detail["logs_dropped"]
    );
}
