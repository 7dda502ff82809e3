//! What the fuzzer sends: API Gateway (HTTP API, payload v2) events with garbage bodies, query
//! strings, path parameters and headers, and structured mutations of a valid input that always
//! break it (so no generated case is a valid request by accident).

use lambda_http::Request;
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

// ------------------------------------------------------------------ the event

/// An HTTP request as API Gateway hands it to the function.
#[derive(Debug, Clone, Default)]
pub struct Http {
    pub method: String,
    pub path: String,
    /// Already encoded, as `rawQueryString`.
    pub raw_query: String,
    pub headers: Vec<(String, String)>,
    pub path_params: Vec<(String, String)>,
    pub body: Option<BodyOut>,
}

#[derive(Debug, Clone)]
pub enum BodyOut {
    Text(String),
    /// Sent base64 encoded with `isBase64Encoded: true` (as API Gateway sends binary bodies).
    Base64(Vec<u8>),
}

impl Http {
    pub fn event(&self) -> Value {
        let mut headers = Map::new();
        for (k, v) in &self.headers {
            let k = k.to_lowercase();
            // API Gateway joins repeated headers with commas.
            let joined = match headers.get(&k).and_then(Value::as_str) {
                Some(prev) => format!("{prev},{v}"),
                None => v.clone(),
            };
            headers.insert(k, Value::String(joined));
        }
        let mut event = json!({
            "version": "2.0",
            "routeKey": format!("{} {}", self.method, self.path),
            "rawPath": self.path,
            "rawQueryString": self.raw_query,
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "local",
                "domainName": "local",
                "domainPrefix": "local",
                "http": {"method": self.method, "path": self.path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "fuzz"},
                "requestId": uuid::Uuid::new_v4().to_string(),
                "routeKey": format!("{} {}", self.method, self.path),
                "stage": "$default",
                "time": "25/Nov/2026:12:00:00 +0000",
                "timeEpoch": 1_795_000_000_000_u64
            },
            "isBase64Encoded": false
        });
        if !self.path_params.is_empty() {
            event["pathParameters"] = self
                .path_params
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect::<Map<_, _>>()
                .into();
        }
        match &self.body {
            None => {}
            Some(BodyOut::Text(t)) => event["body"] = Value::String(t.clone()),
            Some(BodyOut::Base64(b)) => {
                event["body"] = Value::String(base64(b));
                event["isBase64Encoded"] = Value::Bool(true);
            }
        }
        if self.raw_query.is_empty() {
            event.as_object_mut().unwrap().remove("rawQueryString");
        }
        event
    }

    /// The request lambda_http gives the handler; `None` if lambda_http refuses the event
    /// (then no handler would ever see it).
    pub fn request(&self) -> Option<Request> {
        let event = self.event().to_string();
        std::panic::catch_unwind(|| lambda_http::request::from_str(&event).ok())
            .ok()
            .flatten()
    }
}

pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Percent-encodes a query component.
pub fn encode(s: &str) -> String {
    lookout_tests::support::encode(s)
}

pub fn query_string(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

// ------------------------------------------------------------------ what a route takes

/// How a route authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    /// A tenant's API key (`X-Api-Key` or `Authorization: Bearer`).
    ApiKey,
    /// The admin bearer token.
    Admin,
    /// A log user's `X-User-Token`.
    UserToken,
    /// `GET /logs`: the admin bearer token or the user's `X-User-Token`.
    AdminOrUserToken,
    /// `POST /incidents`: the app's code in the body (`/code`).
    BodyCode,
}

/// Where a route reads its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A JSON body; the query string is ignored (random query noise is added).
    Body,
    /// A JSON body, and the route also reads the query string (no query noise).
    BodyAndQuery,
    /// The query string (every route of this kind rejects unknown parameters); the body is
    /// ignored (random garbage is sent as the body).
    Query,
}

