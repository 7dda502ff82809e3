//! Every HTTP route: its valid input (over the fixture's seeds) and, per field, values that are
//! invalid whatever the rest of the input holds.

use serde_json::{json, Value};

use crate::fixture::{
    valid_incident, valid_logs, Fixture, APP, CONTACT, LOG_USER, MACHINE, MSG_USER,
};
use crate::garbage::{
    app_id, enum_value, field, huge, long, nested, not_string, opt_text, opt_time, q, tenant, text,
    time, uint, AuthKind, Field, Input, Spec,
};

fn with(mut v: Vec<Value>, more: impl IntoIterator<Item = Value>) -> Vec<Value> {
    v.extend(more);
    v
}

/// Breakers of an app name (1-64 of letters, digits, spaces, `_ . -`, not padded).
fn app_name() -> Vec<Value> {
    with(
        not_string(),
        [
            Value::Null,
            json!(""),
            json!(" lead"),
            json!("trail "),
            json!("a/b"),
            json!("a#b"),
            json!("a\u{0}"),
            long(65),
            huge(),
        ],
    )
}

/// Breakers of a messenger user or contact name (1-64 characters, no control characters).
fn name64() -> Vec<Value> {
    text(64)
}

/// Breakers of a list of contact names (`contact` of DELETE and PUT).
fn names() -> Vec<Value> {
    vec![
        json!([]),
        json!(0),
        json!(true),
        json!({}),
        json!(""),
        json!("   "),
        json!("a\u{0}"),
        long(65),
        json!([CONTACT, CONTACT]),
        json!([1]),
        json!([null]),
        json!(vec![CONTACT; 101]),
        nested(),
    ]
}

