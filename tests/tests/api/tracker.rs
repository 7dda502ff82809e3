//! Seed 004 handlers in-process against moto: every route and every error case.

use serde_json::{json, Value};

use lookout_tests::support::{read, request, spawn_app, TestApp};

async fn start(app: &TestApp, key: &str, body: Value) -> (u16, Value) {
    read(
        start_session::handle(
            app.tracker("start-session"),
            request("/start_session", &[("x-api-key", key)], &body.to_string()),
        )
        .await,
    )
}

async fn add(app: &TestApp, key: &str, body: Value) -> (u16, Value) {
    read(
        add_event::handle(
            app.tracker("add-event"),
            request("/add_event", &[("x-api-key", key)], &body.to_string()),
        )
        .await,
    )
}

async fn end(app: &TestApp, key: &str, body: Value) -> (u16, Value) {
    read(
        end_session::handle(
            app.tracker("end-session"),
            request("/end_session", &[("x-api-key", key)], &body.to_string()),
        )
        .await,
    )
}

async fn get(app: &TestApp, key: &str, body: Value) -> (u16, Value) {
    read(
        get_session::handle(
            app.tracker("get-session"),
            request("/get_session", &[("x-api-key", key)], &body.to_string()),
        )
        .await,
    )
}

async fn machine(app: &TestApp, key: &str, body: Value) -> (u16, Value) {
    read(
        get_machine_events::handle(
            app.tracker("get-machine-events"),
            request(
                "/get_machine_events",
                &[("x-api-key", key)],
                &body.to_string(),
            ),
        )
        .await,
    )
}

fn seed_session() -> Value {
    json!({"userId": "asfla-asdf-asdfa", "machineId": "2343-asdf-fads", "startAt": "2023-02-02 16:22:15", "orgId": 11232})
}