/// One input field and values that are invalid for it whatever the other fields hold.
#[derive(Debug, Clone)]
pub struct Field {
    /// JSON pointer into the valid input.
    pub ptr: String,
    pub required: bool,
    pub breakers: Vec<Value>,
}

pub fn field(ptr: &str, required: bool, breakers: Vec<Value>) -> Field {
    Field {
        ptr: ptr.to_owned(),
        required,
        breakers,
    }
}

/// A route under test.
#[derive(Debug, Clone)]
pub struct Spec {
    pub function: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    pub auth: AuthKind,
    pub input: Input,
    /// The body rejects unknown fields (`deny_unknown_fields`).
    pub strict: bool,
    /// A valid input (body, or the query as an object of strings).
    pub valid: Value,
    pub fields: Vec<Field>,
}

// ------------------------------------------------------------------ breakers

pub fn nested() -> Value {
    json!([[[[{"a": [[{"b": {"c": [null, [[[]]]]}}]]}]]]])
}

pub fn huge() -> Value {
    Value::String("x".repeat(100_000))
}

pub fn long(n: usize) -> Value {
    Value::String("y".repeat(n))
}

/// Values of the wrong JSON type for a string field (null included: the field is required or
/// a non-optional `String`).
pub fn not_string() -> Vec<Value> {
    vec![
        json!(0),
        json!(-1),
        json!(1.5),
        json!(1e300),
        json!(-9_223_372_036_854_775_808_i64),
        json!(18_446_744_073_709_551_615_u64),
        json!(true),
        json!([]),
        json!({}),
        json!(["a"]),
        nested(),
    ]
}

/// A required string of at most `max` characters without control characters (empty and
/// blank are invalid too).
pub fn text(max: usize) -> Vec<Value> {
    let mut v = not_string();
    v.extend([
        Value::Null,
        json!(""),
        json!("   "),
        long(max + 1),
        huge(),
        json!("a\u{0}b"),
        json!("bell\u{7}"),
        json!("\u{1b}[31mred"),
        json!("del\u{7f}"),
    ]);
    v
}

/// Like [`text`] for an optional field (null means absent, so it is left out).
pub fn opt_text(max: usize) -> Vec<Value> {
    text(max)
        .into_iter()
        .filter(|v| !v.is_null() && v != "" && v != "   ")
        .collect()
}

/// A required timestamp.
pub fn time() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!({}),
        json!({"year": 2023}),
        json!(""),
        json!("not a time"),
        json!("2023-13-45 99:99:99"),
        json!("10000-01-01T00:00:00Z"),
        json!("1969-12-31T23:59:59Z"),
        json!("2023-02-02T16:22:15+99:00"),
        json!(-1),
        json!(-1.5e300),
        json!(1e300),
        json!(f64::MAX),
        json!([]),
        json!([2023]),
        json!([2023, 1]),
        json!([2023, 13, 1, 0, 0, 0]),
        json!([2023, 2, 30, 0, 0, 0]),
        json!([2023, 1, 1, 24, 0, 0]),
        json!([2023, 1, 1, 0, 0, 60]),
        json!([2023, 1, 1, 0, 0, -1]),
        json!([-2023, 1, 1]),
        json!([4_294_967_296_u64, 1, 1]),
        json!(["2023", "1", "1"]),
        json!([2023, 1, 1, 0, 0, 0, 0]),
        json!([1.5, 1, 1]),
        huge(),
        nested(),
    ]
}

pub fn opt_time() -> Vec<Value> {
    time().into_iter().filter(|v| !v.is_null()).collect()
}

/// An unsigned integer field with the given valid range (optional: null is left out).
pub fn uint(min: i64, max: Option<u64>) -> Vec<Value> {
    let mut v = vec![
        json!(-1),
        json!(-9_223_372_036_854_775_808_i64),
        json!(1.5),
        json!(1e300),
        json!("1"),
        json!("abc"),
        json!(true),
        json!([]),
        json!({}),
        nested(),
    ];
    if min > 0 {
        v.push(json!(min - 1));
    }
    if let Some(max) = max {
        v.push(json!(max + 1));
        v.push(json!(u64::MAX));
    }
    v
}