pub fn spec(function: &'static str, fx: &Fixture) -> Spec {
    let sid = fx.session_id.as_str();
    let (method, path, auth, input, strict, valid, fields): (
        &str,
        &str,
        AuthKind,
        Input,
        bool,
        Value,
        Vec<Field>,
    ) = match function {
        "start-session" => (
            "POST",
            "/start_session",
            AuthKind::ApiKey,
            Input::Body,
            false, // unknown fields are ignored, as the seed did
            json!({"userId": "u-1", "machineId": "m-1", "startAt": "2023-02-02 16:22:15", "orgId": 11232}),
            vec![
                field("/userId", true, text(256)),
                field("/machineId", true, text(256)),
                field("/startAt", true, time()),
                field(
                    "/orgId",
                    false,
                    vec![
                        json!(true),
                        json!([]),
                        json!({}),
                        json!(""),
                        json!("   "),
                        json!("a\u{1}"),
                        long(257),
                        nested(),
                    ],
                ),
            ],
        ),
        "add-event" => (
            "POST",
            "/add_event",
            AuthKind::ApiKey,
            Input::Body,
            false, // unknown fields are ignored, as the seed did
            json!({"sessionId": sid, "events": [{"eventAt": "2023-02-09 01:08:55", "eventType": "exe", "payload": {"info": "x"}}]}),
            vec![
                field("/sessionId", true, text(256)),
                field(
                    "/events",
                    true,
                    vec![
                        Value::Null,
                        json!(0),
                        json!("s"),
                        json!(true),
                        json!({}),
                        json!([]),
                        json!([1]),
                        json!([{}]),
                        nested(),
                    ],
                ),
                field("/events/0/eventAt", true, time()),
                field("/events/0/eventType", true, text(256)),
                field(
                    "/events/0/payload",
                    false,
                    vec![huge(), json!({"big": "p".repeat(33 * 1024)})],
                ),
            ],
        ),
        "end-session" => (
            "POST",
            "/end_session",
            AuthKind::ApiKey,
            Input::Body,
            false, // unknown fields are ignored, as the seed did
            json!({"sessionId": sid, "endAt": "2023-02-10 00:00:00"}),
            vec![
                field("/sessionId", true, text(256)),
                field("/endAt", true, time()),
            ],
        ),
        "get-session" => (
            "POST",
            "/get_session",
            AuthKind::ApiKey,
            Input::Body,
            false, // unknown fields are ignored, as the seed did
            json!({"sessionId": sid}),
            vec![field("/sessionId", true, text(256))],
        ),
        "get-machine-events" => (
            "POST",
            "/get_machine_events",
            AuthKind::ApiKey,
            Input::Body,
            false, // unknown fields are ignored, as the seed did
            json!({"machineId": MACHINE, "limit": 10}),
            vec![
                field("/machineId", true, text(256)),
                field("/limit", false, uint(1, Some(1000))),
                field(
                    "/nextToken",
                    false,
                    with(
                        not_string(),
                        [
                            json!(""),
                            json!("zz"),
                            json!("abc"),
                            json!(hex::encode("{}")),
                        ],
                    ),
                ),
            ],
        ),
        "admin-issue-api-key" => (
            "POST",
            "/admin/api_keys",
            AuthKind::Admin,
            Input::Body,
            true,
            json!({"tenant": "fuzz-tenant", "label": "x"}),
            vec![
                field("/tenant", true, tenant()),
                field(
                    "/label",
                    false,
                    with(not_string(), [long(129), json!("a\u{0}"), json!("\u{1b}")]),
                ),
            ],
        ),
        "record-heartbeat" => (
            "POST",
            "/api/apps/",
            AuthKind::ApiKey,
            Input::Body,
            false, // unknown fields are ignored, as the seed did
            json!({"app_id": 23, "message": "OK:200"}),
            vec![
                field("/app_id", true, app_id()),
                // Numbers and booleans are kept as their text, as the seed did.
                field(
                    "/message",
                    false,
                    vec![
                        json!([]),
                        json!({}),
                        json!(["a"]),
                        nested(),
                        long(1025),
                        huge(),
                        json!("a\u{0}"),
                        json!("\u{7}"),
                        json!("x\ny"),
                    ],
                ),
            ],
        ),
        "admin-update-heartbeat-app" => (
            "POST",
            "/admin/heartbeat_apps",
            AuthKind::Admin,
            Input::Body,
            true,
            json!({"tenant": "acme", "app_id": "billing", "period_seconds": 300, "grace_seconds": 30}),
            vec![
                field("/tenant", true, tenant()),
                field("/app_id", true, app_id()),
                field("/period_seconds", false, uint(10, Some(604_800))),
                field("/grace_seconds", false, uint(0, Some(86_400))),
                field("/action", false, enum_value()),
            ],
        ),
        "admin-list-heartbeat-apps" => (
            "GET",
            "/admin/heartbeat_apps",
            AuthKind::Admin,
            Input::Query,
            true,
            json!({"tenant": "acme", "state": "up", "limit": "10"}),
            vec![
                field(
                    "/tenant",
                    true,
                    q(&["", "a b", "ü", "acme#1", &"t".repeat(65)]),
                ),
                field("/state", false, q(&["", "asleep", "UP!", "up,down"])),
                field(
                    "/limit",
                    false,
                    q(&[
                        "",
                        "0",
                        "101",
                        "-1",
                        "1.5",
                        "many",
                        "99999999999999999999999",
                    ]),
                ),
                field(
                    "/next_token",
                    false,
                    q(&["zz", "abc", &hex::encode("{}"), &hex::encode("[1]")]),
                ),
            ],
        ),
        "send-logs" => (
            "POST",
            "/send_logs",
            AuthKind::UserToken,
            Input::Body,
            false,
            valid_logs(),
            vec![
                field("/data", true, with(not_string(), [Value::Null])),
                field("/data/user", true, with(text(128), [json!("a#b")])),
                field("/data/pid", true, with(uint(0, None), [Value::Null])),
                field(
                    "/data/p_name",
                    true,
                    with(not_string(), [Value::Null, long(257), huge()]),
                ),
                field("/data/post_time", true, time()),
                field(
                    "/data/logs",
                    true,
                    vec![
                        Value::Null,
                        json!(0),
                        json!("s"),
                        json!(true),
                        json!({}),
                        json!([1]),
                        json!(["x"]),
                        json!([{}]),
                        nested(),
                    ],
                ),
                // A level is a name or a whole non-negative number (Python's levelno).
                field(
                    "/data/logs/0/level",
                    true,
                    vec![
                        json!("nonsense"),
                        json!(""),
                        json!("OPEN!"),
                        json!(-1),
                        json!(1.5),
                        json!(true),
                        json!([]),
                        json!({}),
                        huge(),
                        Value::Null,
                    ],
                ),
                // Any JSON value but null is a message (non-strings are kept as their JSON text).
                field(
                    "/data/logs/0/msg",
                    true,
                    vec![Value::Null, long(64 * 1024 + 1), long(1_100_000)],
                ),
                field("/data/logs/0/event_at", true, time()),
                field(
                    "/data/logs/0/p_description",
                    false,
                    with(not_string(), [long(1025), huge()]),
                ),
            ],
        ),
        "admin-issue-log-token" => (
            "POST",
            "/admin/log_users",
            AuthKind::Admin,
            Input::Body,
            true,
            json!({"user": "new-log-user"}),
            vec![
                field("/user", true, with(text(128), [json!("a#b")])),
                field(
                    "/rotate",
                    false,
                    vec![
                        json!("yes"),
                        json!("true"),
                        json!(1),
                        json!(0),
                        json!([]),
                        json!({}),
                    ],
                ),
            ],
        ),
        "query-logs" => (
            "GET",
            "/logs",
            AuthKind::AdminOrUserToken,
            Input::Query,
            true,
            json!({"user": LOG_USER, "level": "error", "limit": "10", "from": "2020-01-01", "to": "2030-01-01"}),
            vec![
                field(
                    "/user",
                    true,
                    q(&["", "   ", "a#b", "a\u{1}", &"u".repeat(129)]),
                ),
                field(
                    "/pid",
                    false,
                    q(&["-1", "x", "1.5", "99999999999999999999999"]),
                ),
                field(
                    "/level",
                    false,
                    q(&["nonsense", "error,bogus", ",", "error,"]),
                ),
                field("/from", false, q(&["garbage", "10000-01-01", "2023-13-01"])),
                field("/to", false, q(&["garbage", "10000-01-01", "2023-13-01"])),
                field("/limit", false, q(&["0", "1001", "x", "-5", "1.5"])),
                field(
                    "/next_token",
                    false,
                    q(&[
                        "zz",
                        "abc",
                        &hex::encode("{}"),
                        &hex::encode("{\"pk\":\"USER#other\",\"sk\":\"x\",\"i\":0}"),
                    ]),
                ),
            ],
        ),
        "admin-register-app" | "admin-update-app" => {
            let register = function == "admin-register-app";
            (
                if register { "POST" } else { "PUT" },
                "/admin/apps",
                AuthKind::Admin,
                Input::Body,
                false,
                if register {
                    json!({"name": "NewApp", "description": "d", "log_user": LOG_USER, "log_process": "api"})
                } else {
                    json!({"name": APP, "description": "changed", "log_process": "api"})
                },
                vec![
                    field("/name", true, app_name()),
                    field("/description", false, opt_text(500)),
                    field("/log_user", false, opt_text(128)),
                    field("/log_process", false, opt_text(128)),
                    // A heartbeat tenant alone is a valid link (#26: where the app's Sentry
                    // check-ins land), so "acme" without an app id breaks nothing any more.
                    field("/heartbeat_tenant", false, opt_text(128)),
                    field(
                        "/rotate_code",
                        false,
                        with(
                            vec![json!("yes"), json!(1), json!([]), json!({})],
                            register.then_some(json!(true)),
                        ),
                    ),
                ],
            )
        }
        "admin-delete-app" => (
            "DELETE",
            "/admin/apps",
            AuthKind::Admin,
            Input::BodyAndQuery,
            true,
            json!({"name": APP}),
            vec![field("/name", true, app_name())],
        ),
        "admin-list-apps" => (
            "GET",
            "/admin/apps",
            AuthKind::Admin,
            Input::Query,
            true,
            json!({}),
            vec![],
        ),
        "report-incident" => (
            "POST",
            "/incidents",
            AuthKind::BodyCode,
            Input::Body,
            // Unknown fields are ignored, as the seed-001 server did (its client relies on it).
            false,
            valid_incident(&fx.code),
            vec![
                field("/incident", true, with(not_string(), [Value::Null])),
                field("/incident/title", true, text(200)),
                field(
                    "/incident/message",
                    false,
                    with(not_string(), [long(10_001), json!("a\u{0}")]),
                ),
                field("/incident/level", true, with(enum_value(), [Value::Null])),
                field(
                    "/incident/logs",
                    false,
                    vec![
                        json!(0),
                        json!(true),
                        json!({}),
                        json!([1]),
                        json!([null]),
                        json!(["a", 2]),
                        // (Logs over 64 KB are not invalid: the newest lines are kept.)
                        nested(),
                    ],
                ),
                field("/app_name", true, with(app_name(), [json!("NoSuchApp")])),
                field(
                    "/code",
                    true,
                    with(
                        not_string(),
                        [
                            Value::Null,
                            json!(""),
                            json!("   "),
                            long(257),
                            json!("wrong-code"),
                        ],
                    ),
                ),
            ],
        ),
        "admin-list-incidents" => (
            "GET",
            "/admin/incidents",
            AuthKind::Admin,
            Input::Query,
            true,
            json!({"app": APP, "level": "error", "status": "open", "from": "2020-01-01", "to": "2035-01-01", "limit": "10"}),
            vec![
                field("/app", false, q(&["a/b", "a#b", &"a".repeat(65)])),
                field("/level", false, q(&["nonsense", "1"])),
                field("/status", false, q(&["nonsense", "closed"])),
                field("/from", false, q(&["garbage", "10000-01-01", "2023-13-01"])),
                field("/to", false, q(&["garbage", "10000-01-01", "2023-13-01"])),
                field("/limit", false, q(&["0", "201", "x", "-1", "1.5"])),
                field("/next_token", false, q(&["zz", "abc", &hex::encode("{}")])),
            ],
        ),
        "admin-get-incident" => (
            "GET",
            "/admin/incident",
            AuthKind::Admin,
            Input::Query,
            true,
            json!({"id": fx.incident_id}),
            vec![field(
                "/id",
                true,
                q(&["", "   ", &"i".repeat(65), &"i".repeat(100_000)]),
            )],
        ),
        "admin-update-incident" => (
            "PATCH",
            "/admin/incident",
            AuthKind::Admin,
            Input::Body,
            true,
            json!({"id": fx.incident_id, "status": "acknowledged", "assignee": "me", "notes": "n", "by": "fuzz"}),
            vec![
                field(
                    "/id",
                    true,
                    with(not_string(), [Value::Null, json!(""), long(65), huge()]),
                ),
                field("/status", false, with(enum_value(), [Value::Null])),
                field("/assignee", false, opt_text(128)),
                field("/notes", false, opt_text(4000)),
                field("/by", false, opt_text(128)),
            ],
        ),
        "create-contacts" => (
            "POST",
            "/api/contacts",
            AuthKind::ApiKey,
            Input::Body,
            false, // unknown fields are ignored, as the seed did
            json!({"user_name": MSG_USER, "contact": {"name": "carol", "messangers": {"telegram": "12345", "whatsApp": "+15550001", "viber": "v-1"}}}),
            vec![
                field("/user_name", true, name64()),
                field(
                    "/contact",
                    true,
                    vec![
                        Value::Null,
                        json!(0),
                        json!("s"),
                        json!(true),
                        json!([]),
                        json!([1]),
                        nested(),
                    ],
                ),
                field("/contact/name", true, name64()),
                field(
                    "/contact/messangers",
                    true,
                    with(not_string(), [Value::Null]),
                ),
                field(
                    "/contact/messangers/telegram",
                    false,
                    vec![
                        json!("abc"),
                        json!("x y"),
                        json!("@ab"),
                        json!("-"),
                        long(33),
                        json!(1),
                        json!(true),
                        json!([]),
                        json!({}),
                    ],
                ),
                field(
                    "/contact/messangers/whatsApp",
                    false,
                    vec![
                        json!("123"),
                        json!("abc"),
                        json!("+1 (555) 0a"),
                        json!("1234567890123456"),
                        json!(1),
                    ],
                ),
                field(
                    "/contact/messangers/viber",
                    false,
                    vec![
                        json!("has space"),
                        long(65),
                        json!("ü"),
                        json!(1),
                        json!("a\u{0}"),
                    ],
                ),
            ],
        ),
        "delete-contacts" => (
            "DELETE",
            "/api/contacts",
            AuthKind::ApiKey,
            Input::Body,
            false, // unknown fields are ignored, as the seed did
            json!({"user_name": MSG_USER, "contact": CONTACT}),
            vec![
                field("/user_name", true, name64()),
                field("/contact", true, names()),
            ],
        ),
        "list-contacts" => (
            "GET",
            "/api/contacts",
            AuthKind::ApiKey,
            Input::BodyAndQuery,
            false, // unknown fields are ignored, as the seed did
            json!({"user_name": MSG_USER}),
            vec![field("/user_name", true, name64())],
        ),
        "send-messages" => (
            "PUT",
            "/api/contacts",
            AuthKind::ApiKey,
            Input::Body,
            false, // unknown fields are ignored, as the seed did
            json!({"user_name": MSG_USER, "contact": [CONTACT], "message": "hi", "time": [2030, 1, 1, 9, 0, 0]}),
            vec![
                field("/user_name", true, name64()),
                field("/contact", true, names()),
                field(
                    "/message",
                    true,
                    with(
                        not_string(),
                        [Value::Null, json!(""), json!("   "), long(4097), huge()],
                    ),
                ),
                field("/time", false, opt_time()),
            ],
        ),
        "list-failed-messages" => (
            "GET",
            "/api/get_failed_mess",
            AuthKind::ApiKey,
            Input::BodyAndQuery,
            false, // unknown fields are ignored, as the seed did
            json!({"user_name": MSG_USER, "limit": 10}),
            vec![
                field("/user_name", true, name64()),
                field(
                    "/limit",
                    false,
                    vec![
                        json!(0),
                        json!(1001),
                        json!(-1),
                        json!(1.5),
                        json!("x"),
                        json!("0"),
                        json!(true),
                        json!([]),
                        json!({}),
                    ],
                ),
                field(
                    "/next_token",
                    false,
                    vec![
                        json!(1),
                        json!(true),
                        json!([]),
                        json!({}),
                        json!("zz"),
                        json!("abc"),
                    ],
                ),
            ],
        ),
        other => panic!("no spec for {other}"),
    };
    Spec {
        function,
        method,
        path,
        auth,
        input,
        strict,
        valid,
        fields,
    }
}
