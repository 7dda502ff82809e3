//! Test harness: each in-process test gets its own uuid-prefixed copy of template.yaml's
//! tables in moto; end-to-end tests share one `cargo lambda watch` started on first use.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Request, Response};
use lookout_core::auth::{sha256_hex, AdminAuth, Tenant};
use lookout_dev::{moto, provision, provision::Stack, template::Template};
use lookout_keys::ApiKeys;
use lookout_tracker::{self as tracker, TrackerStore};
use serde_json::{json, Value};

pub const ADMIN_TOKEN: &str = "test-admin-token";

/// The tracker's functions (seed 004): one `tracker::Deps` each, signed as its own role.
pub const TRACKER_FUNCTIONS: [&str; 5] = [
    "start-session",
    "add-event",
    "end-session",
    "get-session",
    "get-machine-events",
];

/// The functions built over `incidents::AdminDeps` (incident admin routes).
pub const INCIDENT_ADMIN_FUNCTIONS: [&str; 7] = [
    "admin-register-app",
    "admin-list-apps",
    "admin-update-app",
    "admin-delete-app",
    "admin-list-incidents",
    "admin-get-incident",
    "admin-update-incident",
];

/// The functions built over `broadcast::Deps` (contacts and the failed list).
pub const CONTACT_FUNCTIONS: [&str; 4] = [
    "create-contacts",
    "delete-contacts",
    "list-contacts",
    "list-failed-messages",
];

/// A fresh copy of the stack's tables and the handlers' dependencies.
///
/// As on AWS, every handler signs as its own function's IAM role (moto enforces IAM): build a
/// handler's clients with [`TestApp::sdk_for`]/[`TestApp::ddb_for`]. `ddb` is the provisioning
/// user's client, for tests' own setup and reads.
pub struct TestApp {
    pub ddb: aws_sdk_dynamodb::Client,
    pub endpoint: String,
    pub stack: Stack,
    trackers: BTreeMap<&'static str, tracker::Deps>,
    pub admin: admin_issue_api_key::Deps,
    /// The provisioning user's view of the API keys table (issues keys for tests).
    pub keys: ApiKeys,
    /// A key of tenant `acme`.
    pub api_key: String,
}

pub fn template() -> Template {
    Template::workspace_default().expect("template.yaml parses")
}

/// The Telegram chat every test stack sends admin alerts to (`AdminAlertContacts`): a
/// supergroup's id, which a tenant could spell `-01001000000001` (#30).
pub const ADMIN_ALERT_CHAT: &str = "-1001000000001";

fn admin_params() -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "AdminTokenSha256".to_owned(),
            sha256_hex(ADMIN_TOKEN.as_bytes()),
        ),
        (
            "AdminAlertContacts".to_owned(),
            format!(r#"{{"telegram": "{ADMIN_ALERT_CHAT}"}}"#),
        ),
    ])
}

pub async fn spawn_app() -> TestApp {
    let endpoint = moto::endpoint().expect("moto_server");
    let sdk = moto::sdk_config(&endpoint).await;
    let prefix = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let stack = provision::provision(&template(), &sdk, &prefix, &admin_params())
        .await
        .expect("provision from template.yaml");
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let keys_table = stack.table("ApiKeysTable").unwrap().to_owned();
    let keys = ApiKeys::new(ddb.clone(), &keys_table);
    let mut trackers = BTreeMap::new();
    for binary in TRACKER_FUNCTIONS {
        let own = aws_sdk_dynamodb::Client::new(
            &moto::function_config_unhurried(&endpoint, binary)
                .await
                .expect("the function's local IAM role"),
        );
        trackers.insert(
            binary,
            tracker::Deps {
                store: TrackerStore::new(
                    own.clone(),
                    stack.table("TrackerTable").unwrap(),
                    Some(90),
                ),
                keys: ApiKeys::new(own, &keys_table),
            },
        );
    }
    let own = aws_sdk_dynamodb::Client::new(
        &moto::function_config_unhurried(&endpoint, "admin-issue-api-key")
            .await
            .expect("the function's local IAM role"),
    );
    let admin = admin_issue_api_key::Deps {
        admin: AdminAuth::from_sha256_hex(&sha256_hex(ADMIN_TOKEN.as_bytes())).unwrap(),
        keys: ApiKeys::new(own, &keys_table),
        clock: lookout_core::time::system_clock(),
    };
    let api_key = keys
        .issue(&Tenant::parse("acme").unwrap(), "tests")
        .await
        .expect("issue key")
        .api_key;
    TestApp {
        ddb,
        endpoint,
        stack,
        trackers,
        admin,
        keys,
        api_key,
    }
}

