//! Issue #8 hardening: authentication across tenants, users and apps. Every route refuses
//! missing, garbage and wrong-kind credentials; one tenant (user, app) can never read, list,
//! update or delete another's sessions, events, logs, incidents, apps, contacts or failed
//! messages, not even by guessing ids or replaying page tokens; the victim's stored data is
//! unchanged afterwards; rotated or revoked credentials stop working at once (these handlers
//! read every key; the warm cache's bound on deployed functions is tested in api::admin_keys).
//!
//! "Every route" is template.yaml's: `routes.rs` keeps the credential sweep's table (each
//! route's function, the credential it takes, a request valid but for the credentials) and the
//! public routes with the reason; the sweep fails when the template has a route the table lacks,
//! or the other way round.
//!
//! What "no" looks like, per area (each is consistent, and never reveals that the other
//! tenant's object exists):
//!
//! | credentials | answer |
//! |---|---|
//! | API-key routes: none, unknown, revoked, or another kind (admin token, user token) | 401 |
//! | admin routes: none, wrong token, an API key, a user token or an app code | 401 |
//! | tracker: another tenant's session id | 404, the same body as an id that never existed |
//! | tracker / failed messages: another tenant's page token | 400 (`… is invalid`) |
//! | contacts / failed messages of another tenant's user | empty, as for a user that does not exist (contacts: 404 on delete/send, covered in tests/messenger) |
//! | `POST /send_logs`: none, garbage, another user's or a rotated token | 403 (the seed's `Forbidden`), the same body as for an unknown user |
//! | `GET /logs`: no credentials 401; another user's, garbage or rotated `X-User-Token` | 403, the same body as for an unknown user |
//! | `GET /logs`: another user's page token | 400 |
//! | `POST /incidents`: another app's code, a rotated code, a deleted app, an unknown app, a garbage code, an API key, user or admin token as the code | 403, one body for all |
//! | `POST /v1/incidents/new` (the seed's route): the same | 400, the seed server's `Required app fields are incorrect` |
//!
//! Already covered elsewhere (not repeated): tracker `add_event` on another tenant's session
//! (tests/api), heartbeat apps of the same id in two tenants and the heartbeat list's page token
//! bound to its tenant (tests/heartbeats), the contact routes without a key and across tenants
//! (tests/messenger).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

#[allow(dead_code)] // the fuzz binary's fixture: the stack, every function's Deps, seeds
#[path = "../fuzz/fixture.rs"]
mod fixture;
mod routes;

use std::collections::BTreeSet;

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use lambda_runtime::{Context, LambdaEvent};
use lookout_core::auth::sha256_hex;
use lookout_tests::support::{http_request, read, ADMIN_TOKEN};
use serde_json::{json, Value};

use fixture::{valid_incident, valid_logs, Fixture, APP, BEARER, LOG_USER, MACHINE, MSG_USER};
use routes::{Credential, Handlers};

const OTHER_USER: &str = "other-log-user";
const OTHER_APP: &str = "OtherApp";

/// Calls `function` in-process; status and JSON body.
async fn call(
    fx: &'static Fixture,
    function: &'static str,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value) {
    // Boxed: the handlers' futures are large, and debug builds keep them on the test's stack.
    read(Box::pin(fx.call(function, http_request(method, path, query, headers, body))).await)
}