/// A tenant name (1-64 of `A-Za-z0-9_.-`).
pub fn tenant() -> Vec<Value> {
    let mut v = not_string();
    v.extend([
        Value::Null,
        json!(""),
        json!("a b"),
        json!("ü"),
        json!("acme#1"),
        json!("x\u{0}"),
        long(65),
        huge(),
    ]);
    v
}

/// An enum given as a string (optional: null left out).
pub fn enum_value() -> Vec<Value> {
    vec![
        json!("nonsense"),
        json!(""),
        json!("OPEN!"),
        json!(1),
        json!(true),
        json!([]),
        json!({}),
        huge(),
    ]
}

/// A heartbeat app id: any number or boolean (as the seed), or 1-128 of `A-Za-z0-9_.:-`.
pub fn app_id() -> Vec<Value> {
    vec![
        Value::Null,
        json!([]),
        json!({}),
        json!(""),
        json!("a b"),
        json!("é"),
        json!("x/y"),
        long(129),
        huge(),
        nested(),
    ]
}

/// Query-string values (always text) that are invalid for a parameter.
pub fn q(values: &[&str]) -> Vec<Value> {
    values.iter().map(|v| json!(v)).collect()
}

/// A syntactically well-formed page token (hex JSON) that no query ever issued.
pub fn forged_tokens(names: &[&str], bound: (&str, &str)) -> Vec<Value> {
    let mut out = Vec::new();
    for filler in ["", "~~~~", "\u{0}", "ü", &"z".repeat(2000)] {
        let map: Map<String, Value> = names
            .iter()
            .map(|n| {
                let v = if *n == bound.0 { bound.1 } else { filler };
                ((*n).to_owned(), json!(v))
            })
            .collect();
        out.push(json!(hex::encode(Value::Object(map).to_string())));
    }
    out.push(json!(hex::encode("{}")));
    out.push(json!(hex::encode("[1,2]")));
    out.push(json!("zz"));
    out.push(json!("abc"));
    out
}

// ------------------------------------------------------------------ generated cases

/// Strings of every sort: any Unicode, control characters, long runs.
pub fn any_string() -> BoxedStrategy<String> {
    prop_oneof![
        4 => any::<String>(),
        4 => vec(any::<char>(), 0..40).prop_map(String::from_iter),
        1 => "[\\x00-\\x1f\\x7f]{1,8}",
        1 => (any::<char>(), 0_usize..5000).prop_map(|(c, n)| std::iter::repeat_n(c, n).collect()),
        1 => Just("x".repeat(100_000)),
    ]
    .boxed()
}

