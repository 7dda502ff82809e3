//! OpenTelemetry logs over OTLP/HTTP (`POST /v1/logs`) through cargo lambda watch: the real
//! exporters, unchanged and configured only by the standard variables (endpoint and one
//! header): Python's `opentelemetry-exporter-otlp-proto-http` with the SDK's `LoggingHandler`
//! (protobuf, plain and gzip), Node's `@opentelemetry/exporter-logs-otlp-http` (JSON); then what
//! a wrong token, a malformed protobuf, an oversized body and another media type get, storing
//! nothing.

use std::process::Stdio;

use lookout_tests::support::{live, Live};
use serde_json::{json, Value};

/// A new log user; its name and X-User-Token.
async fn log_user(l: &Live) -> (String, String) {
    let admin = format!("Bearer {}", l.admin_token);
    let user = format!("otel-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let (status, created) = l
        .post_raw(
            "/admin/log_users",
            &[("authorization", &admin)],
            &json!({"user": user}).to_string(),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    (user, created["x_user_token"].as_str().unwrap().to_owned())
}

/// Runs tests/sdk/otel_client.{py,mjs} with the OTel variables; its JSON line.
async fn exporter(program: &str, script: &str, scenario: &str, env: &[(&str, String)]) -> Value {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/sdk");
    let mut cmd = tokio::process::Command::new(program);
    cmd.current_dir(dir)
        .arg(script)
        .arg(scenario)
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .await
        .unwrap_or_else(|e| panic!("{program} {script}: {e} (run scripts/bootstrap.sh)"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script}: {stderr}\n{stdout}");
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|_| panic!("{script}: {stdout}\n{stderr}"))
}

/// The user's lines (newest first), as the admin reads them.
async fn lines(l: &Live, user: &str) -> Vec<Value> {
    let admin = format!("Bearer {}", l.admin_token);
    let (status, page) = l
        .get(
            "/logs",
            &[("user", user), ("from", "2020-01-01T00:00:00Z")],
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    page["logs"].as_array().unwrap().clone()
}

fn line<'a>(lines: &'a [Value], msg: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["msg"] == json!(msg))
        .unwrap_or_else(|| panic!("no line {msg:?} in {lines:?}"))
}

fn description(line: &Value) -> Value {
    serde_json::from_str(line["p_description"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn e2e_the_python_and_node_otel_exporters_ship_logs_with_the_token_alone() {
    let l = live().await;
    let (user, token) = log_user(&l).await;
    let endpoint = format!("{}/v1/logs", l.base);
    let env = |service: &str, extra: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        let mut v = vec![
            ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", endpoint.clone()),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                format!("x-user-token={token}"),
            ),
            ("OTEL_SERVICE_NAME", service.to_owned()),
        ];
        v.extend(extra.iter().map(|(k, x)| (*k, (*x).to_owned())));
        v
    };

    // Python, protobuf: an info line, a warning with an extra, an error in a span, an exception.
    let py = exporter("python3", "otel_client.py", "lines", &env("billing", &[])).await;
    assert_eq!(py["exports"], json!(["SUCCESS"]), "{py}");
    // Python again, gzip-encoded.
    let gz = exporter(
        "python3",
        "otel_client.py",
        "lines",
        &env("billing-gz", &[("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")]),
    )
    .await;
    assert_eq!(gz["exports"], json!(["SUCCESS"]), "{gz}");
    // Node, JSON.
    let node = exporter("node", "otel_client.mjs", "lines", &env("checkout", &[])).await;
    assert_eq!(node["results"], json!(["SUCCESS"]), "{node}");

    let got = lines(&l, &user).await;
    assert_eq!(got.len(), 4 + 4 + 2, "{got:?}");
    let by_service = |p: &str| got.iter().filter(|l| l["p_name"] == json!(p)).count();
    assert_eq!(
        (
            by_service("billing"),
            by_service("billing-gz"),
            by_service("checkout")
        ),
        (4, 4, 2)
    );
    let info = line(&got, "otel info line");
    assert_eq!(info["level"], json!("info"));
    let warn = line(&got, "stock low");
    assert_eq!(
        (&warn["level"], &description(warn)["order_id"]),
        (&json!("warning"), &json!(42))
    );
    let in_span = line(&got, "otel error in span");
    let sent_span = &py["sent"][2];
    let d = description(in_span);
    assert_eq!(in_span["level"], json!("error"));
    assert_eq!(
        (&d["trace_id"], &d["span_id"]),
        (&sent_span["trace_id"], &sent_span["span_id"]),
        "{d}"
    );
    let failure = line(&got, "otel failure");
    assert_eq!(description(failure)["exception.type"], json!("ValueError"));
    let node_error = line(&got, "otel node error");
    let d = description(node_error);
    assert_eq!(
        (&node_error["level"], &d["order.id"], &d["trace_id"]),
        (
            &json!("error"),
            &json!(7),
            &json!("5b8efff798038103d269b633813fc60c")
        ),
        "{d}"
    );
    assert_eq!(line(&got, "otel node info")["level"], json!("info"));
    // The record's own time, not the time it arrived.
    assert!(info["event_at"].as_str().unwrap() <= info["post_time"].as_str().unwrap());

    // A wrong token: both exporters report the failure; nothing stored.
    let mut wrong = env("billing", &[]);
    wrong[1].1 = format!("x-user-token={}", "f".repeat(32));
    let py = exporter("python3", "otel_client.py", "denied", &wrong).await;
    assert_eq!(py["exports"], json!(["FAILURE"]), "{py}");
    let node = exporter("node", "otel_client.mjs", "denied", &wrong).await;
    assert_eq!(node["results"], json!(["FAILED"]), "{node}");
    assert_eq!(lines(&l, &user).await.len(), got.len());
}

/// Raw OTLP requests: what each refusal answers; none stores a line.
#[tokio::test]
async fn e2e_otlp_refusals_store_nothing() {
    let l = live().await;
    let (user, token) = log_user(&l).await;
    let url = format!("{}/v1/logs", l.base);
    let post = |ct: &'static str, body: Vec<u8>, token: String| {
        let url = url.clone();
        async move {
            let resp = Live::http()
                .post(url)
                .header("content-type", ct)
                .header("x-user-token", token)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let ct = resp
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned());
            (status, ct, resp.bytes().await.unwrap().to_vec())
        }
    };
    let record = json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"severityNumber": 13, "body": {"stringValue": "refusals"}}]}]}]});

    // Accepted as JSON with the token: the reply is an empty ExportLogsServiceResponse.
    let (status, ct, body) = post(
        "application/json",
        record.to_string().into_bytes(),
        token.clone(),
    )
    .await;
    assert_eq!((status, ct.as_deref()), (200, Some("application/json")));
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), json!({}));
    assert_eq!(lines(&l, &user).await.len(), 1);

    let wrong = "0".repeat(32);
    for (ct, body, token, want) in [
        (
            "application/json",
            record.to_string().into_bytes(),
            wrong,
            401,
        ),
        (
            "application/json",
            record.to_string().into_bytes(),
            String::new(),
            401,
        ),
        (
            "application/x-protobuf",
            vec![0x0a, 0xff, 0xff, 0x01],
            token.clone(),
            400,
        ),
        (
            "application/json",
            b"{\"resourceLogs\": [".to_vec(),
            token.clone(),
            400,
        ),
        (
            "application/x-protobuf",
            vec![0_u8; 2 << 20],
            token.clone(),
            413,
        ),
        (
            "text/plain",
            record.to_string().into_bytes(),
            token.clone(),
            415,
        ),
    ] {
        let (status, got_ct, reply) = post(ct, body, token).await;
        assert_eq!(status, want, "{ct}: {}", String::from_utf8_lossy(&reply));
        if ct == "application/json" {
            let status_body: Value = serde_json::from_slice(&reply).unwrap();
            assert!(status_body["code"].as_i64().is_some(), "{status_body}");
            assert_eq!(got_ct.as_deref(), Some("application/json"));
        }
    }
    assert_eq!(lines(&l, &user).await.len(), 1, "no refusal stored a line");
}