impl TestApp {
    /// SDK configuration signed as function `binary`'s own IAM role.
    pub async fn sdk_for(&self, binary: &str) -> aws_config::SdkConfig {
        moto::function_config_unhurried(&self.endpoint, binary)
            .await
            .expect("the function's local IAM role")
    }

    /// A DynamoDB client signed as function `binary`'s own IAM role.
    pub async fn ddb_for(&self, binary: &str) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk_for(binary).await)
    }

    /// API key authentication as function `binary` does it (its own role).
    pub async fn keys_for(&self, binary: &str) -> ApiKeys {
        ApiKeys::new(
            self.ddb_for(binary).await,
            self.stack.table("ApiKeysTable").unwrap(),
        )
    }

    /// The dependencies of tracker function `binary` (one of [`TRACKER_FUNCTIONS`]).
    pub fn tracker(&self, binary: &str) -> &tracker::Deps {
        self.trackers
            .get(binary)
            .unwrap_or_else(|| panic!("{binary} is not a tracker function"))
    }

    /// A key for another tenant.
    pub async fn key_for(&self, tenant: &str) -> String {
        self.keys
            .issue(&Tenant::parse(tenant).unwrap(), "other")
            .await
            .unwrap()
            .api_key
    }

    pub fn tracker_table(&self) -> &str {
        self.stack.table("TrackerTable").unwrap()
    }

    /// Every item of a table (tests may scan; request paths never do).
    pub async fn items(
        &self,
        table: &str,
    ) -> Vec<std::collections::HashMap<String, AttributeValue>> {
        scan_all(&self.ddb, table).await
    }

    /// Every session and event item of the tracker table (not the tenants' daily quota
    /// counters, `QUOTA#<tenant>`, which `tracker_quota` tests on their own).
    pub async fn tracker_items(&self) -> Vec<std::collections::HashMap<String, AttributeValue>> {
        self.items(self.tracker_table())
            .await
            .into_iter()
            .filter(
                |i| !matches!(i.get("pk"), Some(AttributeValue::S(pk)) if pk.starts_with("QUOTA#")),
            )
            .collect()
    }
}

/// Every item of a table, strongly consistent, all pages (tests may scan; request paths never
/// do).
pub async fn scan_all(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Vec<std::collections::HashMap<String, AttributeValue>> {
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let page = ddb
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        out.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key;
        if start.is_none() {
            return out;
        }
    }
}

/// An API Gateway HTTP API (payload v2) POST request, parsed by lambda_http as in Lambda.
pub fn request(path: &str, headers: &[(&str, &str)], body: &str) -> Request {
    http_request("POST", path, &[], headers, body)
}

/// Any API Gateway HTTP API (payload v2) request; `query` becomes the query string.
pub fn http_request(
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
    body: &str,
) -> Request {
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| (k.to_lowercase(), json!(v)))
        .chain([("content-type".to_owned(), json!("application/json"))])
        .collect();
    let raw_query = query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let params: serde_json::Map<String, Value> = query
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    let mut event = json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "local",
            "domainPrefix": "local",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "tests"},
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": format!("{method} {path}"),
            "stage": "$default",
            "time": "25/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1_795_000_000_000_u64
        },
        "isBase64Encoded": false
    });
    if !params.is_empty() {
        event["queryStringParameters"] = Value::Object(params);
    }
    if !body.is_empty() || method != "GET" {
        event["body"] = json!(body);
    }
    lambda_http::request::from_str(&event.to_string()).expect("valid API Gateway v2 event")
}

