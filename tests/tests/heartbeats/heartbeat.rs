//! POST /api/apps/ in-process: registration on first beat, updates, validation, auth, tenants.

use serde_json::json;

use crate::harness::{at, ms, n, s, spawn};

#[tokio::test]
async fn first_heartbeat_registers_the_app_with_the_seeds_defaults() {
    let hb = spawn().await;

    let (status, body) = hb
        .beat_at(0, &json!({"app_id": 23, "message": "OK:200"}))
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"status": "ok", "app_id": 23, "state": "up", "received_at": at(0), "due_by": at(120)})
    );
    let item = hb.item("acme", "23").await.expect("app stored");
    assert_eq!(s(&item, "tenant"), "acme");
    assert_eq!(s(&item, "appId"), "23");
    assert_eq!(s(&item, "state"), "up");
    assert_eq!(s(&item, "lastMessage"), "OK:200");
    assert_eq!(s(&item, "lastBeatAt"), at(0));
    assert_eq!(n(&item, "beats"), 1);
    assert_eq!(
        (n(&item, "periodSeconds"), n(&item, "graceSeconds")),
        (60, 60)
    );
    assert_eq!(
        n(&item, "dueAt"),
        ms(120),
        "due for the scanner at period + grace"
    );
    assert!(s(&item, "dueShard").starts_with("DUE#"));
    assert_eq!(hb.items().await.len(), 1);
    assert!(hb.mails().await.is_empty());
}

#[tokio::test]
async fn later_heartbeats_update_the_same_app_and_push_its_deadline() {
    let hb = spawn().await;
    hb.beat_at(0, &json!({"app_id": 23, "message": "OK:200"}))
        .await;

    // The same app as a string id, without a message (the seed's second form).
    let (status, body) = hb.beat_at(45, &json!({"app_id": "23"})).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["app_id"], json!(23));
    assert_eq!(body["due_by"], json!(at(165)));
    let items = hb.items().await;
    assert_eq!(items.len(), 1, "one app, not two");
    let item = &items[0];
    assert_eq!(n(item, "beats"), 2);
    assert_eq!(s(item, "lastBeatAt"), at(45));
    assert!(
        !item.contains_key("lastMessage"),
        "a beat without message clears it"
    );
    assert_eq!(n(item, "dueAt"), ms(165));

    // String ids that are not numbers are kept as strings.
    let (status, body) = hb
        .beat_at(50, &json!({"app_id": "billing-api.prod", "message": "OK"}))
        .await;
    assert_eq!((status, &body["app_id"]), (200, &json!("billing-api.prod")));
    assert!(hb.item("acme", "billing-api.prod").await.is_some());
}