/// Any JSON value; object keys never name a real field (`zz…`), so a random object is never
/// a valid body by accident (every body route has a required field).
pub fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        any_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec(("zz[a-zA-Z_]{0,8}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
    .boxed()
}

/// A non-object JSON value.
pub fn not_object() -> BoxedStrategy<Value> {
    any_json()
        .prop_map(|v| match v {
            Value::Object(_) => json!([]),
            other => other,
        })
        .boxed()
}

/// Header values API Gateway can deliver: printable ASCII, or non-ASCII text.
pub fn header_value() -> BoxedStrategy<String> {
    prop_oneof![
        "[ -~]{0,300}",
        "[^\\x00-\\x7f]{1,40}",
        Just("k".repeat(10_000)),
    ]
    .boxed()
}

#[derive(Debug, Clone)]
pub enum Auth {
    Valid,
    Missing,
    Garbage(String),
    Oversized,
    /// `Authorization: Basic …` instead of a bearer token.
    WrongScheme(String),
    /// Credentials of the wrong kind (the API key on an admin route, the admin token on a
    /// tenant route, …).
    WrongKind,
}

fn auth() -> impl Strategy<Value = Auth> {
    prop_oneof![
        6 => Just(Auth::Valid),
        1 => Just(Auth::Missing),
        2 => header_value().prop_map(Auth::Garbage),
        1 => Just(Auth::Oversized),
        1 => header_value().prop_map(Auth::WrongScheme),
        1 => Just(Auth::WrongKind),
    ]
}

#[derive(Debug, Clone)]
pub enum Garbage {
    Bytes(Vec<u8>),
    Text(String),
    Json(Value),
}

#[derive(Debug, Clone)]
pub enum Break {
    /// Drop the n-th required field.
    Drop(usize),
    /// Set field n to its breaker m.
    Field(usize, usize),
    /// Add an unknown field (or query parameter).
    Extra(String, Value),
    /// Replace the whole body by a non-object.
    NotObject(Value),
}

/// A mutation of the valid input: random values first (noise), then one break that makes it
/// invalid whatever the noise did.
#[derive(Debug, Clone)]
pub struct Mutation {
    pub noise: Vec<(usize, Value)>,
    pub brk: Break,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub auth: Auth,
    /// Send the credentials as `Authorization: Bearer` instead of the route's own header.
    pub bearer_form: bool,
    /// Body routes: the body is this garbage instead of the mutated valid body.
    /// Query routes: sent as the (ignored) body.
    pub garbage: Option<Garbage>,
    /// `None`: the valid input (only with bad credentials).
    pub mutation: Option<Mutation>,
    /// Query noise for routes that ignore the query string (already encoded, may be malformed).
    pub query_noise: String,
    pub path_params: Vec<(String, String)>,
    pub extra_headers: Vec<(String, String)>,
    pub content_type: Option<String>,
    /// Send a JSON body base64 encoded (binary).
    pub base64: bool,
}

fn garbage() -> impl Strategy<Value = Garbage> {
    prop_oneof![
        vec(any::<u8>(), 0..2000).prop_map(Garbage::Bytes),
        any_string().prop_map(Garbage::Text),
        any_json().prop_map(Garbage::Json),
    ]
}

fn brk() -> impl Strategy<Value = Break> {
    prop_oneof![
        2 => any::<usize>().prop_map(Break::Drop),
        5 => (any::<usize>(), any::<usize>()).prop_map(|(f, b)| Break::Field(f, b)),
        1 => ("zz[a-z_]{0,10}", any_json()).prop_map(|(k, v)| Break::Extra(k, v)),
        1 => not_object().prop_map(Break::NotObject),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    (vec((any::<usize>(), any_json()), 0..3), brk())
        .prop_map(|(noise, brk)| Mutation { noise, brk })
}

fn raw_query() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        vec(("[a-z_]{0,12}", any_string()), 0..4).prop_map(|p| query_string(&p)),
        "[A-Za-z0-9%=&._~+-]{0,80}",
    ]
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(Some("application/json".to_owned())),
        Just(None),
        Just(Some("text/plain".to_owned())),
        Just(Some("application/x-www-form-urlencoded".to_owned())),
        Just(Some("multipart/form-data; boundary=zz".to_owned())),
        "[ -~]{0,40}".prop_map(Some),
    ]
}

/// Every case is invalid by construction: bad credentials, garbage, or a broken input.
pub fn case() -> impl Strategy<Value = Case> {
    (
        (auth(), any::<bool>(), any::<u8>()),
        proptest::option::of(garbage()),
        mutation(),
        raw_query(),
        vec(("[a-z_]{1,10}", "[ -~]{0,40}"), 0..3),
        vec(("x-[a-z-]{1,12}", header_value()), 0..3),
        content_type(),
        any::<bool>(),
    )
        .prop_map(
            |(
                (auth, bearer_form, keep),
                garbage,
                mutation,
                query_noise,
                path_params,
                extra_headers,
                content_type,
                base64,
            )| {
                // With bad credentials, a third of the cases keep the valid input.
                let mutation = match auth {
                    Auth::Valid => Some(mutation),
                    _ if keep % 3 == 0 => None,
                    _ => Some(mutation),
                };
                Case {
                    auth,
                    bearer_form,
                    garbage,
                    mutation,
                    query_noise,
                    path_params,
                    extra_headers,
                    content_type,
                    base64,
                }
            },
        )
}