/// Percent-encodes a query component.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Status and JSON body of a handler's response.
pub fn read(resp: Result<Response<Body>, lambda_http::Error>) -> (u16, Value) {
    let resp = resp.expect("handlers answer expected failures with Ok(response)");
    assert_eq!(
        resp.headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap()),
        Some("application/json")
    );
    let body: Value = serde_json::from_slice(resp.body().as_ref()).expect("JSON body");
    (resp.status().as_u16(), body)
}

/// [`read`], with the `Retry-After` header (quota and outage replies carry it).
pub fn read_with_retry_after(
    resp: Result<Response<Body>, lambda_http::Error>,
) -> (u16, Value, Option<String>) {
    let retry = resp.as_ref().ok().and_then(|r| {
        r.headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned())
    });
    let (status, body) = read(resp);
    (status, body, retry)
}

/// [`read`] of a reply that carries a secret when it succeeds (an API key, an app code, a log
/// token): a 2xx must also say `Cache-Control: no-store`.
pub fn read_secret(resp: Result<Response<Body>, lambda_http::Error>) -> (u16, Value) {
    if let Ok(r) = &resp {
        if r.status().is_success() {
            assert_eq!(
                r.headers()
                    .get("cache-control")
                    .map(|v| v.to_str().unwrap()),
                Some("no-store"),
                "a reply with a secret is never cached"
            );
        }
    }
    read(resp)
}

// ------------------------------------------------------------------ end to end

/// The stack served by `cargo lambda watch`: either the one the caller runs
/// (`LOOKOUT_API_URL`, `LOOKOUT_STACK`, `LOOKOUT_ADMIN_TOKEN`) or one started here.
#[derive(Debug, Clone)]
pub struct Live {
    pub base: String,
    pub moto: String,
    pub stack: Stack,
    pub admin_token: String,
}

struct WatchProcess {
    _child: Child,
    _stdin: ChildStdin,
}

static LIVE: OnceLock<Live> = OnceLock::new();
static WATCH: Mutex<Option<WatchProcess>> = Mutex::new(None);
static START: Mutex<()> = Mutex::new(());

/// Starts (once per test binary) or finds the live stack, and waits until it answers.
pub async fn live() -> Live {
    if let Some(l) = LIVE.get() {
        return l.clone();
    }
    let live = tokio::task::spawn_blocking(|| {
        let _one_at_a_time = START
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(l) = LIVE.get() {
            return l.clone();
        }
        let live = start_live();
        let _ = LIVE.set(live.clone());
        live
    })
    .await
    .expect("starting the live stack");
    live
}

fn start_live() -> Live {
    if let Ok(base) = std::env::var("LOOKOUT_API_URL") {
        let stack_file =
            std::env::var("LOOKOUT_STACK").expect("LOOKOUT_STACK with LOOKOUT_API_URL");
        let stack: Stack =
            serde_json::from_str(&std::fs::read_to_string(stack_file).unwrap()).unwrap();
        return Live {
            base,
            moto: moto::endpoint().unwrap(),
            stack,
            admin_token: std::env::var("LOOKOUT_ADMIN_TOKEN").expect("LOOKOUT_ADMIN_TOKEN"),
        };
    }
    let endpoint = moto::endpoint().expect("moto_server");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let tpl = template();
    let prefix = format!("e2e{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let (stack, creds) = rt.block_on(async {
        let sdk = moto::sdk_config(&endpoint).await;
        let stack = provision::provision(&tpl, &sdk, &prefix, &admin_params())
            .await
            .unwrap();
        put_emulator_tokens(&sdk, &stack).await;
        let creds = lookout_dev::iam::function_credentials(&sdk, &tpl)
            .await
            .expect("local IAM roles from the SAM-transformed template");
        (stack, creds)
    });
    let root = lookout_dev::template::workspace_root();
    let scratch = root.join("target/e2e");
    std::fs::create_dir_all(&scratch).unwrap();
    // Each function under watch signs with its own role (a profile named after it).
    let creds_file = scratch.join(format!("{prefix}.credentials"));
    std::fs::write(&creds_file, lookout_dev::iam::credentials_file(&creds)).unwrap();
    // Seed 003: the messenger base URLs (template parameters) point at this process's emulator.
    let (stack, env) =
        with_messenger_emulator(&tpl, stack, moto::function_env(&endpoint, &creds_file));
    let env_file = scratch.join(format!("{prefix}.env"));
    let mut f = std::fs::File::create(&env_file).unwrap();
    for (k, v) in &env {
        write!(f, "{}", lookout_dev::env_line(k, v)).unwrap();
    }
    let port = free_port();
    // The shell stops watch when our stdin closes, i.e. when this test process ends.
    let script = r#"cargo lambda watch -A 127.0.0.1 -P "$1" --env-file "$2" --ignore-changes >"$3" 2>&1 & pid=$!; cat >/dev/null; kill $pid 2>/dev/null; wait $pid"#;
    let log = scratch.join(format!("{prefix}.watch.log"));
    let mut child = Command::new("sh")
        .current_dir(&root)
        .args(["-c", script, "watch", &port.to_string()])
        .arg(&env_file)
        .arg(&log)
        .stdin(Stdio::piped())
        .spawn()
        .expect("cargo lambda watch (is cargo-lambda installed? run scripts/bootstrap.sh)");
    let stdin = child.stdin.take().unwrap();
    show_watch_log_on_panic(log.clone());
    *WATCH
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(WatchProcess {
        _child: child,
        _stdin: stdin,
    });
    let base = format!("http://127.0.0.1:{port}");
    wait_for_port(port, Duration::from_secs(120));
    Live {
        base,
        moto: endpoint,
        stack,
        admin_token: ADMIN_TOKEN.to_owned(),
    }
}

