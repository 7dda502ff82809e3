//! Issue #8 hardening: property tests of every request parser. Each HTTP function's real
//! `handle` runs in-process against moto (a fresh uuid-prefixed copy of template.yaml's tables
//! per function, seeded with one object of each kind) with proptest-generated garbage:
//! arbitrary bytes and strings, random JSON, structured mutations of a valid body or query
//! (dropped field, wrong type, 100k strings, control characters, negative/huge/float numbers,
//! nested junk, unknown fields), random query strings and path parameters, missing, garbage,
//! oversized and wrong-kind credentials, odd content types, base64-encoded bodies.
//!
//! Every generated case is invalid by construction (bad credentials, or an input broken in a
//! way the route must reject whatever else it holds), so for each case: the handler neither
//! panics nor returns `Err`, answers 4xx (never 2xx, never 5xx) with a JSON body carrying a
//! `message`, and nothing in the stack (every table, the messenger queue) changed.
//! The SQS consumer gets garbage records (`deliver.rs`), the console garbage paths.
//!
//! Events lambda_http itself refuses never reach a handler and are skipped (proptest rejects
//! them): header values API Gateway cannot deliver, and URIs over http's length limit (lambda_http
//! panics building such a request; API Gateway's own URL limit is far lower). Bodies flagged
//! `isBase64Encoded` that are not base64 are the same case (`invalid_base64_bodies_never_reach_a_handler`).
//!
//! Regressions found by this fuzzer: positional-array bodies read as structs
//! (`positional_array_bodies_are_rejected`), a forged `GET /logs` page token answered 500
//! (`forged_page_tokens_are_refused_or_harmless`). `FUZZ_CASES=500` runs longer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

mod deliver;
mod fixture;
mod garbage;
mod specs;

use std::sync::Mutex;

use lambda_http::{Body, Response};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};

use fixture::{rt, Fixture, BEARER};
use garbage::{
    query_pairs, query_string, Auth, AuthKind, BodyOut, Case, Garbage, Http, Input, Spec,
};

/// Generated cases per function (`FUZZ_CASES` overrides it for a longer run).
pub const CASES: u32 = 48;

pub fn config() -> Config {
    Config {
        cases: std::env::var("FUZZ_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(CASES),
        failure_persistence: None,
        max_shrink_iters: 200,
        max_global_rejects: 4096,
        ..Config::default()
    }
}

/// The body of a garbage case, or `None` when it happens to be a JSON object (which could be a
/// valid body: such cases send the mutated input instead).
fn garbage_body(g: &Garbage) -> Option<BodyOut> {
    let is_object = |b: &[u8]| serde_json::from_slice::<Value>(b).is_ok_and(|v| v.is_object());
    match g {
        Garbage::Bytes(b) if !is_object(b) => Some(BodyOut::Base64(b.clone())),
        Garbage::Text(t) if !is_object(t.as_bytes()) => Some(BodyOut::Text(t.clone())),
        Garbage::Json(v) => Some(BodyOut::Text(v.to_string())),
        _ => None,
    }
}

fn auth_headers(fx: &Fixture, spec: &Spec, case: &Case) -> Vec<(String, String)> {
    let key = fx.key().to_owned();
    let (name, valid) = match spec.auth {
        AuthKind::BodyCode => return vec![],
        AuthKind::ApiKey if case.bearer_form => ("authorization", format!("Bearer {key}")),
        AuthKind::ApiKey => ("x-api-key", key.clone()),
        AuthKind::Admin => ("authorization", BEARER.to_owned()),
        AuthKind::AdminOrUserToken if case.bearer_form => ("authorization", BEARER.to_owned()),
        AuthKind::UserToken | AuthKind::AdminOrUserToken => {
            ("x-user-token", fx.x_user_token.clone())
        }
    };
    let as_sent = |s: String| {
        if name == "authorization" {
            format!("Bearer {s}")
        } else {
            s
        }
    };
    let one = |n: &str, v: String| vec![(n.to_owned(), v)];
    match &case.auth {
        Auth::Valid => one(name, valid),
        Auth::Missing => vec![],
        Auth::Garbage(s) => one(name, as_sent(s.clone())),
        Auth::Oversized => one(name, as_sent("k".repeat(10_000))),
        Auth::WrongScheme(s) => one("authorization", format!("Basic {s}")),
        Auth::WrongKind => match spec.auth {
            AuthKind::ApiKey => one("authorization", BEARER.to_owned()),
            AuthKind::Admin => one("authorization", format!("Bearer {key}")),
            AuthKind::UserToken => one("x-user-token", key),
            AuthKind::AdminOrUserToken | AuthKind::BodyCode => one("x-api-key", key),
        },
    }
}

/// `POST /incidents` authenticates with the code in its body.
fn body_code(fx: &Fixture, auth: &Auth, body: &mut Value) {
    let code = match auth {
        Auth::Valid => return,
        Auth::Missing => {
            if let Some(o) = body.as_object_mut() {
                o.remove("code");
            }
            return;
        }
        Auth::Garbage(s) => s.clone(),
        Auth::Oversized => "k".repeat(10_000),
        Auth::WrongScheme(s) => format!("Basic {s}"),
        Auth::WrongKind => fx.key().to_owned(),
    };
    if let Some(o) = body.as_object_mut() {
        o.insert("code".into(), json!(code));
    }
}

pub fn build(fx: &Fixture, spec: &Spec, case: &Case) -> Http {
    let mut input = match &case.mutation {
        Some(m) => garbage::mutate(spec, m),
        None => spec.valid.clone(),
    };
    if spec.auth == AuthKind::BodyCode {
        body_code(fx, &case.auth, &mut input);
    }
    let mut h = Http {
        method: spec.method.to_owned(),
        path: spec.path.to_owned(),
        path_params: case.path_params.clone(),
        ..Http::default()
    };
    let json_body = || {
        let text = input.to_string();
        if case.base64 {
            BodyOut::Base64(text.into_bytes())
        } else {
            BodyOut::Text(text)
        }
    };
    match spec.input {
        Input::Query => {
            h.raw_query = query_string(&query_pairs(&input));
            h.body = case.garbage.as_ref().and_then(garbage_body);
        }
        Input::Body | Input::BodyAndQuery => {
            if spec.input == Input::Body {
                h.raw_query = case.query_noise.clone();
            }
            h.body = Some(
                case.garbage
                    .as_ref()
                    .and_then(garbage_body)
                    .unwrap_or_else(json_body),
            );
        }
    }
    h.headers = auth_headers(fx, spec, case);
    if let Some(ct) = &case.content_type {
        h.headers.push(("content-type".into(), ct.clone()));
    }
    h.headers.extend(
        case.extra_headers
            .iter()
            .filter(|(k, _)| k != "x-api-key" && k != "x-user-token")
            .cloned(),
    );
    h
}

/// Runs `f` in its own task, so a panic is reported (with the input) instead of unwinding.
pub async fn in_task<T: Send + 'static>(
    what: &str,
    f: impl std::future::Future<Output = T> + Send + 'static,
) -> Result<T, TestCaseError> {
    tokio::spawn(f).await.map_err(|e| {
        let why = if e.is_panic() {
            let p = e.into_panic();
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "non-text panic".into())
        } else {
            e.to_string()
        };
        TestCaseError::fail(format!("{what} panicked: {why}"))
    })
}