#[tokio::test]
async fn bad_heartbeats_are_400_with_a_reason_and_write_nothing() {
    let hb = spawn().await;
    let long = "x".repeat(1025);
    let cases = [
        ("", "JSON object"),
        ("{not json", "invalid JSON"),
        ("[]", "invalid JSON"),
        (r#"{"message": "OK"}"#, "missing field `app_id`"),
        (r#"{"app_id": ""}"#, "app_id"),
        (r#"{"app_id": "a#b"}"#, "app_id"),
        (
            r#"{"app_id": null}"#,
            "app_id must be a number, a string or a boolean",
        ),
        (
            r#"{"app_id": [23]}"#,
            "app_id must be a number, a string or a boolean",
        ),
        (
            r#"{"app_id": 23, "message": [200]}"#,
            "message must be a string",
        ),
        (r#"{"app_id": 23, "message": "a\nb"}"#, "control characters"),
    ];
    for (body, reason) in cases {
        let (status, reply) = hb.beat_raw(&hb.app.api_key, body).await;
        assert_eq!(status, 400, "{body} -> {reply}");
        assert_eq!(reply["error"], "validation", "{body} -> {reply}");
        let message = reply["message"].as_str().unwrap();
        assert!(message.contains(reason), "{body} -> {message}");
    }
    let (status, reply) = hb
        .beat_with(&hb.app.api_key, &json!({"app_id": 23, "message": long}))
        .await;
    assert_eq!(status, 400, "{reply}");
    assert!(reply["message"].as_str().unwrap().contains("at most 1024"));
    let (status, reply) = hb
        .beat_with(
            &hb.app.api_key,
            &json!({"app_id": 23, "message": "y".repeat(9000)}),
        )
        .await;
    assert_eq!(
        (status, reply["error"].as_str()),
        (413, Some("payload_too_large"))
    );

    assert!(hb.items().await.is_empty(), "nothing written");
}

#[tokio::test]
async fn heartbeats_need_a_valid_api_key() {
    let hb = spawn().await;
    let body = json!({"app_id": 23}).to_string();
    for headers in [
        vec![],
        vec![("x-api-key", "lk_unknown")],
        vec![("authorization", "Bearer lk_unknown")],
        vec![("authorization", "Basic abc")],
    ] {
        let (status, reply) = lookout_tests::support::read(
            record_heartbeat::handle(
                &hb.heartbeat,
                lookout_tests::support::request("/api/apps/", &headers, &body),
            )
            .await,
        );
        assert_eq!(status, 401, "{headers:?} {reply}");
        assert_eq!(reply["error"], "unauthorized");
    }
    assert!(hb.items().await.is_empty(), "nothing written");
}

#[tokio::test]
async fn tenants_never_see_each_others_apps() {
    let hb = spawn().await;
    let other = hb.app.key_for("initech").await;
    hb.beat_at(0, &json!({"app_id": 23, "message": "acme's"}))
        .await;
    let (status, _) = hb
        .beat_with(&other, &json!({"app_id": 23, "message": "initech's"}))
        .await;
    assert_eq!(status, 200);

    assert_eq!(hb.items().await.len(), 2, "same id, two tenants, two apps");
    let (_, acme) = hb.list(&[("tenant", "acme")]).await;
    let (_, initech) = hb.list(&[("tenant", "initech")]).await;
    assert_eq!(acme["apps"].as_array().unwrap().len(), 1, "{acme}");
    assert_eq!(acme["apps"][0]["last_message"], "acme's");
    assert_eq!(initech["apps"].as_array().unwrap().len(), 1, "{initech}");
    assert_eq!(initech["apps"][0]["last_message"], "initech's");

    // acme's app going silent does not touch initech's, which keeps beating.
    hb.clock.set(crate::harness::ts(&at(100)));
    hb.beat_with(&other, &json!({"app_id": 23})).await;
    let report = hb.scan_at(130).await;
    assert_eq!(report.went_down, 1);
    assert_eq!(s(&hb.item("acme", "23").await.unwrap(), "state"), "down");
    assert_eq!(s(&hb.item("initech", "23").await.unwrap(), "state"), "up");
    let mails = hb.mails().await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].subject.contains("(acme)"), "{:?}", mails[0]);
}

/// As the API's `$default` route the function gets every unmatched request: only a POST to
/// `/api/apps` (with or without the trailing slash) is a heartbeat; another method on a route's
/// path is a JSON 405 with `Allow`, an unknown path a JSON 404; a non-canonical path is a 308
/// to its canonical form. None of them writes anything, and none needs a key first.
#[tokio::test]
async fn default_route_serves_only_heartbeats() {
    let hb = spawn().await;
    let key = hb.app.api_key.clone();
    let headers = [("x-api-key", key.as_str())];
    let body = json!({"app_id": 23}).to_string();
    for (method, path, want, allow) in [
        ("GET", "/api/apps", 405, Some("POST")),
        ("PUT", "/api/apps", 405, Some("POST")),
        ("TRACE", "/add_event", 405, Some("POST")),
        ("PATCH", "/admin/api_keys", 405, Some("DELETE, GET, POST")),
        ("GET", "/api/apps/start", 405, Some("POST")),
        ("TRACE", "/api/apps/", 405, Some("POST")),
        ("GET", "//send_logs", 405, Some("POST")),
        ("POST", "/console/app.js", 405, Some("GET")),
        ("POST", "/nope", 404, None),
        ("GET", "/api/apps/start/x", 404, None),
        // Sentry's ingestion routes take POST only; this stack (no incidents table) has none.
        ("GET", "/api/1234567890/envelope/", 405, Some("POST")),
        ("PUT", "/api/7/store", 405, Some("POST")),
        ("POST", "/api/1234567890/envelope/", 404, None),
    ] {
        let resp = serve_fallback::handle(
            &hb.fallback,
            lookout_tests::support::http_request(method, path, &[], &headers, &body),
        )
        .await
        .unwrap();
        let got_allow = resp
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_owned());
        let (status, reply) = lookout_tests::support::read(Ok(resp));
        let error = if want == 405 {
            "method_not_allowed"
        } else {
            "not_found"
        };
        assert_eq!(
            (status, reply["error"].as_str(), got_allow.as_deref()),
            (want, Some(error), allow),
            "{method} {path}"
        );
    }
    // A project id is a number (a DSN's always is): anything else is refused, not redirected.
    let resp = serve_fallback::handle(
        &hb.fallback,
        lookout_tests::support::http_request("POST", "/api/-1/envelope/", &[], &headers, &body),
    )
    .await
    .unwrap();
    let (status, reply) = lookout_tests::support::read(Ok(resp));
    assert_eq!(
        (status, reply["error"].as_str()),
        (400, Some("validation")),
        "{reply}"
    );
    let resp = serve_fallback::handle(
        &hb.fallback,
        lookout_tests::support::http_request("POST", "//send_logs", &[("a", "b")], &headers, &body),
    )
    .await
    .unwrap();
    assert_eq!(resp.status().as_u16(), 308);
    assert_eq!(resp.headers()["location"], "/send_logs?a=b");
    assert!(hb.items().await.is_empty(), "nothing written");
    for path in ["/api/apps", "/api/apps/"] {
        let (status, reply) = lookout_tests::support::read(
            serve_fallback::handle(
                &hb.fallback,
                lookout_tests::support::request(path, &headers, &body),
            )
            .await,
        );
        assert_eq!(status, 200, "{path} {reply}");
    }
}

#[tokio::test]
async fn the_seeds_lenient_bodies_are_accepted_as_it_did() {
    // Seed 002 took any scalar id and message and ignored unknown fields; so does Lookout.
    let hb = spawn().await;
    let cases = [
        (
            json!({"app_id": 23.0, "status": "OK", "host": "web-1"}),
            json!(23),
            None,
        ),
        (
            json!({"app_id": -4, "message": 200}),
            json!(-4),
            Some("200"),
        ),
        (
            json!({"app_id": 1.5, "message": true}),
            json!("1.5"),
            Some("true"),
        ),
        (
            json!({"app_id": true, "message": null}),
            json!("true"),
            None,
        ),
    ];
    for (i, (body, id, message)) in cases.into_iter().enumerate() {
        let (status, reply) = hb.beat_at(i as i64, &body).await;
        assert_eq!(status, 200, "{body} -> {reply}");
        assert_eq!(reply["app_id"], id, "{body} -> {reply}");
        let key = id.as_str().map_or_else(|| id.to_string(), str::to_owned);
        let item = hb.item("acme", &key).await.expect("app stored");
        assert_eq!(
            item.get("lastMessage")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str),
            message,
            "{body}"
        );
        assert!(!item.contains_key("status") && !item.contains_key("host"));
    }
    assert_eq!(
        hb.items().await.len(),
        4,
        "23, -4, 1.5 and true are four apps"
    );
}