/// A failing end-to-end test prints the tail of its watch's log after the panic message: in CI
/// that log is all there is to tell a function that failed to start from one that answered wrong.
fn show_watch_log_on_panic(log: std::path::PathBuf) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        previous(info);
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(80)..].join("\n");
        let mut plain = String::with_capacity(tail.len());
        let mut chars = tail.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                // An ANSI colour sequence: ESC [ ... m.
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                plain.push(c);
            }
        }
        eprintln!(
            "--- the last lines of cargo lambda watch's log ({}) ---\n{plain}\n--- end of the watch log ---",
            log.display()
        );
    }));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, limit: Duration) {
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < limit,
            "cargo lambda watch did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Live {
    /// HTTP client with room for watch compiling a function on its first request.
    pub fn http() -> reqwest::Client {
        lookout_dev::init_tls();
        reqwest::Client::builder()
            .timeout(Duration::from_secs(600))
            .build()
            .unwrap()
    }

    /// POSTs a raw body; returns status and JSON body.
    pub async fn post_raw(&self, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, Value) {
        let mut req = Self::http()
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_owned());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.expect("request to cargo lambda watch");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("non-JSON reply {status}: {text}"));
        (status, body)
    }

    /// GETs `path` with a query string; returns status and JSON body.
    pub async fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut req = Self::http()
            .get(format!("{}{path}", self.base))
            .query(query);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.expect("request to cargo lambda watch");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("non-JSON reply {status}: {text}"));
        (status, body)
    }

    pub async fn post(&self, path: &str, key: &str, body: &Value) -> (u16, Value) {
        self.post_raw(path, &[("x-api-key", key)], &body.to_string())
            .await
    }

    /// Issues a key through the admin route.
    pub async fn issue_key(&self, tenant: &str) -> String {
        let bearer = format!("Bearer {}", self.admin_token);
        let (status, body) = self
            .post_raw(
                "/admin/api_keys",
                &[("authorization", &bearer)],
                &json!({"tenant": tenant}).to_string(),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["apiKey"].as_str().unwrap().to_owned()
    }

    pub async fn ddb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&moto::sdk_config(&self.moto).await)
    }
}

// ------------------------------------------------------------------ the seeds' clients, byte for byte

/// A reply read off the wire.
#[derive(Debug, Clone)]
pub struct RawReply {
    pub status: u16,
    /// Header names in lowercase, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (what `json.loads(await req.text())` / `res.json()` would read).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|_| panic!("not JSON ({}): {}", self.status, self.body))
    }
}