/// In process against moto (the function's own role): a record over 64 KB is reported in
/// `partial_success` and the rest stored; past the user's daily bytes the export is a 429 with
/// `Retry-After` (which the exporters wait for) and a `google.rpc.Status`, storing nothing.
#[tokio::test]
async fn otlp_partial_success_and_the_daily_quota() {
    let t = crate::setup().await;
    let user = t.create_user("otel-quota").await;
    let token = user["x_user_token"].as_str().unwrap();
    let mut deps = record_otlp_logs::Deps {
        store: lookout_logs::LogStore::new(
            t.app.ddb_for("record-otlp-logs").await,
            t.app.stack.table("LogUsersTable").unwrap(),
            t.app.stack.table("LogsTable").unwrap(),
            30,
        ),
        quotas: lookout_core::quota::Quotas::default(),
        clock: lookout_core::time::system_clock(),
    };
    let export = |bodies: &[String]| {
        let records: Vec<Value> = bodies
            .iter()
            .map(|b| json!({"severityNumber": 9, "body": {"stringValue": b}}))
            .collect();
        json!({"resourceLogs": [{"resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "quota-svc"}}]},
            "scopeLogs": [{"logRecords": records}]}]})
        .to_string()
    };
    let call = |deps: &record_otlp_logs::Deps, body: String| {
        let req = lookout_tests::support::request("/v1/logs", &[("x-user-token", token)], &body);
        let deps = deps.clone();
        async move {
            let resp = record_otlp_logs::handle(&deps, req).await.unwrap();
            let retry = resp
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            let body: Value = serde_json::from_slice(resp.body()).unwrap();
            (resp.status().as_u16(), body, retry)
        }
    };

    let (status, body, _) = call(&deps, export(&["fits".into(), "x".repeat(70 * 1024)])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["partialSuccess"]["rejectedLogRecords"],
        json!("1"),
        "{body}"
    );
    assert_eq!(t.chunk_items().await, 1);

    // 30 records two hours apart: 30 chunk items, written in one transaction.
    let hourly: Vec<Value> = (0..30_u64)
        .map(|i| {
            let ns = (1_767_225_600 + i * 7200) * 1_000_000_000;
            json!({"timeUnixNano": ns.to_string(), "severityNumber": 9,
                   "body": {"stringValue": format!("hour {i}")}})
        })
        .collect();
    let body = json!({"resourceLogs": [{"scopeLogs": [{"logRecords": hourly}]}]}).to_string();
    let (status, body, _) = call(&deps, body).await;
    assert_eq!((status, &body), (200, &json!({})));
    assert_eq!(t.chunk_items().await, 31);

    deps.quotas.log_bytes_per_day = 2 * 1024;
    let (status, body, retry) = call(&deps, export(&["y".repeat(3 * 1024)])).await;
    assert_eq!((status, &body["code"]), (429, &json!(8)), "{body}");
    assert!(retry.unwrap().parse::<u64>().unwrap() > 0);
    assert_eq!(t.chunk_items().await, 31, "nothing stored past the quota");
}
