//! Sentry's SDKs pointed at Lookout by DSN, through cargo lambda watch: the real Python
//! `sentry-sdk` (requirements-dev.txt) and `@sentry/node` (tests/sdk/package.json), unchanged,
//! default transports (gzip bodies, the trailing-slash routes), driven by tests/sdk/; and
//! recorded envelopes of each item type replayed byte for byte.

use std::process::Stdio;

use lookout_tests::support::{live, Live};
use serde_json::{json, Value};

/// An incident app registered for the test, with its DSN.
pub(crate) struct SentryApp {
    pub(crate) name: String,
    pub(crate) dsn: String,
    pub(crate) project: String,
    pub(crate) key: String,
}

pub(crate) fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// A new log user named like `prefix` (its token is not needed: the app's DSN sends its logs).
pub(crate) async fn log_user(l: &Live, prefix: &str) -> String {
    let admin = format!("Bearer {}", l.admin_token);
    let user = unique(prefix);
    let (status, created) = l
        .post_raw(
            "/admin/log_users",
            &[("authorization", &admin)],
            &json!({ "user": user }).to_string(),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    user
}

/// Registers an app with `extra` settings through `POST /admin/apps`; its DSN, which names the
/// API's host.
pub(crate) async fn register(l: &Live, extra: Value) -> SentryApp {
    let admin = format!("Bearer {}", l.admin_token);
    let name = unique("sentry");
    let mut body = json!({ "name": name });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (status, app) = l
        .post_raw(
            "/admin/apps",
            &[("authorization", &admin)],
            &body.to_string(),
        )
        .await;
    assert_eq!(status, 201, "{app}");
    let dsn = app["dsn"].as_str().unwrap().to_owned();
    let (_, rest) = dsn.split_once("://").unwrap();
    let (key, rest) = rest.split_once('@').unwrap();
    let project = rest.rsplit('/').next().unwrap().to_owned();
    assert_eq!(
        rest,
        format!("{}/{project}", l.base.trim_start_matches("http://")),
        "the DSN names the API's host"
    );
    SentryApp {
        name,
        key: key.to_owned(),
        project,
        dsn,
    }
}

/// Runs a driver of tests/sdk/ (`python3 sentry_client.py` or `node sentry_client.mjs`) with
/// the DSN and a scenario; its JSON line.
async fn drive(program: &str, script: &str, args: &[&str]) -> Value {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/sdk");
    let out = tokio::process::Command::new(program)
        .current_dir(dir)
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap_or_else(|e| panic!("{program} {script}: {e} (run scripts/bootstrap.sh)"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} {args:?}: {stderr}\n{stdout}"
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|_| panic!("{script}: {stdout}\n{stderr}"))
}

async fn python(app: &SentryApp, scenario: &str, more: &[&str]) -> Value {
    let mut args = vec![app.dsn.as_str(), scenario];
    args.extend_from_slice(more);
    drive("python3", "sentry_client.py", &args).await
}

async fn node(app: &SentryApp, scenario: &str) -> Value {
    drive("node", "sentry_client.mjs", &[&app.dsn, scenario]).await
}

/// The app's incidents, newest first, each with its detail (`GET /admin/incident`).
async fn incidents(l: &Live, app: &str) -> Vec<Value> {
    let admin = format!("Bearer {}", l.admin_token);
    let (status, page) = l
        .get(
            "/admin/incidents",
            &[("app", app)],
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let mut out = Vec::new();
    for i in page["incidents"].as_array().unwrap() {
        let id = i["id"].as_str().unwrap();
        let (status, detail) = l
            .get(
                "/admin/incident",
                &[("id", id)],
                &[("authorization", &admin)],
            )
            .await;
        assert_eq!(status, 200, "{detail}");
        out.push(detail);
    }
    out
}

fn by_title<'a>(incidents: &'a [Value], title: &str) -> &'a Value {
    incidents
        .iter()
        .find(|i| i["title"] == title)
        .unwrap_or_else(|| panic!("no incident {title:?} in {incidents:#?}"))
}