/// One HTTP/1.1 exchange with exactly these request bytes (a fresh connection each time).
pub async fn raw_exchange(base: &str, request: &[u8]) -> RawReply {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0_u8; 8192];
    // Room for watch compiling a function on its first request.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    loop {
        let n = tokio::time::timeout_at(deadline, stream.read(&mut chunk))
            .await
            .expect("an answer from watch")
            .unwrap();
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = &text[..end];
            let length = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length || n == 0 {
                let mut lines = head.lines();
                let status = lines
                    .next()
                    .and_then(|l| l.split(' ').nth(1))
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| panic!("no status line: {head}"));
                let headers = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_owned()))
                    .collect();
                let body = String::from_utf8_lossy(&buf[end + 4..]).to_string();
                return RawReply {
                    status,
                    headers,
                    body,
                };
            }
        }
        assert!(
            n > 0,
            "connection closed early: {}",
            String::from_utf8_lossy(&buf)
        );
    }
}

/// `Authorization: Basic …` for a base URL `http://lookout:<key>@host`: what requests, aiohttp
/// and curl send for credentials in the URL.
pub fn basic_for_url_key(key: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("lookout:{key}"))
    )
}

fn host_of(base: &str) -> &str {
    base.trim_start_matches("http://")
}

/// The bytes python-requests 2.x writes for `requests.<method>(url, json=body)` with the key in
/// the URL (recorded from requests 2.34.2).
pub fn requests_bytes(method: &str, base: &str, path: &str, key: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: python-requests/2.34.2\r\nAccept-Encoding: gzip, deflate\r\nAccept: */*\r\nConnection: keep-alive\r\nContent-Length: {}\r\nContent-Type: application/json\r\nAuthorization: {}\r\n\r\n{body}",
        host_of(base),
        body.len(),
        basic_for_url_key(key)
    )
    .into_bytes()
}

/// The bytes aiohttp 3.x writes for `session.request(method, url, json=body)` with the key in
/// the URL (recorded from aiohttp 3.14.5; the method is upper-cased, GET keeps its body).
pub fn aiohttp_bytes(method: &str, base: &str, path: &str, key: &str, body: &str) -> Vec<u8> {
    format!(
        "{} {path} HTTP/1.1\r\nHost: {}\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\nUser-Agent: Python/3.11 aiohttp/3.14.5\r\nAuthorization: {}\r\nContent-Length: {}\r\nContent-Type: application/json\r\n\r\n{body}",
        method.to_ascii_uppercase(),
        host_of(base),
        basic_for_url_key(key),
        body.len()
    )
    .into_bytes()
}

/// The bytes curl 7.88 writes for `curl --header "Content-Type: application/json" --request
/// <method> --data '<body>' http://lookout:<key>@host<path>` (the seeds' READMEs' form).
pub fn curl_bytes(method: &str, base: &str, path: &str, key: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: {}\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        host_of(base),
        basic_for_url_key(key),
        body.len()
    )
    .into_bytes()
}

/// A JSON string as Python's `json.dumps` writes it (non-ASCII as `\uXXXX`).
pub fn python_json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut buf = [0_u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

static PUMP_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One test at a time drives the live stack's messenger queue and schedule group: a second pump
/// would take the first test's messages (and leave them invisible for their backoff) and fire
/// its schedules. Hold the guard for the whole test.
pub async fn pump_turn() -> tokio::sync::MutexGuard<'static, ()> {
    PUMP_TURN.lock().await
}

/// The local event pump for this live stack's messenger: its consumer and schedule group only,
/// no long polling.
pub async fn messenger_pump(l: &Live) -> lookout_dev::pump::Pump {
    let group = l.stack.schedule_groups["MessengerScheduleGroup"].clone();
    let functions = template()
        .functions()
        .unwrap()
        .into_iter()
        .filter(|f| f.binary == "deliver-messages")
        .collect();
    let mut config = lookout_dev::pump::PumpConfig::new(l.stack.clone(), functions, l.base.clone());
    config.sqs_wait_seconds = 0;
    config.schedule_group = Some(group);
    let sdk = moto::sdk_config(&l.moto).await;
    lookout_dev::pump::Pump::new(config, &sdk).unwrap()
}

/// The local event pump for this live stack's app-events queue only (heartbeat transitions →
/// `apply-app-transitions`), no long polling. Several may run at once: each message is taken once.
pub async fn app_events_pump(l: &Live) -> lookout_dev::pump::Pump {
    let functions = template()
        .functions()
        .unwrap()
        .into_iter()
        .filter(|f| f.binary == "apply-app-transitions")
        .collect();
    let mut config = lookout_dev::pump::PumpConfig::new(l.stack.clone(), functions, l.base.clone());
    config.sqs_wait_seconds = 0;
    let sdk = moto::sdk_config(&l.moto).await;
    lookout_dev::pump::Pump::new(config, &sdk).unwrap()
}

/// The local event pump for this live stack's alerts queue only (tenant alerts →
/// `deliver-alerts`) and the alerts' schedule group (their repeats), no long polling. Several
/// may run at once: each message is taken once.
pub async fn alerts_pump(l: &Live) -> lookout_dev::pump::Pump {
    let functions = template()
        .functions()
        .unwrap()
        .into_iter()
        .filter(|f| f.binary == "deliver-alerts")
        .collect();
    let mut config = lookout_dev::pump::PumpConfig::new(l.stack.clone(), functions, l.base.clone());
    config.sqs_wait_seconds = 0;
    // The repeats of unacknowledged alerts.
    config.schedule_group = Some(l.stack.schedule_groups["AlertsScheduleGroup"].clone());
    let sdk = moto::sdk_config(&l.moto).await;
    lookout_dev::pump::Pump::new(config, &sdk).unwrap()
}

/// Messages on the alerts queue, waiting or in flight (0: every alert taken was handled).
pub async fn alerts_in_queue(l: &Live) -> u64 {
    use aws_sdk_sqs::types::QueueAttributeName;
    let sqs = aws_sdk_sqs::Client::new(&moto::sdk_config(&l.moto).await);
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&l.stack.queues["AlertsQueue"].url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    [
        QueueAttributeName::ApproximateNumberOfMessages,
        QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
    ]
    .iter()
    .filter_map(|n| attrs.attributes().and_then(|a| a.get(n)))
    .filter_map(|v| v.parse::<u64>().ok())
    .sum()
}

// ------------------------------------------------------------------ mail and invocations

/// A mail SES accepted, as moto records it (`GET {moto}/moto-api/data.json`, `ses.Message`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMail {
    pub id: String,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
}

/// Every mail moto's SES has accepted so far (all tests share one moto: filter by recipient
/// or subject).
pub async fn sent_mail(moto: &str) -> Vec<SentMail> {
    // moto builds data.json by walking every model while other requests may add to them; a
    // walk that collides with one answers 500, so ask again.
    let mut data = Value::Null;
    for attempt in 0..10 {
        let resp = Live::http()
            .get(format!("{moto}/moto-api/data.json"))
            .send()
            .await
            .expect("moto data.json");
        match resp.json::<Value>().await {
            Ok(v) => {
                data = v;
                break;
            }
            Err(err) if attempt < 9 => {
                eprintln!("moto data.json: {err}; asking again");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(err) => panic!("data.json is JSON: {err}"),
        }
    }
    let text = |m: &Value, k: &str| m[k].as_str().unwrap_or_default().to_owned();
    data["ses"]["Message"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|m| SentMail {
            id: text(m, "id"),
            from: text(m, "source"),
            to: m["destinations"]["ToAddresses"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect(),
            subject: text(m, "subject"),
            body: text(m, "body"),
        })
        .collect()
}

impl Live {
    /// Invokes a function through watch's Lambda Invoke API
    /// (`POST {base}/2015-03-31/functions/{name}/invocations`); returns the HTTP status, the
    /// `X-Amz-Function-Error` header if any, and the JSON result.
    pub async fn invoke(&self, function: &str, event: &Value) -> (u16, Option<String>, Value) {
        let resp = Self::http()
            .post(format!(
                "{}/2015-03-31/functions/{function}/invocations",
                self.base
            ))
            .json(event)
            .send()
            .await
            .expect("invoke through cargo lambda watch");
        let status = resp.status().as_u16();
        let error = resp
            .headers()
            .get("x-amz-function-error")
            .map(|v| v.to_str().unwrap_or("?").to_owned());
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, error, body)
    }
}

// ------------------------------------------------------------------ messenger emulator (seed 003)

/// Template parameters that point the messenger adapters at the emulator at `url`, with
/// retries without delay (`scripts/start.sh` passes the same). The tokens go into the
/// messenger secret: [`put_emulator_tokens`].
pub fn messenger_params(url: &str) -> BTreeMap<String, String> {
    let url = url.trim_end_matches('/');
    [
        ("TelegramApiBase", format!("{url}/telegram")),
        // New incidents are also posted here: report-incident reads the bot token from the
        // messenger secret at its cold start.
        ("TelegramAdminChatId", EMULATOR_ADMIN_CHAT.to_owned()),
        ("WhatsAppApiBase", format!("{url}/whatsapp")),
        ("WhatsAppPhoneNumberId", "100000000000001".to_owned()),
        ("ViberApiBase", format!("{url}/viber")),
        ("MessengerRetryBaseSeconds", "0".to_owned()),
        // Alert channels may point at the emulator (http://127.0.0.1:<port>/slack/…).
        ("DevAllowLoopbackWebhooks", "true".to_owned()),
        // A revoked key is refused within this bound (as scripts/start.sh sets it).
        (
            "CredentialCacheSeconds",
            LIVE_CREDENTIAL_CACHE_SECONDS.to_string(),
        ),
        // More index shards than the default: the e2e tests see the scanner follow it.
        ("HeartbeatIndexShards", LIVE_INDEX_SHARDS.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The live stack's `HeartbeatIndexShards`.
pub const LIVE_INDEX_SHARDS: u32 = 16;

/// How long the live stack's functions trust a credential they verified
/// (`CredentialCacheSeconds`).
pub const LIVE_CREDENTIAL_CACHE_SECONDS: u64 = 2;

/// The Telegram chat the live stack announces new incidents in.
pub const EMULATOR_ADMIN_CHAT: &str = "-1001000000001";

/// The emulator's dummy tokens, as the operator would store them in the messenger secret.
pub const EMULATOR_TOKENS: &str = r#"{"telegram_bot_token":"emulator-bot-token","whatsapp_access_token":"emulator-access-token","viber_auth_token":"emulator-auth-token"}"#;

/// Stores [`EMULATOR_TOKENS`] in the stack's messenger secret (`put-secret-value` after a
/// deploy); functions read it at their cold start.
pub async fn put_emulator_tokens(sdk: &aws_config::SdkConfig, stack: &Stack) {
    provision::put_secret(sdk, stack, "MessengerSecret", EMULATOR_TOKENS)
        .await
        .expect("messenger secret stored");
}

/// Starts this process's messenger emulator (once) and resolves the functions' environment
/// with [`messenger_params`] pointing at it, plus `client_env`.
fn with_messenger_emulator(
    tpl: &Template,
    mut stack: Stack,
    client_env: Vec<(String, String)>,
) -> (Stack, BTreeMap<String, String>) {
    let emulator = lookout_dev::emulator::Emulator::shared().expect("messenger emulator");
    stack.params.extend(messenger_params(emulator.url()));
    let mut env = stack.merged_env(tpl).unwrap();
    env.extend(client_env);
    (stack, env)
}

impl Live {
    /// Base URL of the messenger emulator the live stack calls (from its parameters).
    pub fn emulator_url(&self) -> String {
        self.stack
            .params
            .get("TelegramApiBase")
            .map(|u| u.trim_end_matches("/telegram").to_owned())
            .unwrap_or_default()
    }

    /// Everything the emulator has received so far (`GET /_received`; all tests share it).
    pub async fn emulator_received(&self) -> Vec<lookout_dev::emulator::Received> {
        Self::http()
            .get(format!("{}/_received", self.emulator_url()))
            .send()
            .await
            .expect("the messenger emulator answers")
            .json()
            .await
            .expect("emulator records are JSON")
    }
}