fn short(s: &str) -> String {
    if s.chars().count() > 400 {
        format!("{}…", s.chars().take(400).collect::<String>())
    } else {
        s.to_owned()
    }
}

/// A non-2xx answer must be JSON with a non-empty `message`.
pub fn error_body(resp: &Response<Body>) -> Result<Value, String> {
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let text = String::from_utf8_lossy(resp.body().as_ref()).into_owned();
    if !ct.starts_with("application/json") {
        return Err(format!("content-type {ct:?}, body {}", short(&text)));
    }
    let v: Value =
        serde_json::from_str(&text).map_err(|e| format!("not JSON ({e}): {}", short(&text)))?;
    match v["message"].as_str() {
        Some(m) if !m.trim().is_empty() => Ok(v),
        _ => Err(format!("no error message in {}", short(&text))),
    }
}

/// What changed between two fingerprints (a few lines of each side).
pub fn diff(before: &[String], after: &[String]) -> String {
    let gone: Vec<&String> = before
        .iter()
        .filter(|x| !after.contains(x))
        .take(3)
        .collect();
    let new: Vec<&String> = after
        .iter()
        .filter(|x| !before.contains(x))
        .take(3)
        .collect();
    format!(
        "removed/changed: {:?}\nadded/changed: {:?}",
        gone.iter().map(|s| short(s)).collect::<Vec<_>>(),
        new.iter().map(|s| short(s)).collect::<Vec<_>>()
    )
}

/// Compares the stack with the last fingerprint (and remembers the new one).
pub async fn unchanged(
    fx: &Fixture,
    last: &Mutex<Vec<String>>,
    what: &str,
) -> Result<(), TestCaseError> {
    let now = fx.fingerprint().await;
    let mut last = last.lock().unwrap();
    if *last != now {
        let d = diff(&last, &now);
        *last = now;
        return Err(TestCaseError::fail(format!(
            "{what} stored state on rejected input:\n{d}"
        )));
    }
    Ok(())
}

async fn check(
    fx: &'static Fixture,
    spec: &Spec,
    case: &Case,
    last: &Mutex<Vec<String>>,
) -> Result<(), TestCaseError> {
    let http = build(fx, spec, case);
    let Some(req) = http.request() else {
        return Err(TestCaseError::reject("lambda_http refuses the event"));
    };
    let function = spec.function;
    let resp = in_task(function, fx.call(function, req))
        .await?
        .map_err(|e| TestCaseError::fail(format!("{function} returned Err: {e}")))?;
    let status = resp.status().as_u16();
    let text = String::from_utf8_lossy(resp.body().as_ref()).into_owned();
    let mut problems = Vec::new();
    if status >= 500 {
        problems.push(format!("{function} answered {status}: {}", short(&text)));
    } else if !(400..500).contains(&status) {
        problems.push(format!(
            "{function} accepted an invalid request: {status} {}",
            short(&text)
        ));
    } else if let Err(e) = error_body(&resp) {
        problems.push(format!("{function} {status}: {e}"));
    }
    // Always take the new fingerprint, so that a failing case's write is not blamed on the next.
    if let Err(e) = unchanged(fx, last, function).await {
        problems.push(e.to_string());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(TestCaseError::fail(problems.join("\n")))
    }
}