/// Checks the incidents the `errors` scenario of either SDK makes.
fn assert_errors(incidents: &[Value], sdk: &str, exception: &str, raised_in: &str) {
    let exc = by_title(
        incidents,
        &format!("{exception}: card 4242 declined (amount 42)"),
    );
    assert_eq!(exc["level"], "error");
    let s = &exc["sentry"];
    assert_eq!(
        (&s["release"], &s["environment"]),
        (&json!("billing@1.4.2"), &json!("staging")),
        "{sdk}: {s}"
    );
    assert_eq!(s["tags"]["checkout.step"], "payment", "{sdk}: {s}");
    assert_eq!(s["user"]["id"], "u-17", "{sdk}: {s}");
    let frames = s["exceptions"][0]["frames"].as_array().unwrap();
    let innermost = frames.last().unwrap();
    assert_eq!(
        (
            innermost["function"].as_str(),
            innermost["in_app"].as_bool()
        ),
        (Some(raised_in), Some(true)),
        "{sdk}: {frames:#?}"
    );
    assert!(
        frames.iter().all(|f| f.get("vars").is_none()),
        "local variables are never kept"
    );
    let crumbs = s["breadcrumbs"].to_string();
    assert!(crumbs.contains("3 items"), "{sdk}: {crumbs}");
    let msg = by_title(incidents, "disk almost full on /var");
    assert_eq!(msg["level"], "warning");
}

#[tokio::test]
async fn e2e_python_sdk_errors_messages_and_logging_become_incidents() {
    let l = live().await;
    let app = register(&l, json!({})).await;

    let did = python(&app, "errors", &[]).await;

    let got = incidents(&l, &app.name).await;
    assert_eq!(got.len(), 3, "{did}\n{got:#?}");
    assert_errors(&got, "python", "ValueError", "charge");
    let logged = by_title(&got, "payment failed for u-17");
    assert_eq!(logged["level"], "error");
    let crumbs = logged["sentry"]["breadcrumbs"].to_string();
    assert!(
        crumbs.contains("retrying payment for u-17"),
        "the logging integration's breadcrumb: {crumbs}"
    );
    let ids: Vec<&str> = got
        .iter()
        .filter_map(|i| i["sentry"]["event_id"].as_str())
        .collect();
    for id in ["exception", "message", "logging"] {
        assert!(ids.contains(&did[id].as_str().unwrap()), "{id}: {ids:?}");
    }
    // Each new incident was announced.
    let mails = lookout_tests::support::sent_mail(&l.moto).await;
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.subject.contains(&app.name))
            .count(),
        3
    );
}

#[tokio::test]
async fn e2e_python_sdk_cron_check_ins_are_runs_of_the_tenants_job() {
    let l = live().await;
    let tenant = unique("crons");
    let app = register(&l, json!({ "heartbeat_tenant": tenant })).await;

    python(&app, "cron", &[]).await;

    let admin = format!("Bearer {}", l.admin_token);
    let (status, list) = l
        .get(
            "/admin/heartbeat_apps",
            &[("tenant", &tenant)],
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(status, 200, "{list}");
    let apps = list["apps"].as_array().unwrap();
    assert_eq!(apps.len(), 1, "{list}");
    let job = &apps[0];
    assert_eq!(job["app_id"], "nightly-backup");
    assert_eq!(
        (&job["schedule"], &job["tz"]),
        (&json!("0 3 * * *"), &json!("Europe/Vienna")),
        "{job}"
    );
    assert_eq!(
        (&job["grace_seconds"], &job["max_runtime_seconds"]),
        (&json!(300), &json!(1800)),
        "{job}"
    );
    let runs = job["runs"].as_array().unwrap();
    let outcomes: Vec<&str> = runs
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes.len(), 2, "{runs:#?}");
    assert!(
        outcomes.contains(&"success") && outcomes.contains(&"fail"),
        "{outcomes:?}"
    );
    assert_eq!(
        job["state"], "up",
        "one failure of the 2 in a row it tolerates"
    );
}