#[tokio::test]
async fn every_route_refuses_missing_garbage_and_wrong_kind_credentials() {
    // The table is template.yaml's routes (`routes::ROUTES`, `routes::EXEMPT`).
    routes::assert_table_is_the_template();
    let fx = Fixture::spawn().await;
    let h = Handlers::new(fx).await;
    let before = fx.fingerprint().await;
    let key = fx.key().to_owned();
    let key_bearer = format!("Bearer {key}");
    let code_bearer = format!("Bearer {}", fx.code);
    let token = fx.x_user_token.clone();
    let garbage = "lk_0000000000000000000000000000000000000000000000000000000000000000";
    let garbage_bearer = format!("Bearer {garbage}");
    let mut swept = 0;

    for r in routes::taking(Credential::ApiKey) {
        for headers in [
            vec![],
            vec![("x-api-key", garbage)],
            vec![("authorization", garbage_bearer.as_str())],
            vec![("authorization", BEARER)],
            vec![("x-user-token", token.as_str())],
            vec![("x-api-key", "")],
            vec![("authorization", "Basic YWNtZTpzZWNyZXQ=")],
        ] {
            let (status, body) = h.call(r, &headers, None).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (401, Some("unauthorized")),
                "{} {} {headers:?}: {body}",
                r.method,
                r.route
            );
        }
        swept += 1;
    }
    for r in routes::taking(Credential::Admin) {
        for headers in [
            vec![],
            vec![("authorization", "Bearer wrong-admin-token")],
            vec![("authorization", key_bearer.as_str())],
            vec![("x-api-key", key.as_str())],
            vec![("x-user-token", token.as_str())],
            vec![("authorization", code_bearer.as_str())],
            vec![("authorization", "test-admin-token")],
        ] {
            let (status, body) = h.call(r, &headers, None).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (401, Some("unauthorized")),
                "{} {} ({}) {headers:?}: {body}",
                r.method,
                r.route,
                r.function
            );
        }
        swept += 1;
    }
    // The logs routes, seed 000 semantics.
    for r in routes::taking(Credential::LogToken) {
        for headers in [
            vec![],
            vec![("x-user-token", "0123456789abcdef0123456789abcdef")],
            vec![("x-user-token", key.as_str())],
            vec![("authorization", BEARER)],
            vec![("x-api-key", key.as_str())],
        ] {
            let (status, body) = h.call(r, &headers, None).await;
            assert_eq!(
                (status, body),
                (403, json!({"code": 403, "message": "Forbidden"})),
                "{} {headers:?}",
                r.route
            );
        }
        swept += 1;
    }
    // OTLP logs: the token alone; anything else is a 401 (google.rpc.Status, code 16).
    for r in routes::taking(Credential::OtlpToken) {
        for headers in [
            vec![],
            vec![("x-user-token", "0123456789abcdef0123456789abcdef")],
            vec![("x-user-token", key.as_str())],
            vec![("authorization", BEARER)],
            vec![("x-api-key", key.as_str())],
            vec![("x-user-token", "")],
        ] {
            let (status, body) = h.call(r, &headers, None).await;
            assert_eq!(
                (status, &body["code"]),
                (401, &json!(16)),
                "{} {headers:?}: {body}",
                r.route
            );
        }
        swept += 1;
    }
    for r in routes::taking(Credential::LogReader) {
        for (headers, expect) in [
            (vec![], 401),
            (vec![("x-api-key", key.as_str())], 401),
            (vec![("authorization", key_bearer.as_str())], 401),
            (vec![("authorization", "Bearer wrong-admin-token")], 401),
            (
                vec![("x-user-token", "0123456789abcdef0123456789abcdef")],
                403,
            ),
            (vec![("x-user-token", key.as_str())], 403),
        ] {
            let (status, body) = h.call(r, &headers, None).await;
            assert_eq!(status, expect, "{} {headers:?}: {body}", r.route);
        }
        swept += 1;
    }
    // Incident reports: the app's code in the body is the credential; headers grant nothing.
    // One answer for every wrong code (as for an unknown app), on each route.
    for r in routes::taking(Credential::AppCode) {
        let with = |app: &str, code: &str| {
            let mut b = valid_incident(code);
            b["app_name"] = json!(app);
            b
        };
        let mut answers = BTreeSet::new();
        for (headers, body) in [
            (vec![], with(APP, garbage)),
            (vec![], with(APP, &key)),
            (vec![], with(APP, ADMIN_TOKEN)),
            (vec![], with(APP, &token)),
            (vec![], with("NoSuchApp", &fx.code)),
            (vec![("authorization", BEARER)], with(APP, garbage)),
            (vec![("x-api-key", key.as_str())], with(APP, garbage)),
        ] {
            let (status, reply) = h.call(r, &headers, Some(&body)).await;
            if r.route == "/v1/incidents/new" {
                assert_eq!(
                    (status, &reply),
                    (400, &json!({"detail": "Required app fields are incorrect"})),
                    "{} {headers:?} {body}",
                    r.route
                );
            } else {
                assert_eq!(status, 403, "{} {headers:?} {body}: {reply}", r.route);
            }
            answers.insert(reply.to_string());
        }
        assert_eq!(
            answers.len(),
            1,
            "{}: one answer for every wrong code: {answers:?}",
            r.route
        );
        swept += 1;
    }
    assert_eq!(
        swept,
        routes::ROUTES.len(),
        "every route of the table swept"
    );
    assert_eq!(
        fx.fingerprint().await,
        before,
        "refused requests stored nothing"
    );
}