async fn started(app: &TestApp) -> String {
    let (status, body) = start(app, &app.api_key, seed_session()).await;
    assert_eq!(status, 200, "{body}");
    body["sessionId"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn start_session_returns_an_id_and_stores_the_session() {
    let app = spawn_app().await;
    let (status, body) = start(&app, &app.api_key, seed_session()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"], "request received");
    let id = body["sessionId"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");

    let items = app.tracker_items().await;
    assert_eq!(items.len(), 1);
    let item = &items[0];
    let s = |k: &str| item[k].as_s().unwrap().clone();
    assert_eq!(s("pk"), format!("SESSION#{id}"));
    assert_eq!(s("tenant"), "acme");
    assert_eq!(s("userId"), "asfla-asdf-asdfa");
    assert_eq!(s("machineId"), "2343-asdf-fads");
    assert_eq!(s("startAt"), "2023-02-02T16:22:15.000Z");
    assert_eq!(s("orgId"), "11232");
    assert!(item["expiresAt"].as_n().is_ok(), "retention sets a TTL");
}

#[tokio::test]
async fn start_session_rejects_bad_input_and_writes_nothing() {
    let app = spawn_app().await;
    let cases = [
        (json!({"machineId": "m", "startAt": "2023-01-01"}), "userId"),
        (json!({"userId": "u", "startAt": "2023-01-01"}), "machineId"),
        (json!({"userId": "u", "machineId": "m"}), "startAt"),
        (
            json!({"userId": "u", "machineId": "m", "startAt": "timestamp"}),
            "unrecognised timestamp",
        ),
        (
            json!({"userId": "", "machineId": "m", "startAt": "2023-01-01"}),
            "must not be empty",
        ),
        (
            json!({"userId": "u", "machineId": "m", "startAt": "2023-01-01", "orgId": {"x": 1}}),
            "orgId",
        ),
        (
            json!({"userId": 5, "machineId": "m", "startAt": "2023-01-01"}),
            "invalid type",
        ),
        (json!([1, 2]), "invalid"),
    ];
    for (body, expect) in cases {
        let (status, reply) = start(&app, &app.api_key, body.clone()).await;
        assert_eq!(status, 400, "{body} -> {reply}");
        assert_eq!(reply["error"], "validation");
        assert!(
            reply["message"].as_str().unwrap().contains(expect),
            "{body} -> {reply}"
        );
    }
    for raw in ["", "{", "not json", "{\"userId\":"] {
        let (status, reply) = read(
            start_session::handle(
                app.tracker("start-session"),
                request("/start_session", &[("x-api-key", &app.api_key)], raw),
            )
            .await,
        );
        assert_eq!(status, 400, "{raw:?} -> {reply}");
    }
    assert!(app.tracker_items().await.is_empty());
}

#[tokio::test]
async fn every_route_requires_a_valid_api_key() {
    let app = spawn_app().await;
    let id = started(&app).await;
    let before = app.tracker_items().await.len();
    let bodies = [
        ("/start_session", seed_session()),
        (
            "/add_event",
            json!({"sessionId": id, "events": [{"eventAt": "2023-02-02 16:22:15", "eventType": "x"}]}),
        ),
        (
            "/end_session",
            json!({"sessionId": id, "endAt": "2024-01-01"}),
        ),
        ("/get_session", json!({"sessionId": id})),
        (
            "/get_machine_events",
            json!({"machineId": "2343-asdf-fads"}),
        ),
    ];
    for headers in [
        vec![],
        vec![("x-api-key", "lk_wrong")],
        vec![("authorization", "Bearer lk_wrong")],
        vec![("authorization", "Basic dXNlcjpwYXNz")],
    ] {
        for (path, body) in &bodies {
            let req = || request(path, &headers, &body.to_string());
            let resp = match *path {
                "/start_session" => {
                    start_session::handle(app.tracker("start-session"), req()).await
                }
                "/add_event" => add_event::handle(app.tracker("add-event"), req()).await,
                "/end_session" => end_session::handle(app.tracker("end-session"), req()).await,
                "/get_session" => get_session::handle(app.tracker("get-session"), req()).await,
                _ => get_machine_events::handle(app.tracker("get-machine-events"), req()).await,
            };
            let (status, reply) = read(resp);
            assert_eq!(status, 401, "{path} {headers:?} -> {reply}");
            assert_eq!(reply["error"], "unauthorized");
        }
    }
    assert_eq!(
        app.tracker_items().await.len(),
        before,
        "unauthorised calls wrote nothing"
    );
    // The bearer form works as well as X-Api-Key.
    let bearer = format!("Bearer {}", app.api_key);
    let (status, _) = read(
        get_session::handle(
            app.tracker("get-session"),
            request(
                "/get_session",
                &[("authorization", &bearer)],
                &json!({"sessionId": id}).to_string(),
            ),
        )
        .await,
    );
    assert_eq!(status, 200);
}

#[tokio::test]
async fn events_come_back_sorted_by_event_time() {
    let app = spawn_app().await;
    let id = started(&app).await;
    let (status, body) = add(
        &app,
        &app.api_key,
        json!({"sessionId": id, "events": [
            {"eventAt": "2023-02-09 01:08:55", "eventType": "exe", "payload": {"info": "someInfo"}},
            {"eventAt": "2023-02-02 16:22:15", "eventType": "applicationStarted", "payload": {"info": "someInfo"}},
            {"eventAt": "2023-02-09T01:05:23Z", "eventType": "data", "payload": {"info": "someInfo", "n": [1, 2.5, null]}}
        ]}),
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (200, Some("request received"))
    );
    // A second request later adds an even earlier event.
    let (status, _) = add(&app, &app.api_key, json!({"sessionId": id, "events": [{"eventAt": [2023, 2, 2, 16, 0, 0], "eventType": "boot"}]})).await;
    assert_eq!(status, 200);

    let (status, s) = get(&app, &app.api_key, json!({"sessionId": id})).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["sessionId"], id.as_str());
    assert_eq!(s["userId"], "asfla-asdf-asdfa");
    assert_eq!(s["machineId"], "2343-asdf-fads");
    assert_eq!(s["orgId"], 11232);
    assert_eq!(s["startAt"], "2023-02-02T16:22:15.000Z");
    assert_eq!(s["endAt"], Value::Null);
    let types: Vec<&str> = s["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["boot", "applicationStarted", "data", "exe"]);
    assert_eq!(
        s["events"][2]["payload"],
        json!({"info": "someInfo", "n": [1, 2.5, null]})
    );
    assert_eq!(
        s["events"][0]["payload"],
        json!({}),
        "payload defaults to {{}}"
    );
    assert_eq!(s["events"][3]["eventAt"], "2023-02-09T01:08:55.000Z");
}

#[tokio::test]
async fn a_retried_add_event_does_not_duplicate_but_repeats_in_one_request_are_kept() {
    let app = spawn_app().await;
    let id = started(&app).await;
    let body = json!({"sessionId": id, "events": [
        {"eventAt": "2023-02-09 01:08:55", "eventType": "click", "payload": {}},
        {"eventAt": "2023-02-09 01:08:55", "eventType": "click", "payload": {}}
    ]});
    assert_eq!(add(&app, &app.api_key, body.clone()).await.0, 200);
    assert_eq!(add(&app, &app.api_key, body).await.0, 200);
    let (_, s) = get(&app, &app.api_key, json!({"sessionId": id})).await;
    assert_eq!(s["events"].as_array().unwrap().len(), 2);
    assert_eq!(app.tracker_items().await.len(), 3, "session + 2 events");
}

#[tokio::test]
async fn add_event_handles_large_batches_across_transactions() {
    let app = spawn_app().await;
    let id = started(&app).await;
    let events: Vec<Value> = (0..250)
        .map(|i| json!({"eventAt": 1_675_354_935_000_u64 + i * 1000, "eventType": "tick", "payload": {"i": i}}))
        .collect();
    let (status, body) = add(
        &app,
        &app.api_key,
        json!({"sessionId": id, "events": events}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, s) = get(&app, &app.api_key, json!({"sessionId": id})).await;
    let got: Vec<i64> = s["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["payload"]["i"].as_i64().unwrap())
        .collect();
    assert_eq!(got, (0..250).collect::<Vec<_>>());
}

#[tokio::test]
async fn add_event_errors() {
    let app = spawn_app().await;
    let id = started(&app).await;
    let ev = json!([{"eventAt": "2023-02-09 01:08:55", "eventType": "exe"}]);

    let (status, body) = add(
        &app,
        &app.api_key,
        json!({"sessionId": uuid::Uuid::new_v4().to_string(), "events": ev}),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));

    let other = app.key_for("globex").await;
    let (status, _) = add(&app, &other, json!({"sessionId": id, "events": ev})).await;
    assert_eq!(status, 404, "another tenant's session is invisible");

    for (bad, expect) in [
        (json!({"sessionId": id, "events": []}), "at least one event"),
        (json!({"sessionId": id}), "events"),
        (
            json!({"sessionId": id, "events": [{"eventType": "x"}]}),
            "eventAt",
        ),
        (
            json!({"sessionId": id, "events": [{"eventAt": "2023-02-09", "eventType": ""}]}),
            "must not be empty",
        ),
        (
            json!({"sessionId": id, "events": [{"eventAt": "yesterday", "eventType": "x"}]}),
            "timestamp",
        ),
        (
            json!({"sessionId": id, "events": [{"eventAt": "2023-02-09", "eventType": "x", "payload": {"big": "x".repeat(40_000)}}]}),
            "payload is",
        ),
        (json!({"sessionId": "", "events": ev}), "must not be empty"),
    ] {
        let (status, reply) = add(&app, &app.api_key, bad.clone()).await;
        assert_eq!(status, 400, "{reply}");
        assert!(
            reply["message"].as_str().unwrap().contains(expect),
            "{expect}: {reply}"
        );
    }
    let too_many: Vec<Value> = (0..1001)
        .map(|_| json!({"eventAt": "2023-02-09", "eventType": "x"}))
        .collect();
    let (status, reply) = add(
        &app,
        &app.api_key,
        json!({"sessionId": id, "events": too_many}),
    )
    .await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(
        app.tracker_items().await.len(),
        1,
        "no rejected event was stored"
    );

    assert_eq!(
        end(
            &app,
            &app.api_key,
            json!({"sessionId": id, "endAt": "2023-02-10 00:00:00"})
        )
        .await
        .0,
        200
    );
    let (status, body) = add(&app, &app.api_key, json!({"sessionId": id, "events": ev})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
    assert_eq!(app.tracker_items().await.len(), 1);
}

#[tokio::test]
async fn end_session_sets_end_and_rejects_repeats() {
    let app = spawn_app().await;
    let id = started(&app).await;
    let (status, _) = end(
        &app,
        &app.api_key,
        json!({"sessionId": id, "endAt": "2020-01-01 00:00:00"}),
    )
    .await;
    assert_eq!(status, 400, "endAt before startAt");
    let (status, body) = end(
        &app,
        &app.api_key,
        json!({"sessionId": id, "endAt": "2023-02-02T18:00:00+01:00"}),
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (200, Some("request received"))
    );
    let (_, s) = get(&app, &app.api_key, json!({"sessionId": id})).await;
    assert_eq!(s["endAt"], "2023-02-02T17:00:00.000Z");
    let (status, body) = end(
        &app,
        &app.api_key,
        json!({"sessionId": id, "endAt": "2023-02-03"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let (_, s) = get(&app, &app.api_key, json!({"sessionId": id})).await;
    assert_eq!(
        s["endAt"], "2023-02-02T17:00:00.000Z",
        "the first end stands"
    );

    let (status, _) = end(
        &app,
        &app.api_key,
        json!({"sessionId": "nope", "endAt": "2023-02-03"}),
    )
    .await;
    assert_eq!(status, 404);
    let other = app.key_for("globex").await;
    let (status, _) = end(
        &app,
        &other,
        json!({"sessionId": id, "endAt": "2023-02-03"}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, reply) = end(&app, &app.api_key, json!({"sessionId": id})).await;
    assert_eq!(status, 400);
    assert!(
        reply["message"].as_str().unwrap().contains("endAt"),
        "{reply}"
    );
}

#[tokio::test]
async fn get_session_errors() {
    let app = spawn_app().await;
    let id = started(&app).await;
    assert_eq!(
        get(
            &app,
            &app.api_key,
            json!({"sessionId": uuid::Uuid::new_v4().to_string()})
        )
        .await
        .0,
        404
    );
    let other = app.key_for("globex").await;
    assert_eq!(get(&app, &other, json!({"sessionId": id})).await.0, 404);
    assert_eq!(get(&app, &app.api_key, json!({})).await.0, 400);
    assert_eq!(
        get(&app, &app.api_key, json!({"sessionId": 7})).await.0,
        400
    );
}

#[tokio::test]
async fn machine_events_span_sessions_in_time_order_and_page() {
    let app = spawn_app().await;
    let s1 = started(&app).await;
    let s2 = started(&app).await;
    add(&app, &app.api_key, json!({"sessionId": s2, "events": [
        {"eventAt": "2023-02-02 16:22:15", "eventType": "applicationStarted", "payload": {"info": "someInfo"}},
        {"eventAt": "2023-02-09 01:08:55", "eventType": "exe", "payload": {"info": "someInfo"}},
        {"eventAt": "2023-02-09 01:05:23", "eventType": "data", "payload": {"info": "someInfo"}}
    ]})).await;
    add(&app, &app.api_key, json!({"sessionId": s1, "events": [
        {"eventAt": "2016-01-01 11:20:05.123", "eventType": "eventType", "payload": {"info": "some info"}}
    ]})).await;
    // Another machine, and another tenant using the same machine id: both invisible here.
    let (_, other_machine) = start(
        &app,
        &app.api_key,
        json!({"userId": "u", "machineId": "other", "startAt": "2023-01-01"}),
    )
    .await;
    add(&app, &app.api_key, json!({"sessionId": other_machine["sessionId"], "events": [{"eventAt": "2023-01-01", "eventType": "hidden"}]})).await;
    let globex = app.key_for("globex").await;
    let (_, g) = start(&app, &globex, seed_session()).await;
    add(&app, &globex, json!({"sessionId": g["sessionId"], "events": [{"eventAt": "2023-01-01", "eventType": "hidden"}]})).await;

    let (status, body) = machine(&app, &app.api_key, json!({"machineId": "2343-asdf-fads"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["machineId"], "2343-asdf-fads");
    assert!(body.get("nextToken").is_none());
    let got: Vec<(String, String)> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["eventType"].as_str().unwrap().to_owned(),
                e["sessionId"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("eventType".to_owned(), s1.clone()),
            ("applicationStarted".to_owned(), s2.clone()),
            ("data".to_owned(), s2.clone()),
            ("exe".to_owned(), s2.clone()),
        ]
    );
    assert_eq!(body["events"][0]["eventAt"], "2016-01-01T11:20:05.123Z");

    // Pages of 3 give the same events, each once.
    let mut paged = Vec::new();
    let mut token = Value::Null;
    for _ in 0..5 {
        let mut req = json!({"machineId": "2343-asdf-fads", "limit": 3});
        if !token.is_null() {
            req["nextToken"] = token.clone();
        }
        let (status, page) = machine(&app, &app.api_key, req).await;
        assert_eq!(status, 200, "{page}");
        assert!(page["events"].as_array().unwrap().len() <= 3);
        paged.extend(
            page["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["eventType"].as_str().unwrap().to_owned()),
        );
        token = page.get("nextToken").cloned().unwrap_or(Value::Null);
        if token.is_null() {
            break;
        }
    }
    assert_eq!(paged, ["eventType", "applicationStarted", "data", "exe"]);

    // A token from globex's query cannot page through acme's machine.
    let (_, gpage) = machine(
        &app,
        &globex,
        json!({"machineId": "2343-asdf-fads", "limit": 1}),
    )
    .await;
    assert_eq!(gpage["events"][0]["eventType"], "hidden");
    assert!(gpage.get("nextToken").is_none());
    let (_, apage) = machine(
        &app,
        &app.api_key,
        json!({"machineId": "2343-asdf-fads", "limit": 1}),
    )
    .await;
    let (status, _) = machine(
        &app,
        &globex,
        json!({"machineId": "2343-asdf-fads", "nextToken": apage["nextToken"]}),
    )
    .await;
    assert_eq!(status, 400);

    for bad in [
        json!({"machineId": "2343-asdf-fads", "limit": 0}),
        json!({"machineId": "2343-asdf-fads", "limit": 1001}),
        json!({"machineId": "2343-asdf-fads", "nextToken": "garbage"}),
        json!({}),
    ] {
        assert_eq!(
            machine(&app, &app.api_key, bad.clone()).await.0,
            400,
            "{bad}"
        );
    }
    let (status, empty) = machine(&app, &app.api_key, json!({"machineId": "unknown"})).await;
    assert_eq!((status, empty["events"].clone()), (200, json!([])));
}

#[tokio::test]
async fn the_seeds_epoch_seconds_and_extra_fields_are_accepted() {
    // Seed 004 took epoch seconds (int or float) and ignored fields it did not read.
    let app = spawn_app().await;
    let (status, body) = start(
        &app,
        &app.api_key,
        json!({"userId": "u-1", "machineId": "m-epoch", "startAt": 1_675_354_935, "orgId": 7, "appVersion": "2.1"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let id = body["sessionId"].as_str().unwrap().to_owned();
    let (status, body) = add(
        &app,
        &app.api_key,
        json!({"sessionId": id, "client": "tracker-py", "events": [
            {"eventAt": 1_675_354_940.25, "eventType": "exe", "payload": {"a": 1}, "seq": 1},
            {"eventAt": "2023-02-02 16:22:21", "eventType": "exit"}
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = end(
        &app,
        &app.api_key,
        json!({"sessionId": id, "endAt": 1_675_354_999.0, "reason": "quit"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, s) = get(
        &app,
        &app.api_key,
        json!({"sessionId": id, "verbose": true}),
    )
    .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["startAt"], "2023-02-02T16:22:15.000Z");
    assert_eq!(s["endAt"], "2023-02-02T16:23:19.000Z");
    let at: Vec<&str> = s["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventAt"].as_str().unwrap())
        .collect();
    assert_eq!(at, ["2023-02-02T16:22:20.250Z", "2023-02-02T16:22:21.000Z"]);
    assert!(
        s["events"][0].get("seq").is_none(),
        "unknown fields are not stored"
    );
    let (status, m) = machine(&app, &app.api_key, json!({"machineId": "m-epoch", "x": 1})).await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["events"].as_array().unwrap().len(), 2);
}

/// A session of 160 events of 30 KB each (4.8 MB as JSON) once came back whole: over the
/// byte budget of a page, and near Lambda's 6 MB response limit. Now `get_session` and
/// `get_machine_events` stop a page at 4 MiB and at `limit`, and their `nextToken`s walk every
/// event exactly once, in order.
#[tokio::test]
async fn session_and_machine_pages_are_bounded_by_bytes_and_by_count() {
    let app = spawn_app().await;
    let id = started(&app).await;
    let filler = "x".repeat(30 * 1024 - 64);
    for batch in 0..4 {
        let events: Vec<Value> = (0..40)
            .map(|i| {
                let n = batch * 40 + i;
                json!({"eventAt": format!("2023-02-03T{:02}:{:02}:00Z", n / 60, n % 60),
                       "eventType": "big", "payload": {"n": n, "fill": filler}})
            })
            .collect();
        let (status, body) = add(
            &app,
            &app.api_key,
            json!({"sessionId": id, "events": events}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let walked = |pages: Vec<Value>| -> Vec<i64> {
        pages
            .iter()
            .flat_map(|p| p["events"].as_array().unwrap().clone())
            .map(|e| e["payload"]["n"].as_i64().unwrap())
            .collect()
    };
    let all: Vec<i64> = (0..160).collect();

    for route in ["get_session", "get_machine_events"] {
        let mut pages = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut body = match route {
                "get_session" => json!({"sessionId": id}),
                _ => json!({"machineId": "2343-asdf-fads"}),
            };
            if let Some(t) = &token {
                body["nextToken"] = json!(t);
            }
            let (status, page) = match route {
                "get_session" => get(&app, &app.api_key, body).await,
                _ => machine(&app, &app.api_key, body).await,
            };
            assert_eq!(status, 200, "{route}: {page}");
            let bytes = page.to_string().len();
            assert!(
                bytes <= 4 * 1024 * 1024 + 4096,
                "{route}: a page of {bytes} bytes"
            );
            if route == "get_session" {
                assert_eq!(
                    page["sessionId"],
                    id.as_str(),
                    "every page names the session"
                );
            }
            token = page["nextToken"].as_str().map(str::to_owned);
            pages.push(page);
            if token.is_none() {
                break;
            }
            assert!(pages.len() < 10, "{route}: pages do not end");
        }
        assert!(pages.len() >= 2, "{route}: 4.8 MB came back in one page");
        assert_eq!(walked(pages), all, "{route}: every event once, in order");

        // By count: 160 events at 70 a page are 3 pages, the last without a token.
        let mut counts = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut body = match route {
                "get_session" => json!({"sessionId": id, "limit": 70}),
                _ => json!({"machineId": "2343-asdf-fads", "limit": 70}),
            };
            if let Some(t) = &token {
                body["nextToken"] = json!(t);
            }
            let (status, page) = match route {
                "get_session" => get(&app, &app.api_key, body).await,
                _ => machine(&app, &app.api_key, body).await,
            };
            assert_eq!(status, 200, "{route}: {page}");
            counts.push(page["events"].as_array().unwrap().len());
            token = page["nextToken"].as_str().map(str::to_owned);
            if token.is_none() {
                break;
            }
            assert!(counts.len() < 10, "{route}: pages do not end");
        }
        assert_eq!(counts, [70, 70, 20], "{route}");
    }
    // A token from another session, and a bad limit, are 400s.
    let other = started(&app).await;
    let (status, first) = get(&app, &app.api_key, json!({"sessionId": id, "limit": 1})).await;
    assert_eq!(status, 200);
    let token = first["nextToken"].as_str().unwrap();
    let (status, body) = get(
        &app,
        &app.api_key,
        json!({"sessionId": other, "nextToken": token}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = get(&app, &app.api_key, json!({"sessionId": id, "limit": 0})).await;
    assert_eq!(status, 400, "{body}");
}