#[tokio::test]
async fn e2e_python_sdk_logs_are_the_log_users_lines() {
    let l = live().await;
    let admin = format!("Bearer {}", l.admin_token);
    let user = log_user(&l, "sentrylogs").await;
    let app = register(
        &l,
        json!({ "log_user": user, "log_process": "billing-api" }),
    )
    .await;

    python(&app, "logs", &[]).await;

    let (status, page) = l
        .get("/logs", &[("user", &user)], &[("authorization", &admin)])
        .await;
    assert_eq!(status, 200, "{page}");
    let lines = page["logs"].as_array().unwrap();
    let mut got: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["level"].as_str().unwrap().to_owned(),
                l["msg"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("error".into(), "payment provider timed out".into()),
            ("info".into(), "order A-100 shipped".into()),
            ("warning".into(), "stock low for X-9".into()),
        ]
    );
    let stock = lines
        .iter()
        .find(|l| l["msg"] == "stock low for X-9")
        .unwrap();
    assert_eq!(stock["p_name"], "billing-api");
    assert!(
        stock["p_description"]
            .as_str()
            .unwrap()
            .contains("\"warehouse\":\"VIE\""),
        "attributes kept: {stock}"
    );
}

#[tokio::test]
async fn e2e_python_sdk_stops_sending_on_the_quota_and_a_wrong_key_stores_nothing() {
    let l = live().await;
    let app = register(&l, json!({ "events_per_day": 2 })).await;

    // Five exceptions, one at a time: two accepted, the third answered 429 with
    // X-Sentry-Rate-Limits, and the SDK sends none of the last two.
    let did = python(&app, "burst", &["5"]).await;

    let got = incidents(&l, &app.name).await;
    assert_eq!(got.len(), 1, "one exception type and frame: one incident");
    assert_eq!(got[0]["count"], 2, "{did}");
    let day = &chrono_day();
    let count = events_item(&l, &app.name, day).await;
    assert_eq!(
        count,
        (2, 1),
        "accepted, refused: the SDK backed off after its first 429 ({did})"
    );

    let mut wrong = register(&l, json!({})).await;
    wrong.dsn = wrong.dsn.replace(&wrong.key, &"0".repeat(32));
    python(&wrong, "errors", &[]).await;
    assert!(incidents(&l, &wrong.name).await.is_empty());
}

fn chrono_day() -> String {
    lookout_core::time::Timestamp::now().to_rfc3339()[..10].to_owned()
}

/// The app's event counts of `day` (accepted, refused), as stored.
async fn events_item(l: &Live, app: &str, day: &str) -> (u64, u64) {
    use aws_sdk_dynamodb::types::AttributeValue;
    let out = l
        .ddb()
        .await
        .get_item()
        .table_name(l.stack.table("IncidentsTable").unwrap())
        .key("pk", AttributeValue::S(format!("EVENTS#{app}")))
        .key("sk", AttributeValue::S(day.to_owned()))
        .send()
        .await
        .unwrap();
    let item = out.item.unwrap_or_default();
    let n = |k: &str| {
        item.get(k)
            .and_then(|v| v.as_n().ok())
            .map_or(0, |n| n.parse().unwrap())
    };
    (n("accepted"), n("refused"))
}

#[tokio::test]
async fn e2e_node_sdk_errors_check_ins_and_logs_arrive() {
    let l = live().await;
    let admin = format!("Bearer {}", l.admin_token);
    let tenant = unique("nodecrons");
    let user = log_user(&l, "nodelogs").await;
    let app = register(&l, json!({ "heartbeat_tenant": tenant, "log_user": user })).await;

    for scenario in ["errors", "cron", "logs"] {
        node(&app, scenario).await;
    }

    let got = incidents(&l, &app.name).await;
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_errors(&got, "node", "TypeError", "charge");
    let (_, list) = l
        .get(
            "/admin/heartbeat_apps",
            &[("tenant", &tenant)],
            &[("authorization", &admin)],
        )
        .await;
    let job = &list["apps"][0];
    assert_eq!(
        (&job["app_id"], &job["schedule"], &job["tz"]),
        (
            &json!("nightly-backup"),
            &json!("0 3 * * *"),
            &json!("Europe/Vienna")
        ),
        "{list}"
    );
    assert_eq!(job["runs"].as_array().map(Vec::len), Some(2), "{job}");
    let (_, page) = l
        .get("/logs", &[("user", &user)], &[("authorization", &admin)])
        .await;
    let msgs: Vec<&str> = page["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["msg"].as_str().unwrap())
        .collect();
    assert!(msgs.contains(&"order A-100 shipped"), "{msgs:?}");
    assert_eq!(msgs.len(), 3, "{msgs:?}");
}