/// A tenant over its app quota gets 429 with `Retry-After` for a new app id (by beat or by
/// signal) and nothing is stored, while its existing apps' beats and another tenant's new
/// apps are still accepted.
#[tokio::test]
async fn a_tenant_over_its_app_quota_gets_429_while_another_tenants_heartbeats_are_accepted() {
    let mut hb = spawn().await;
    hb.heartbeat.store = hb.heartbeat.store.clone().with_max_apps(3);
    hb.signal.store = hb.signal.store.clone().with_max_apps(3);
    for id in 1..=3 {
        let (status, body) = hb.beat_at(0, &json!({"app_id": id})).await;
        assert_eq!(status, 200, "{body}");
    }
    let full = || async {
        lookout_tests::support::read_with_retry_after(
            record_heartbeat::handle(
                &hb.heartbeat,
                lookout_tests::support::request(
                    "/api/apps/",
                    &[("x-api-key", &hb.app.api_key)],
                    r#"{"app_id": 4, "message": "OK"}"#,
                ),
            )
            .await,
        )
    };
    let (status, body, retry) = full().await;
    assert_eq!(
        (status, &body["error"]),
        (429, &json!("quota_exceeded")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("its 3 heartbeat apps"),
        "{body}"
    );
    assert_eq!(retry.as_deref(), Some("3600"));
    assert!(
        hb.item("acme", "4").await.is_none(),
        "the refused app is not stored"
    );
    let (status, body) = hb
        .signal_at(1, "start", &json!({"app_id": "new-job"}))
        .await;
    assert_eq!(status, 429, "{body}");
    assert!(hb.item("acme", "new-job").await.is_none());

    // Its existing apps keep beating, and another tenant registers apps of its own.
    let (status, body) = hb
        .beat_at(2, &json!({"app_id": 2, "message": "still here"}))
        .await;
    assert_eq!((status, &body["state"]), (200, &json!("up")), "{body}");
    let (status, body) = hb.signal_at(3, "success", &json!({"app_id": 3})).await;
    assert_eq!(status, 200, "{body}");
    let other = hb.app.key_for("globex").await;
    for id in 1..=3 {
        let (status, body) = hb.beat_with(&other, &json!({"app_id": id})).await;
        assert_eq!(status, 200, "{body}");
    }
    assert!(hb.item("globex", "3").await.is_some());
}
