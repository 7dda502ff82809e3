//! Healthchecks' ping URLs end to end through `cargo lambda watch`: every ping form by check
//! UUID and by ping key and slug, sent by curl and wget exactly as Healthchecks' docs show them
//! for cron, and by a shell cron wrapper (`/start`, the job's output, `/$?`); what the app,
//! its runs and its outputs then hold; the refusals (a wrong key, an unknown check, a bad
//! `rid`, an exit status above 255) storing nothing; the per-check throttle.

use std::process::Command;

use serde_json::{json, Value};

use lookout_tests::support::{live, Live};

fn tenant() -> String {
    format!("hc{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

fn bearer(l: &Live) -> String {
    format!("Bearer {}", l.admin_token)
}

/// The app `app_id` of `tenant` as the admin listing shows it.
async fn app(l: &Live, tenant: &str, app_id: &str) -> Value {
    let (status, list) = l
        .get(
            "/admin/heartbeat_apps",
            &[("tenant", tenant)],
            &[("authorization", &bearer(l))],
        )
        .await;
    assert_eq!(status, 200, "{list}");
    list["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["app_id"] == json!(app_id))
        .cloned()
        .unwrap_or(Value::Null)
}

/// A ping by reqwest: status, body text and headers.
async fn ping(method: &str, url: &str, body: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let req = Live::http()
        .request(method.parse().unwrap(), url)
        .header("content-type", "text/plain")
        .body(body.to_owned());
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, resp.text().await.unwrap(), headers)
}

/// Runs a shell command line (curl, wget, the cron wrapper); its exit status and output.
async fn sh(line: &str) -> (i32, String) {
    let line = line.to_owned();
    tokio::task::spawn_blocking(move || {
        let out = Command::new("sh").arg("-c").arg(&line).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code().unwrap_or(-1), text)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn e2e_healthchecks_pings_by_uuid_from_curl_wget_and_a_cron_wrapper() {
    let l = live().await;
    let tenant = tenant();
    let (status, created) = l
        .post_raw(
            "/admin/heartbeat_apps",
            &[("authorization", &bearer(&l))],
            &json!({"tenant": tenant, "app_id": "nightly", "period_seconds": 3600, "grace_seconds": 600})
                .to_string(),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let url = created["ping_url"].as_str().unwrap().to_owned();
    let uuid = created["ping_id"].as_str().unwrap().to_owned();
    assert_eq!(url, format!("{}/ping/{uuid}", l.base));
    assert!(uuid::Uuid::parse_str(&uuid).is_ok(), "{uuid}");
    assert_eq!(app(&l, &tenant, "nightly").await["ping_url"], json!(url));

    // Healthchecks' cron line, unchanged but for the host.
    let (code, out) = sh(&format!("curl -fsS -m 10 --retry 5 -o /dev/null {url}")).await;
    assert_eq!(code, 0, "{out}");
    let after_curl = app(&l, &tenant, "nightly").await;
    assert_eq!(after_curl["heartbeats"], json!(1), "{after_curl}");
    // Healthchecks' answers: text/plain `OK`, CORS open, the body limit announced.
    let (status, body, headers) = ping("GET", &url, "").await;
    assert_eq!((status, body.as_str()), (200, "OK"));
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert_eq!(headers["ping-body-limit"], "100000");
    let (status, _, _) = ping("HEAD", &url, "").await;
    assert_eq!(status, 200);
    assert_eq!(app(&l, &tenant, "nightly").await["heartbeats"], json!(3));

    // A cron wrapper: /start, the job (which fails with 3), its output posted to /$?.
    let rid = uuid::Uuid::new_v4().to_string();
    let wrapper = format!(
        "URL={url}; RID={rid}\n\
         curl -fsS -m 10 --retry 5 -o /dev/null \"$URL/start?rid=$RID\"\n\
         out=$(sh -c 'echo \"backup: copied 3 files\"; echo \"disk full\" >&2; exit 3' 2>&1)\n\
         code=$?\n\
         curl -fsS -m 10 --retry 5 -o /dev/null --data-raw \"$out\" \"$URL/$code?rid=$RID\"\n"
    );
    let (code, out) = sh(&wrapper).await;
    assert_eq!(code, 0, "{out}");
    let failed = app(&l, &tenant, "nightly").await;
    assert_eq!(failed["state"], json!("down"), "{failed}");
    assert_eq!(failed["down_reason"], json!("run failed with exit code 3"));
    let run = &failed["runs"][0];
    assert_eq!(
        (&run["run_id"], &run["outcome"], &run["exit_code"]),
        (&json!(rid), &json!("fail"), &json!(3)),
        "{run}"
    );
    assert!(run["duration_ms"].as_i64().is_some(), "{run}");
    let output = &failed["outputs"][0];
    assert_eq!(
        (&output["kind"], &output["run_id"], &output["exit_code"]),
        (&json!("exit"), &json!(rid), &json!(3)),
        "{output}"
    );
    let (status, kept) = l
        .get(
            "/admin/heartbeat_apps/output",
            &[
                ("tenant", &tenant),
                ("app_id", "nightly"),
                ("output", output["id"].as_str().unwrap()),
            ],
            &[("authorization", &bearer(&l))],
        )
        .await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!(kept["body"], json!("backup: copied 3 files\ndisk full"));

    // wget, as Healthchecks' docs show it: a success brings the app back up.
    let (code, out) = sh(&format!("wget {url} -T 10 -t 5 -O /dev/null -q")).await;
    assert_eq!(code, 0, "{out}");
    let back = app(&l, &tenant, "nightly").await;
    assert_eq!(back["state"], json!("up"), "{back}");
    assert_eq!(back["runs"][0]["outcome"], json!("success"));

    // /log keeps its body and changes nothing; /fail fails; /start + /0 a run that succeeds.
    let (status, body, _) = ping("POST", &format!("{url}/log"), "rotated 2 files").await;
    assert_eq!((status, body.as_str()), (200, "OK"));
    let logged = app(&l, &tenant, "nightly").await;
    assert_eq!(
        (&logged["state"], &logged["heartbeats"], &logged["runs"]),
        (&back["state"], &back["heartbeats"], &back["runs"])
    );
    assert_eq!(logged["outputs"][0]["kind"], json!("log"));
    let (status, _, _) = ping("PUT", &format!("{url}/start"), "").await;
    assert_eq!(status, 200);
    let (status, _, _) = ping("GET", &format!("{url}/0"), "").await;
    assert_eq!(status, 200);
    let ok = app(&l, &tenant, "nightly").await;
    assert_eq!(
        (
            &ok["state"],
            &ok["runs"][0]["outcome"],
            &ok["runs"][0]["exit_code"]
        ),
        (&json!("up"), &json!("success"), &json!(0)),
        "{ok}"
    );
    assert!(ok["open_runs"].as_array().unwrap().is_empty(), "{ok}");
    let (status, _, _) = ping("POST", &format!("{url}/fail"), "").await;
    assert_eq!(status, 200);
    assert_eq!(app(&l, &tenant, "nightly").await["state"], json!("down"));

    // A body past 100,000 bytes is cut there.
    let big = "x".repeat(150_000);
    let (status, _, _) = ping("POST", &url, &big).await;
    assert_eq!(status, 200);
    let cut = app(&l, &tenant, "nightly").await;
    assert_eq!(
        (&cut["outputs"][0]["bytes"], &cut["outputs"][0]["truncated"]),
        (&json!(100_000), &json!(true)),
        "{cut}"
    );

    // Refusals, each storing nothing.
    let before = app(&l, &tenant, "nightly").await;
    for (path, want, text) in [
        (format!("{url}?rid=not-a-uuid"), 400, "invalid uuid format"),
        (format!("{url}/256"), 400, "invalid url format"),
        (format!("{url}/reboot"), 404, "not found"),
        (
            format!("{}/ping/{}", l.base, uuid::Uuid::new_v4()),
            404,
            "not found",
        ),
    ] {
        let (status, body, _) = ping("POST", &path, "output").await;
        assert_eq!((status, body.as_str()), (want, text), "{path}");
    }
    let (code, _) = sh(&format!("curl -fsS -m 10 --retry 5 -o /dev/null {url}/256")).await;
    assert_eq!(code, 22, "curl -f fails on the 400");
    assert_eq!(app(&l, &tenant, "nightly").await, before);
}

#[tokio::test]
async fn e2e_healthchecks_pings_by_ping_key_and_slug() {
    let l = live().await;
    let tenant = tenant();
    let (status, issued) = l
        .post_raw(
            "/admin/ping_keys",
            &[("authorization", &bearer(&l))],
            &json!({"tenant": tenant}).to_string(),
        )
        .await;
    assert_eq!(status, 201, "{issued}");
    let key = issued["pingKey"].as_str().unwrap().to_owned();
    assert_eq!(issued["scopes"], json!(["ping"]));
    assert_eq!(
        issued["pingUrl"],
        json!(format!("{}/ping/{key}/{{slug}}", l.base))
    );
    // Listed with the tenant's keys (never the secret).
    let (_, keys) = l
        .get(
            "/admin/api_keys",
            &[("tenant", &tenant)],
            &[("authorization", &bearer(&l))],
        )
        .await;
    let listed = keys["keys"].as_array().unwrap();
    assert!(
        listed
            .iter()
            .any(|k| k["keyId"] == issued["keyId"] && k["scopes"] == json!(["ping"])),
        "{keys}"
    );
    assert!(!keys.to_string().contains(&key));

    let slug_url = |slug: &str| format!("{}/ping/{key}/{slug}", l.base);
    // Unknown slug: 404 (curl -f fails), nothing registered.
    let (status, body, _) = ping("GET", &slug_url("db-backup"), "").await;
    assert_eq!((status, body.as_str()), (404, "not found"));
    assert_eq!(app(&l, &tenant, "db-backup").await, Value::Null);
    // ?create=1: registered with Healthchecks' defaults (201), then pinged (200).
    let (code, out) = sh(&format!(
        "curl -fsS -m 10 --retry 5 '{}?create=1'",
        slug_url("db-backup")
    ))
    .await;
    assert_eq!((code, out.as_str()), (0, "Created"));
    let (status, body, _) = ping("GET", &format!("{}?create=1", slug_url("db-backup")), "").await;
    assert_eq!((status, body.as_str()), (200, "OK"));
    let created = app(&l, &tenant, "db-backup").await;
    assert_eq!(
        (
            &created["period_seconds"],
            &created["grace_seconds"],
            &created["heartbeats"]
        ),
        (&json!(86_400), &json!(3_600), &json!(2)),
        "{created}"
    );
    // The signals by slug.
    for (path, state) in [("start", "up"), ("fail", "down"), ("0", "up")] {
        let (code, out) = sh(&format!(
            "curl -fsS -m 10 --retry 5 -o /dev/null {}/{path}",
            slug_url("db-backup")
        ))
        .await;
        assert_eq!(code, 0, "{out}");
        assert_eq!(
            app(&l, &tenant, "db-backup").await["state"],
            json!(state),
            "after /{path}"
        );
    }

    // A wrong ping key, a revoked one, and an API key that is not a ping key: nothing stored.
    let wrong = format!("lk_{}", "0".repeat(64));
    let (status, body, _) = ping(
        "GET",
        &format!("{}/ping/{wrong}/other?create=1", l.base),
        "",
    )
    .await;
    assert_eq!((status, body.as_str()), (404, "not found"));
    let api_key = l.issue_key(&tenant).await;
    let (status, _, _) = ping(
        "GET",
        &format!("{}/ping/{api_key}/other?create=1", l.base),
        "",
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(app(&l, &tenant, "other").await, Value::Null);

    // One runaway loop: past 30 pings in the minute, slug pings get 429, UUID pings 200, and
    // neither is recorded. (Started early in a minute, so the loop stays within it.)
    let second = chrono::Utc::now().timestamp() % 60;
    if second > 50 {
        tokio::time::sleep(std::time::Duration::from_secs((61 - second) as u64)).await;
    }
    let (status, _, _) = ping("GET", &format!("{}?create=1", slug_url("loop")), "").await;
    assert_eq!(status, 201);
    let mut statuses = vec![];
    for _ in 0..33 {
        statuses.push(ping("GET", &slug_url("loop"), "").await.0);
    }
    assert_eq!(statuses[..29], [200; 29], "{statuses:?}");
    assert_eq!(statuses[29..], [429; 4], "{statuses:?}");
    let looped = app(&l, &tenant, "loop").await;
    assert_eq!(looped["heartbeats"], json!(30), "{looped}");
    let uuid_url = looped["ping_url"].as_str().unwrap();
    let (status, body, _) = ping("GET", uuid_url, "").await;
    assert_eq!((status, body.as_str()), (200, "OK"));
    assert_eq!(app(&l, &tenant, "loop").await["heartbeats"], json!(30));

    // Revoked: the key pings nothing any more, once the bound of the warm cache has passed.
    let resp = Live::http()
        .delete(format!("{}/admin/api_keys", l.base))
        .header("authorization", bearer(&l))
        .header("content-type", "application/json")
        .body(json!({"tenant": tenant, "key_id": issued["keyId"]}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        200,
        "{}",
        resp.text().await.unwrap()
    );
    // Warm functions trust a key they verified for the stack's CredentialCacheSeconds.
    tokio::time::sleep(std::time::Duration::from_millis(
        lookout_tests::support::LIVE_CREDENTIAL_CACHE_SECONDS * 1000 + 500,
    ))
    .await;
    let (status, body, _) = ping("GET", &slug_url("db-backup"), "").await;
    assert_eq!((status, body.as_str()), (404, "not found"));
}