/// Sets the stored `revoked` flag of an API key directly (what `DELETE /admin/api_keys` sets;
/// the route itself is tested in the api binary).
async fn revoke(fx: &Fixture, key: &str) {
    fx.app
        .ddb
        .update_item()
        .table_name(fx.app.stack.table("ApiKeysTable").unwrap())
        .key("pk", AttributeValue::S(sha256_hex(key.as_bytes())))
        .update_expression("SET revoked = :t")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":t", AttributeValue::Bool(true))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_revoked_api_key_stops_working_on_every_route_and_others_keep_working() {
    let fx = Fixture::spawn().await;
    let h = Handlers::new(fx).await;
    let get_session = routes::taking(Credential::ApiKey)
        .find(|r| r.function == "get-session")
        .unwrap();
    let other = fx.app.key_for("acme").await;
    let (status, _) = h.call(get_session, &[("x-api-key", &other)], None).await;
    assert_eq!(status, 200, "a second key of the tenant works");
    revoke(fx, &other).await;
    let before = fx.fingerprint().await;
    for r in routes::taking(Credential::ApiKey) {
        let bearer = format!("Bearer {other}");
        for headers in [
            vec![("x-api-key", other.as_str())],
            vec![("authorization", bearer.as_str())],
        ] {
            let (status, body) = h.call(r, &headers, None).await;
            assert_eq!(status, 401, "{} {}: {body}", r.method, r.route);
            assert_eq!(
                body["message"], "API key revoked",
                "{} {}",
                r.method, r.route
            );
        }
    }
    assert_eq!(
        fx.fingerprint().await,
        before,
        "nothing stored with the revoked key"
    );
    let (status, body) = h.call(get_session, &[("x-api-key", fx.key())], None).await;
    assert_eq!(status, 200, "the tenant's other key still works: {body}");
}