// ------------------------------------------------------------------ applying a mutation

fn parent_and_key(ptr: &str) -> (&str, &str) {
    ptr.rsplit_once('/').unwrap_or(("", ptr))
}

fn remove(v: &mut Value, ptr: &str) -> bool {
    let (parent, key) = parent_and_key(ptr);
    match v.pointer_mut(parent) {
        Some(Value::Object(m)) => m.remove(key).is_some(),
        Some(Value::Array(a)) => match key.parse::<usize>() {
            Ok(i) if i < a.len() => {
                a.remove(i);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

fn set(v: &mut Value, ptr: &str, value: Value) -> bool {
    match v.pointer_mut(ptr) {
        Some(slot) => {
            *slot = value;
            true
        }
        None => {
            let (parent, key) = parent_and_key(ptr);
            match v.pointer_mut(parent) {
                Some(Value::Object(m)) => {
                    m.insert(key.to_owned(), value);
                    true
                }
                _ => false,
            }
        }
    }
}

/// Applies `m` to a copy of the spec's valid input; the result is invalid for the route.
/// For query routes the result is an object whose values become parameters.
pub fn mutate(spec: &Spec, m: &Mutation) -> Value {
    let mut v = spec.valid.clone();
    let fields = &spec.fields;
    if !fields.is_empty() {
        for (i, noise) in &m.noise {
            let f = &fields[i % fields.len()];
            let noise = if spec.input == Input::Query {
                Value::String(match noise {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
            } else {
                noise.clone()
            };
            set(&mut v, &f.ptr, noise);
        }
    }
    let required: Vec<&Field> = fields.iter().filter(|f| f.required).collect();
    let breakable: Vec<&Field> = fields.iter().filter(|f| !f.breakers.is_empty()).collect();
    let query = spec.input == Input::Query;
    let applied = match &m.brk {
        Break::Drop(i) if !required.is_empty() => remove(&mut v, &required[i % required.len()].ptr),
        Break::Extra(k, val) if spec.strict || query => {
            let val = if query {
                json!(val.to_string())
            } else {
                val.clone()
            };
            v.as_object_mut()
                .map(|o| o.insert(k.clone(), val))
                .is_some()
        }
        Break::NotObject(val) if !query => {
            v = val.clone();
            true
        }
        Break::Field(i, j) if !breakable.is_empty() => {
            let f = breakable[i % breakable.len()];
            set(&mut v, &f.ptr, f.breakers[j % f.breakers.len()].clone())
        }
        // The chosen kind does not apply to this route: break a field instead.
        other if !breakable.is_empty() => {
            let i = i_of(other);
            let f = breakable[i % breakable.len()];
            set(&mut v, &f.ptr, f.breakers[i / 7 % f.breakers.len()].clone())
        }
        _ => false,
    };
    if !applied {
        // The break could not be applied (noise removed its parent): fall back to what every
        // route rejects.
        if query {
            v.as_object_mut()
                .map(|o| o.insert("zz_unknown".to_owned(), json!("1")));
        } else {
            v = json!([]);
        }
    }
    v
}

fn i_of(b: &Break) -> usize {
    match b {
        Break::Drop(i) | Break::Field(i, _) => *i,
        Break::Extra(k, _) => k.len(),
        Break::NotObject(_) => 0,
    }
}

/// The query object as parameters.
pub fn query_pairs(v: &Value) -> Vec<(String, String)> {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    let s = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), s)
                })
                .collect()
        })
        .unwrap_or_default()
}
