//! The SQS consumer (`deliver-messages`) with garbage records, the console with garbage
//! paths, forged page tokens on every paging route, and base64-flagged bodies that are not
//! base64.

use std::collections::BTreeSet;
use std::sync::Mutex;

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use lambda_runtime::{Context, LambdaEvent};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use serde_json::{json, Value};

use crate::fixture::{rt, Fixture, BEARER, LOG_USER, MACHINE, MSG_USER};
use crate::garbage::{
    any_json, any_string, forged_tokens, header_value, query_string, BodyOut, Http,
};
use crate::{config, error_body, in_task, unchanged};

// ------------------------------------------------------------------ deliver-messages

#[derive(Debug, Clone)]
struct Record {
    /// `None`: a record without a messageId (cannot be reported; must not fail the batch).
    has_id: bool,
    body: Option<String>,
    receipt: Option<String>,
    receive_count: Option<String>,
}

fn job_body() -> impl Strategy<Value = Option<String>> {
    proptest::option::weighted(
        0.95,
        prop_oneof![
            vec(any::<u8>(), 0..500).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
            any_string(),
            any_json().prop_map(|v| v.to_string()),
            // Well-formed jobs of sends and deliveries that do not exist.
            "[0-9a-f]{32}".prop_map(|id| json!({"type": "fanout", "sendId": id}).to_string()),
            ("[0-9a-f]{32}", 0_u16..10_000).prop_map(|(id, n)| {
                json!({"type": "deliver", "deliveryId": format!("{id}-{n:04}")}).to_string()
            }),
            // Jobs with the wrong tag, wrong ids, wrong types.
            (any_string(), any_json())
                .prop_map(|(t, v)| json!({"type": t, "sendId": v, "deliveryId": v}).to_string()),
            any_json().prop_map(|v| json!({"type": "fanout", "sendId": v}).to_string()),
            any_string().prop_map(|s| json!({"type": "deliver", "deliveryId": s}).to_string()),
            "[0-9a-f]{32}-[0-9]{5,8}"
                .prop_map(|s| json!({"type": "deliver", "deliveryId": s}).to_string()),
            Just(r#"{"type":"fanout","sendId":"0123456789abcdef0123456789abcdef""#.to_owned()),
        ],
    )
}

fn record() -> impl Strategy<Value = Record> {
    (
        proptest::bool::weighted(0.9),
        job_body(),
        proptest::option::of("[ -~]{0,200}"),
        proptest::option::of(prop_oneof![
            Just("1".to_owned()),
            Just("99999999999".to_owned()),
            "[ -~]{0,12}"
        ]),
    )
        .prop_map(|(has_id, body, receipt, receive_count)| Record {
            has_id,
            body,
            receipt,
            receive_count,
        })
}

async fn consume_garbage(
    fx: &'static Fixture,
    records: &[Record],
    last: &Mutex<Vec<String>>,
) -> Result<(), TestCaseError> {
    let mut event = SqsEvent::default();
    let mut ids = BTreeSet::new();
    for (i, r) in records.iter().enumerate() {
        let mut m = SqsMessage::default();
        if r.has_id {
            let id = format!("fuzz-{i}-{}", uuid::Uuid::new_v4().simple());
            ids.insert(id.clone());
            m.message_id = Some(id);
        }
        m.body.clone_from(&r.body);
        m.receipt_handle.clone_from(&r.receipt);
        if let Some(c) = &r.receive_count {
            m.attributes
                .insert("ApproximateReceiveCount".into(), c.clone());
        }
        m.event_source = Some("aws:sqs".into());
        event.records.push(m);
    }
    let resp = in_task(
        "deliver-messages",
        deliver_messages::handle(&fx.deliver, LambdaEvent::new(event, Context::default())),
    )
    .await?
    .map_err(|e| TestCaseError::fail(format!("the whole batch failed: {e}")))?;
    // Every record is a poison message or names no existing send/delivery: each one with an id
    // is reported (left for the dead-letter queue), none is acknowledged, no unknown id.
    let reported: BTreeSet<String> = resp
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    prop_assert_eq!(&reported, &ids, "batch item failures");
    prop_assert_eq!(
        reported.len(),
        resp.batch_item_failures.len(),
        "reported once each"
    );
    unchanged(fx, last, "deliver-messages").await
}

#[test]
fn messenger_deliver_reports_garbage_records_and_stores_nothing() {
    let fx = rt().block_on(Fixture::spawn());
    let last = Mutex::new(rt().block_on(fx.fingerprint()));
    let mut runner = TestRunner::new(config());
    let result = runner.run(&vec(record(), 0..8), |records| {
        rt().block_on(consume_garbage(fx, &records, &last))
    });
    if let Err(e) = result {
        panic!("deliver-messages: {e}");
    }
}

// ------------------------------------------------------------------ console

#[derive(Debug, Clone)]
struct ConsoleCase {
    method: String,
    path: String,
    raw_query: String,
    if_none_match: Option<String>,
    body: Option<String>,
    path_params: Vec<(String, String)>,
}

fn console_case() -> impl Strategy<Value = ConsoleCase> {
    (
        prop_oneof![
            Just("GET"),
            Just("HEAD"),
            Just("POST"),
            Just("PUT"),
            Just("DELETE"),
            Just("PATCH"),
            Just("OPTIONS")
        ],
        prop_oneof![
            Just(String::new()),
            Just("/".to_owned()),
            Just("/app.js".to_owned()),
            Just("/style.css".to_owned()),
            Just("/index.html".to_owned()),
            "/[a-zA-Z0-9._~-]{0,40}",
            "/[a-z.]{1,5}/[a-z.]{1,5}",
            "/(%[0-9A-F]{2}){1,8}",
        ],
        prop_oneof![
            Just(String::new()),
            vec(("[a-z]{0,4}", any_string()), 0..3).prop_map(|p| query_string(&p)),
            "v=[0-9a-f]{0,20}",
        ],
        proptest::option::of(header_value()),
        proptest::option::of(any_string()),
        vec(("[a-z]{1,6}", "[ -~]{0,30}"), 0..2),
    )
        .prop_map(
            |(method, suffix, raw_query, if_none_match, body, path_params)| ConsoleCase {
                method: method.to_owned(),
                path: format!("/console{suffix}"),
                raw_query,
                if_none_match,
                body,
                path_params,
            },
        )
}

async fn console_check(fx: &'static Fixture, c: &ConsoleCase) -> Result<(), TestCaseError> {
    let mut h = Http {
        method: c.method.clone(),
        path: c.path.clone(),
        raw_query: c.raw_query.clone(),
        path_params: c.path_params.clone(),
        body: c.body.clone().map(BodyOut::Text),
        ..Http::default()
    };
    if let Some(v) = &c.if_none_match {
        h.headers.push(("if-none-match".into(), v.clone()));
    }
    let Some(req) = h.request() else {
        return Err(TestCaseError::reject("lambda_http refuses the event"));
    };
    let resp = in_task("serve-console", fx.call("serve-console", req))
        .await?
        .map_err(|e| TestCaseError::fail(format!("console returned Err: {e}")))?;
    let status = resp.status().as_u16();
    // The console is a static page for browsers: its 404/405 are text, by design.
    prop_assert!([200, 304, 404, 405].contains(&status), "status {}", status);
    prop_assert!(resp.headers().contains_key("content-security-policy"));
    if status >= 400 {
        prop_assert!(!resp.body().as_ref().is_empty(), "empty {} body", status);
    }
    Ok(())
}

#[test]
fn console_answers_garbage_paths_methods_and_headers() {
    let fx = rt().block_on(Fixture::spawn());
    let mut runner = TestRunner::new(config());
    let result = runner.run(&console_case(), |c| rt().block_on(console_check(fx, &c)));
    if let Err(e) = result {
        panic!("console: {e}");
    }
}

// ------------------------------------------------------------------ forged page tokens

/// Page tokens are opaque hex JSON; one that decodes and is bound to the caller's own query but
/// was never issued (odd key values: empty, `~~~~`, NUL, non-ASCII, 2000 characters) may page
/// from anywhere or be refused, but never fails the server or writes.
#[test]
fn forged_page_tokens_are_refused_or_harmless() {
    let fx = rt().block_on(Fixture::spawn());
    rt().block_on(async {
        let last = Mutex::new(fx.fingerprint().await);
        let key = fx.key().to_owned();
        let mut cases: Vec<(&str, Http)> = Vec::new();
        let post = |path: &str, body: Value| Http {
            method: "POST".into(),
            path: path.into(),
            headers: vec![("x-api-key".into(), key.clone())],
            body: Some(BodyOut::Text(body.to_string())),
            ..Http::default()
        };
        let get = |path: &str, query: Vec<(String, String)>, auth: (&str, &str)| Http {
            method: "GET".into(),
            path: path.into(),
            raw_query: query_string(&query),
            headers: vec![(auth.0.into(), auth.1.into())],
            ..Http::default()
        };
        let pairs = |p: &[(&str, &str)]| -> Vec<(String, String)> {
            p.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let machine_pk = format!("MACHINE#acme#{MACHINE}");
        for t in forged_tokens(&["pk", "sk", "gsi1pk", "gsi1sk"], ("gsi1pk", &machine_pk)) {
            cases.push((
                "get-machine-events",
                post(
                    "/get_machine_events",
                    json!({"machineId": MACHINE, "nextToken": t}),
                ),
            ));
        }
        for t in forged_tokens(&["pk", "tenant", "appId"], ("tenant", "acme")) {
            let t = t.as_str().unwrap().to_owned();
            cases.push((
                "admin-list-heartbeat-apps",
                get(
                    "/admin/heartbeat_apps",
                    pairs(&[("tenant", "acme"), ("next_token", &t)]),
                    ("authorization", BEARER),
                ),
            ));
        }
        let app_pk = format!("APP#{}", crate::fixture::APP);
        for (names, bound, app) in [
            (
                ["pk", "sk", "gsi2pk", "gsi2sk"],
                ("gsi2pk", "INCIDENTS"),
                None,
            ),
            (
                ["pk", "sk", "gsi1pk", "gsi1sk"],
                ("gsi1pk", app_pk.as_str()),
                Some(crate::fixture::APP),
            ),
        ] {
            for t in forged_tokens(&names, bound) {
                let t = t.as_str().unwrap().to_owned();
                let mut q = vec![("next_token".to_owned(), t)];
                if let Some(a) = app {
                    q.push(("app".into(), a.into()));
                }
                cases.push((
                    "admin-list-incidents",
                    get("/admin/incidents", q, ("authorization", BEARER)),
                ));
            }
        }
        let fpk = format!("F#acme#{MSG_USER}");
        for t in forged_tokens(&["pk", "sk", "failedPk", "failedSk"], ("failedPk", &fpk)) {
            let t = t.as_str().unwrap().to_owned();
            cases.push((
                "list-failed-messages",
                Http {
                    method: "GET".into(),
                    path: "/api/get_failed_mess".into(),
                    raw_query: query_string(&pairs(&[("user_name", MSG_USER), ("next_token", &t)])),
                    headers: vec![("x-api-key".into(), key.clone())],
                    ..Http::default()
                },
            ));
        }
        let upk = format!("U#{LOG_USER}");
        for sk in [
            "",
            "~~~~",
            "\u{0}",
            "ü",
            "2099-01-01T00:00:00.000Z",
            &"z".repeat(2000),
        ] {
            for i in [0_u64, 1, u64::from(u32::MAX), u64::MAX] {
                let t = hex::encode(json!({"pk": upk, "sk": sk, "i": i}).to_string());
                for extra in [
                    vec![],
                    vec![("to", "2020-01-01")],
                    vec![("from", "2030-01-01")],
                ] {
                    let mut q = pairs(&[("user", LOG_USER), ("next_token", &t)]);
                    q.extend(pairs(&extra));
                    cases.push((
                        "query-logs",
                        get("/logs", q, ("x-user-token", &fx.x_user_token)),
                    ));
                }
            }
        }
        for (function, h) in cases {
            let req = h.request().expect("a valid event");
            let resp = in_task(function, fx.call(function, req))
                .await
                .unwrap()
                .unwrap();
            let status = resp.status().as_u16();
            let body = String::from_utf8_lossy(resp.body().as_ref()).into_owned();
            assert!(
                status < 500,
                "{function} {:?}: {status} {body}",
                h.raw_query
            );
            if status >= 300 {
                error_body(&resp).unwrap();
            }
            unchanged(fx, &last, function).await.unwrap();
        }
    });
}

// ------------------------------------------------------------------ invalid base64

/// `isBase64Encoded: true` with a body that is not base64: lambda_http refuses the event
/// while turning it into a `Request` (upstream it panics in `Body::from_maybe_encoded`), so no
/// handler ever sees such a body; API Gateway never sends one. Valid base64 of garbage bytes is
/// covered by every route's generated cases.
#[test]
fn invalid_base64_bodies_never_reach_a_handler() {
    for body in ["!!!not base64!!!", "ab=c", "====", "a", "\u{0}\u{1}"] {
        let mut event = Http {
            method: "POST".into(),
            path: "/start_session".into(),
            body: Some(BodyOut::Text(body.into())),
            ..Http::default()
        }
        .event();
        event["isBase64Encoded"] = json!(true);
        let text = event.to_string();
        let converted = std::panic::catch_unwind(|| lambda_http::request::from_str(&text).ok());
        assert!(
            !matches!(converted, Ok(Some(_))),
            "lambda_http turned invalid base64 {body:?} into a request"
        );
    }
}