/// Fuzzes one route with [`CASES`] generated cases on a fresh stack.
fn fuzz(function: &'static str) {
    let fx = rt().block_on(Fixture::spawn());
    let spec = specs::spec(function, fx);
    let last = Mutex::new(rt().block_on(fx.fingerprint()));
    let mut runner = TestRunner::new(config());
    let result = runner.run(&garbage::case(), |case| {
        rt().block_on(check(fx, &spec, &case, &last))
    });
    if let Err(e) = result {
        panic!("{function}: {e}");
    }
}

/// Every body route with the valid body's values as a positional array (`[23, "OK:200"]`):
/// serde reads a struct from a sequence too, so `POST /api/apps/` used to accept this and
/// register app 23 (found by this fuzzer). Now 400 everywhere, nothing stored.
#[test]
fn positional_array_bodies_are_rejected() {
    let fx = rt().block_on(Fixture::spawn());
    let last = Mutex::new(rt().block_on(fx.fingerprint()));
    for function in BODY_ROUTES {
        let spec = specs::spec(function, fx);
        let values: Vec<Value> = spec.valid.as_object().unwrap().values().cloned().collect();
        let case = Case {
            auth: Auth::Valid,
            bearer_form: false,
            garbage: None,
            mutation: Some(garbage::Mutation {
                noise: vec![],
                brk: garbage::Break::NotObject(Value::Array(values)),
            }),
            query_noise: String::new(),
            path_params: vec![],
            extra_headers: vec![],
            content_type: None,
            base64: false,
        };
        let req = build(fx, &spec, &case).request().unwrap();
        let resp = rt().block_on(fx.call(function, req)).unwrap();
        let body = error_body(&resp).unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{function}: {body}");
        rt().block_on(unchanged(fx, &last, function)).unwrap();
    }
}

const BODY_ROUTES: [&str; 20] = [
    "start-session",
    "add-event",
    "end-session",
    "get-session",
    "get-machine-events",
    "admin-issue-api-key",
    "record-heartbeat",
    "admin-update-heartbeat-app",
    "send-logs",
    "admin-issue-log-token",
    "admin-register-app",
    "admin-update-app",
    "admin-delete-app",
    "report-incident",
    "admin-update-incident",
    "create-contacts",
    "delete-contacts",
    "list-contacts",
    "send-messages",
    "list-failed-messages",
];

macro_rules! fuzz_routes {
    ($($name:ident => $function:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                fuzz($function);
            }
        )*
    };
}

fuzz_routes! {
    start_session => "start-session",
    add_event => "add-event",
    end_session => "end-session",
    get_session => "get-session",
    get_machine_events => "get-machine-events",
    admin_issue_api_key => "admin-issue-api-key",
    record_heartbeat => "record-heartbeat",
    admin_update_heartbeat_app => "admin-update-heartbeat-app",
    admin_list_heartbeat_apps => "admin-list-heartbeat-apps",
    send_logs => "send-logs",
    admin_issue_log_token => "admin-issue-log-token",
    query_logs => "query-logs",
    admin_register_app => "admin-register-app",
    admin_list_apps => "admin-list-apps",
    admin_update_app => "admin-update-app",
    admin_delete_app => "admin-delete-app",
    report_incident => "report-incident",
    admin_list_incidents => "admin-list-incidents",
    admin_get_incident => "admin-get-incident",
    admin_update_incident => "admin-update-incident",
    create_contacts => "create-contacts",
    delete_contacts => "delete-contacts",
    list_contacts => "list-contacts",
    send_messages => "send-messages",
    list_failed_messages => "list-failed-messages",
}

/// The oracle itself: the valid input with valid credentials is flagged as accepted, and what
/// it stored is seen.
#[test]
fn the_checks_flag_an_accepted_request_and_its_write() {
    let fx = rt().block_on(Fixture::spawn());
    let spec = specs::spec("record-heartbeat", fx);
    let last = Mutex::new(rt().block_on(fx.fingerprint()));
    let case = Case {
        auth: Auth::Valid,
        bearer_form: false,
        garbage: None,
        mutation: None,
        query_noise: String::new(),
        path_params: vec![],
        extra_headers: vec![],
        content_type: None,
        base64: false,
    };
    let err = rt()
        .block_on(check(fx, &spec, &case, &last))
        .unwrap_err()
        .to_string();
    assert!(err.contains("accepted an invalid request"), "{err}");
    assert!(err.contains("stored state"), "{err}");
}