/// The stored items of a table whose `pk` contains `needle`.
async fn items_of(fx: &Fixture, table: &str, needle: &str) -> Vec<String> {
    let mut out: Vec<String> = fx
        .app
        .items(fx.app.stack.table(table).unwrap())
        .await
        .into_iter()
        .filter(|i| format!("{i:?}").contains(needle))
        .map(|i| fixture::canon(&AttributeValue::M(i)))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn tracker_sessions_and_events_never_cross_tenants() {
    let fx = Fixture::spawn().await;
    let acme = fx.key().to_owned();
    let globex = fx.app.key_for("globex").await;
    let (a, b) = (acme.as_str(), globex.as_str());
    let post = |function: &'static str, path: &'static str, key: &str, body: Value| {
        let key = key.to_owned();
        async move {
            call(
                fx,
                function,
                "POST",
                path,
                &[],
                &[("x-api-key", &key)],
                &body.to_string(),
            )
            .await
        }
    };
    // acme: the seeded session plus a second event on the same machine.
    let sid_a = fx.session_id.clone();
    let (status, _) = post("add-event", "/add_event", a, json!({"sessionId": sid_a, "events": [{"eventAt": "2023-02-04 10:00:00", "eventType": "second"}]})).await;
    assert_eq!(status, 200);
    // globex: a session on the same machine id.
    let (status, started) = post(
        "start-session",
        "/start_session",
        b,
        json!({"userId": "g", "machineId": MACHINE, "startAt": "2023-02-02 16:22:15"}),
    )
    .await;
    assert_eq!(status, 200);
    let sid_b = started["sessionId"].as_str().unwrap().to_owned();
    let (status, _) = post("add-event", "/add_event", b, json!({"sessionId": sid_b, "events": [{"eventAt": "2023-02-05 10:00:00", "eventType": "globex"}]})).await;
    assert_eq!(status, 200);
    let acme_before = items_of(fx, "TrackerTable", &sid_a).await;
    assert_eq!(acme_before.len(), 3, "session and two events");

    // globex guesses acme's session id: it does not exist for globex (404, the very body of a
    // session id that never existed).
    let unknown = uuid::Uuid::new_v4().to_string();
    let (status, never) = post(
        "get-session",
        "/get_session",
        b,
        json!({"sessionId": unknown}),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        post(
            "get-session",
            "/get_session",
            b,
            json!({"sessionId": sid_a})
        )
        .await,
        (404, never.clone())
    );
    let (status, ended) = post(
        "end-session",
        "/end_session",
        b,
        json!({"sessionId": sid_a, "endAt": "2023-02-10 00:00:00"}),
    )
    .await;
    assert_eq!(status, 404, "{ended}");
    assert_eq!(
        ended,
        post(
            "end-session",
            "/end_session",
            b,
            json!({"sessionId": unknown, "endAt": "2023-02-10 00:00:00"})
        )
        .await
        .1
    );

    // Same machine id: each tenant sees only its own events.
    let (status, page_b) = post(
        "get-machine-events",
        "/get_machine_events",
        b,
        json!({"machineId": MACHINE}),
    )
    .await;
    assert_eq!(status, 200, "{page_b}");
    let sessions: BTreeSet<&str> = page_b["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["sessionId"].as_str().unwrap())
        .collect();
    assert_eq!(sessions, BTreeSet::from([sid_b.as_str()]), "{page_b}");
    let (_, page_a) = post(
        "get-machine-events",
        "/get_machine_events",
        a,
        json!({"machineId": MACHINE}),
    )
    .await;
    let sessions: BTreeSet<&str> = page_a["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["sessionId"].as_str().unwrap())
        .collect();
    assert_eq!(sessions, BTreeSet::from([sid_a.as_str()]), "{page_a}");

    // acme's page token is bound to acme's machine partition: no good for globex.
    let (_, first) = post(
        "get-machine-events",
        "/get_machine_events",
        a,
        json!({"machineId": MACHINE, "limit": 1}),
    )
    .await;
    let token = first["nextToken"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let (status, body) = post(
        "get-machine-events",
        "/get_machine_events",
        b,
        json!({"machineId": MACHINE, "limit": 1, "nextToken": token}),
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("nextToken is invalid"))
    );

    // acme's session and events are untouched, and still acme's.
    assert_eq!(items_of(fx, "TrackerTable", &sid_a).await, acme_before);
    let (status, s) = post(
        "get-session",
        "/get_session",
        a,
        json!({"sessionId": sid_a}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(s["endAt"], Value::Null, "not ended by globex");
    assert_eq!(s["events"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn log_users_never_read_or_write_each_others_logs_and_rotation_revokes() {
    let fx = Fixture::spawn().await;
    let admin = [("authorization", BEARER)];
    let (status, created) = call(
        fx,
        "admin-issue-log-token",
        "POST",
        "/admin/log_users",
        &[],
        &admin,
        &json!({"user": OTHER_USER}).to_string(),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let xa = fx.x_user_token.clone();
    let xb = created["x_user_token"].as_str().unwrap().to_owned();
    let batch = |user: &str, msg: &str| {
        let mut v = valid_logs();
        v["data"]["user"] = json!(user);
        v["data"]["logs"][0]["msg"] = json!(msg);
        v["data"]["logs"][0]["event_at"] = json!("2020-05-06T00:00:00Z");
        v.to_string()
    };
    let send = |token: String, body: String| async move {
        call(
            fx,
            "send-logs",
            "POST",
            "/send_logs",
            &[],
            &[("x-user-token", &token)],
            &body,
        )
        .await
    };
    assert_eq!(
        send(xa.clone(), batch(LOG_USER, "second of a")).await.0,
        200
    );
    assert_eq!(send(xb.clone(), batch(OTHER_USER, "b's own")).await.0, 200);
    let a_before = items_of(fx, "LogsTable", &format!("U#{LOG_USER}")).await;
    let b_before = items_of(fx, "LogsTable", &format!("U#{OTHER_USER}")).await;

    // B writes as A, or A as B: refused, the same answer as for a user that does not exist.
    let forbidden = (403, json!({"code": 403, "message": "Forbidden"}));
    assert_eq!(
        send(xb.clone(), batch(LOG_USER, "forged by b")).await,
        forbidden
    );
    assert_eq!(
        send(xa.clone(), batch(OTHER_USER, "forged by a")).await,
        forbidden
    );
    assert_eq!(send(xb.clone(), batch("nobody", "x")).await, forbidden);

    // B reads A's logs with its own token: 403, as for an unknown user.
    let query = |user: &'static str, token: String, extra: Vec<(&'static str, String)>| async move {
        let mut q = vec![("user", user.to_owned())];
        q.extend(extra);
        let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
        call(
            fx,
            "query-logs",
            "GET",
            "/logs",
            &q,
            &[("x-user-token", &token)],
            "",
        )
        .await
    };
    let (status, refused) = query(LOG_USER, xb.clone(), vec![]).await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(
        query("nobody", xb.clone(), vec![]).await,
        (403, refused.clone())
    );
    // Each reads its own.
    let (status, own_b) = query(OTHER_USER, xb.clone(), vec![]).await;
    assert_eq!(status, 200);
    let msgs: Vec<&str> = own_b["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["msg"].as_str().unwrap())
        .collect();
    assert_eq!(msgs, ["b's own"]);
    // A's page token does not page B's query (bound to A's partition).
    let (status, first) = query(LOG_USER, xa.clone(), vec![("limit", "1".into())]).await;
    assert_eq!(status, 200, "{first}");
    let token = first["next_token"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let (status, body) = query(
        OTHER_USER,
        xb.clone(),
        vec![("limit", "1".into()), ("next_token", token)],
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("next_token is invalid"))
    );

    // Nothing of either changed.
    assert_eq!(
        items_of(fx, "LogsTable", &format!("U#{LOG_USER}")).await,
        a_before
    );
    assert_eq!(
        items_of(fx, "LogsTable", &format!("U#{OTHER_USER}")).await,
        b_before
    );

    // Rotation: B's old token stops working at once for writing and reading; the new one works;
    // A's is untouched.
    let (status, rotated) = call(
        fx,
        "admin-issue-log-token",
        "POST",
        "/admin/log_users",
        &[],
        &admin,
        &json!({"user": OTHER_USER, "rotate": true}).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{rotated}");
    let xb2 = rotated["x_user_token"].as_str().unwrap().to_owned();
    assert_ne!(xb2, xb);
    assert_eq!(
        send(xb.clone(), batch(OTHER_USER, "old token")).await,
        forbidden
    );
    assert_eq!(query(OTHER_USER, xb.clone(), vec![]).await.0, 403);
    assert_eq!(
        send(xb2.clone(), batch(OTHER_USER, "new token")).await.0,
        200
    );
    assert_eq!(query(OTHER_USER, xb2, vec![]).await.0, 200);
    assert_eq!(query(LOG_USER, xa, vec![]).await.0, 200);
    assert_eq!(
        items_of(fx, "LogsTable", &format!("U#{LOG_USER}")).await,
        a_before
    );
}

#[tokio::test]
async fn app_codes_are_per_app_and_rotated_or_deleted_codes_stop_working() {
    let fx = Fixture::spawn().await;
    let admin = [("authorization", BEARER)];
    let (status, created) = call(
        fx,
        "admin-register-app",
        "POST",
        "/admin/apps",
        &[],
        &admin,
        &json!({"name": OTHER_APP}).to_string(),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let code_a = fx.code.clone();
    let code_b = created["code"].as_str().unwrap().to_owned();
    let report = |app: &str, code: &str, title: &str| {
        let mut v = valid_incident(code);
        v["app_name"] = json!(app);
        v["incident"]["title"] = json!(title);
        v.to_string()
    };
    let post = |body: String| async move {
        call(fx, "report-incident", "POST", "/incidents", &[], &[], &body).await
    };
    let incidents = || async { items_of(fx, "IncidentsTable", "INC#").await };
    let before = incidents().await;

    // Another app's code, in either direction, and an unknown app: one 403 body for all.
    let (status, refused) = post(report(APP, &code_b, "forged")).await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(
        post(report(OTHER_APP, &code_a, "forged")).await,
        (403, refused.clone())
    );
    assert_eq!(
        post(report("NoSuchApp", &code_a, "forged")).await,
        (403, refused.clone())
    );
    assert_eq!(incidents().await, before, "nothing stored");

    // Rotation: the old code stops working, the new one works, the other app's is untouched.
    let (status, rotated) = call(
        fx,
        "admin-update-app",
        "PUT",
        "/admin/apps",
        &[],
        &admin,
        &json!({"name": OTHER_APP, "rotate_code": true}).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{rotated}");
    let code_b2 = rotated["code"].as_str().unwrap().to_owned();
    assert_eq!(
        post(report(OTHER_APP, &code_b, "old code")).await,
        (403, refused.clone())
    );
    assert_eq!(post(report(OTHER_APP, &code_b2, "new code")).await.0, 201);
    assert_eq!(post(report(APP, &code_a, "still works")).await.0, 201);

    // Deletion: the deleted app's code stops working; its incidents stay.
    let (status, _) = call(
        fx,
        "admin-delete-app",
        "DELETE",
        "/admin/apps",
        &[("name", OTHER_APP)],
        &admin,
        "",
    )
    .await;
    assert_eq!(status, 200);
    let kept = incidents().await;
    assert_eq!(
        post(report(OTHER_APP, &code_b2, "after delete")).await,
        (403, refused)
    );
    assert_eq!(incidents().await, kept);
    // Re-registering the name issues a fresh code: the old one does not come back.
    let (status, again) = call(
        fx,
        "admin-register-app",
        "POST",
        "/admin/apps",
        &[],
        &admin,
        &json!({"name": OTHER_APP}).to_string(),
    )
    .await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(post(report(OTHER_APP, &code_b2, "revived?")).await.0, 403);
}

/// Runs the messenger queue through the consumer until it is empty, as the event source
/// mapping would (the emulator's Viber always fails, so Viber deliveries end up failed).
async fn drain(fx: &'static Fixture) {
    for _ in 0..50 {
        let messages = fx
            .sqs
            .receive_message()
            .queue_url(&fx.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
        if messages.is_empty() {
            return;
        }
        let mut event = SqsEvent::default();
        event.records = messages
            .iter()
            .map(|m| {
                let mut r = SqsMessage::default();
                r.message_id.clone_from(&m.message_id);
                r.receipt_handle.clone_from(&m.receipt_handle);
                r.body.clone_from(&m.body);
                r.attributes = m
                    .attributes()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                    .collect();
                r
            })
            .collect();
        let resp = Box::pin(deliver_messages::handle(
            &fx.deliver,
            LambdaEvent::new(event, Context::default()),
        ))
        .await
        .unwrap();
        for m in &messages {
            let id = m.message_id().unwrap();
            if resp
                .batch_item_failures
                .iter()
                .all(|f| f.item_identifier != id)
            {
                fx.sqs
                    .delete_message()
                    .queue_url(&fx.queue_url)
                    .receipt_handle(m.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
    panic!("the messenger queue does not drain");
}

#[tokio::test]
async fn failed_messages_and_contacts_stay_within_their_tenant() {
    let fx = Fixture::spawn().await;
    let acme = fx.key().to_owned();
    let globex = fx.app.key_for("globex").await;
    let put = |key: String, body: Value| async move {
        call(
            fx,
            "send-messages",
            "PUT",
            "/api/contacts",
            &[],
            &[("x-api-key", &key)],
            &body.to_string(),
        )
        .await
    };
    let create = |key: String, body: Value| async move {
        call(
            fx,
            "create-contacts",
            "POST",
            "/api/contacts",
            &[],
            &[("x-api-key", &key)],
            &body.to_string(),
        )
        .await
    };
    // acme's user ann: two Viber-only contacts whose deliveries fail for good.
    let viber = |n: &str| json!({"name": n, "messangers": {"viber": format!("viber-{n}")}});
    assert_eq!(
        create(
            acme.clone(),
            json!({"user_name": MSG_USER, "contacts": [viber("v1"), viber("v2")]})
        )
        .await
        .0,
        200
    );
    let (status, sent) = put(
        acme.clone(),
        json!({"user_name": MSG_USER, "contact": ["v1", "v2"], "message": "acme only"}),
    )
    .await;
    assert_eq!(status, 200, "{sent}");
    drain(fx).await;
    let failed = |key: String, query: Vec<(&'static str, String)>| async move {
        let q: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        call(
            fx,
            "list-failed-messages",
            "GET",
            "/api/get_failed_mess",
            &q,
            &[("x-api-key", &key)],
            "",
        )
        .await
    };
    let user = || vec![("user_name", MSG_USER.to_owned())];
    let (status, mine) = failed(acme.clone(), user()).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["data"].as_array().unwrap().len(), 2, "{mine}");

    // globex asks for the same user name: nothing, exactly as for a user nobody has.
    let empty = (200, json!({"data": []}));
    assert_eq!(failed(globex.clone(), user()).await, empty);
    assert_eq!(
        failed(globex.clone(), vec![("user_name", "nobody".into())]).await,
        empty
    );
    // acme's page token is bound to acme's user: no good for globex.
    let mut q = user();
    q.push(("limit", "1".into()));
    let (_, first) = failed(acme.clone(), q.clone()).await;
    let token = first["next_token"]
        .as_str()
        .expect("a second page")
        .to_owned();
    q.push(("next_token", token));
    let (status, body) = failed(globex.clone(), q).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("next_token is invalid"))
    );

    // globex cannot message acme's contacts (404, nothing stored or queued), nor list them.
    let before = fx.fingerprint().await;
    let (status, body) = put(
        globex.clone(),
        json!({"user_name": MSG_USER, "contact": ["v1"], "message": "from globex"}),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (status, listed) = call(
        fx,
        "list-contacts",
        "GET",
        "/api/contacts",
        &[("user_name", MSG_USER)],
        &[("x-api-key", &globex)],
        "",
    )
    .await;
    assert_eq!((status, listed), (200, json!({"contacts": {}})));
    assert_eq!(fx.fingerprint().await, before, "globex changed nothing");
    let (_, again) = failed(acme, user()).await;
    assert_eq!(again, mine, "acme's failed messages are unchanged");
}
