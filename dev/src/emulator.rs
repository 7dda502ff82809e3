//! The messenger emulator (dev and tests only): speaks just enough of the three APIs the
//! messenger adapters (`lookout_messenger::Messenger`) call, and records every request.
//!
//! | route | answers like |
//! |---|---|
//! | `POST /telegram/bot{token}/sendMessage` `{"chat_id","text"}` | Telegram Bot API: `{"ok":true,"result":{"message_id",…}}`; `403` "bot was blocked by the user" when the chat id contains `blocked`; `400` without `chat_id`/`text`, and `400` "Bad Request: message is too long" over 4096 characters |
//! | `POST /whatsapp/{phone_number_id}/messages` (bearer) `{"messaging_product":"whatsapp","to","type":"text","text":{"body"}}` | WhatsApp Cloud API: `{"messages":[{"id":"wamid.…"}]}`; `401` without a bearer token, `400` for another shape, `400` `(#100) Param text['body'] must be at most 4096 characters long.` over 4096 |
//! | `POST /viber/pa/send_message` (`X-Viber-Auth-Token`) `{"receiver","type":"text","text","sender":{"name"}}` | Viber REST API, and like the seed's emulator it **always fails**: HTTP 200 with `{"status":12,"status_message":"tooManyRequests"}` (Viber reports errors in the body); over 7000 characters `{"status":3,"status_message":"badData"}`, a permanent failure |
//! | `GET /_received` | every request so far, oldest first (`[{"messenger","address","text","credential","status","accepted","body","at"}]`) |
//! | `DELETE /_received` | forgets them |
//! | `POST /_fail` `{"messenger","status","times"}` | the next `times` requests to that messenger fail with `status` (e.g. 503, 429) |
//! | `GET /_health` | `{"ok":true}` |
//!
//! Base URLs for the adapters are `{url}/telegram`, `{url}/whatsapp`, `{url}/viber`
//! (`MessengerConfig::emulated(url)`). HTTP/1.1, one request per connection, bodies up to 1 MB.
//!
//! Text lengths are counted in UTF-16 code units, as Telegram counts them, and the same for
//! WhatsApp and Viber: their documents say "characters", and this is the strictest reading (an
//! emoji is two), so a text Lookout sends too long for any reading of a limit fails a test. The
//! limits are written out here, not taken from the adapters, so that a wrong one there shows.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::{debug, info, warn};

/// Largest request body read.
const MAX_BODY: usize = 1024 * 1024;
/// Largest request head read.
const MAX_HEAD: usize = 64 * 1024;
/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Telegram Bot API `sendMessage`: "1-4096 characters after entities parsing".
const TELEGRAM_MAX_TEXT: usize = 4096;
/// WhatsApp Cloud API text message: "Maximum length: 4096 characters".
const WHATSAPP_MAX_TEXT: usize = 4096;
/// Viber REST API `send_message` text: "Max length 7,000 characters".
const VIBER_MAX_TEXT: usize = 7000;

/// A text's length as the emulated services count it: UTF-16 code units.
fn text_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// One request the emulator answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Received {
    /// `telegram`, `whatsapp` or `viber`.
    pub messenger: String,
    /// `chat_id`, `to` or `receiver` (numbers as text).
    pub address: String,
    pub text: String,
    /// The bot token, bearer token or Viber auth token the request carried.
    pub credential: String,
    /// The HTTP status the emulator answered.
    pub status: u16,
    /// Whether the answer was a success in the messenger's terms.
    pub accepted: bool,
    /// The JSON body as received.
    pub body: Value,
    /// When (RFC 3339).
    pub at: String,
}

#[derive(Debug, Default)]
struct State {
    received: Vec<Received>,
    /// Injected failures per messenger: statuses to answer next.
    failures: HashMap<String, VecDeque<u16>>,
    next_id: u64,
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> std::sync::MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A running emulator on its own thread; stops when dropped.
#[derive(Debug)]
pub struct Emulator {
    url: String,
    state: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Emulator {
    /// Listens on `addr` (`127.0.0.1:0` picks a free port) and serves from a thread of its
    /// own, so it outlives the caller's runtime (each `#[tokio::test]` has one).
    pub fn start(addr: &str) -> Result<Self> {
        let std_listener =
            std::net::TcpListener::bind(addr).with_context(|| format!("binding {addr}"))?;
        std_listener.set_nonblocking(true)?;
        let url = format!("http://{}", std_listener.local_addr()?);
        let state: Shared = Arc::default();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = state.clone();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("emulator runtime")?;
        std::thread::Builder::new()
            .name("messenger-emulator".into())
            .spawn(move || {
                rt.block_on(async move {
                    let listener = match TcpListener::from_std(std_listener) {
                        Ok(l) => l,
                        Err(err) => {
                            warn!("messenger emulator cannot listen: {err}");
                            return;
                        }
                    };
                    tokio::select! {
                        () = serve(listener, served) => {}
                        _ = stopped => {}
                    }
                });
            })
            .context("emulator thread")?;
        Ok(Self {
            url,
            state,
            stop: Some(stop),
        })
    }

    /// One emulator per process, started on first use (the live test stack points at it).
    pub fn shared() -> Result<&'static Self> {
        static SHARED: OnceLock<Emulator> = OnceLock::new();
        if let Some(e) = SHARED.get() {
            return Ok(e);
        }
        let started = Self::start("127.0.0.1:0")?;
        // A racing first call may have won; its emulator is used and ours is dropped.
        Ok(SHARED.get_or_init(|| started))
    }

    /// `http://127.0.0.1:<port>`
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request answered so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.state).received.clone()
    }

    /// The next `times` requests to `messenger` (`telegram`, `whatsapp`, `viber`) are answered
    /// as usual, before the failures [`fail_next`](Self::fail_next) queues after them: to fail
    /// a later part of a text sent in parts.
    pub fn pass_next(&self, messenger: &str, times: usize) {
        self.fail_next(messenger, PASS, times);
    }

    /// The next `times` requests to `messenger` (`telegram`, `whatsapp`, `viber`) fail with
    /// `status`.
    pub fn fail_next(&self, messenger: &str, status: u16, times: usize) {
        lock(&self.state)
            .failures
            .entry(messenger.to_owned())
            .or_default()
            .extend(std::iter::repeat_n(status, times));
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves forever on `listener` (the `messenger-emulator` binary's loop).
pub async fn serve_forever(listener: TcpListener) {
    serve(listener, Arc::default()).await;
}

async fn serve(listener: TcpListener, state: Shared) {
    loop {
        match listener.accept().await {
            Ok((sock, _)) => {
                let state = state.clone();
                tokio::spawn(async move {
                    if let Err(err) = connection(sock, state).await {
                        debug!("emulator connection: {err:#}");
                    }
                });
            }
            Err(err) => {
                warn!("emulator accept: {err}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// One parsed request.
struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

async fn read_request(sock: &mut TcpStream) -> Result<Request> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        if buf.len() > MAX_HEAD {
            return Err(anyhow!("request head too large"));
        }
        let mut chunk = [0_u8; 8192];
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Err(anyhow!("connection closed before the request head ended"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).context("request head is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split_whitespace();
    let method = first.next().unwrap_or_default().to_owned();
    let target = first.next().unwrap_or_default();
    let path = target.split('?').next().unwrap_or_default().to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        return Err(anyhow!("chunked bodies are not supported"));
    }
    let length: usize = headers
        .get("content-length")
        .map(|v| v.parse())
        .transpose()
        .context("bad content-length")?
        .unwrap_or(0);
    if length > MAX_BODY {
        return Err(anyhow!("body of {length} bytes is too large"));
    }
    while buf.len() < head_end + length {
        let mut chunk = [0_u8; 8192];
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Err(anyhow!("connection closed mid-body"));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(Request {
        method,
        path,
        headers,
        body: buf[head_end..head_end + length].to_vec(),
    })
}

async fn connection(mut sock: TcpStream, state: Shared) -> Result<()> {
    let req = match tokio::time::timeout(READ_TIMEOUT, read_request(&mut sock)).await {
        Ok(Ok(req)) => req,
        Ok(Err(err)) => {
            respond(&mut sock, 400, &json!({"error": err.to_string()})).await?;
            return Ok(());
        }
        Err(_) => return Err(anyhow!("client too slow")),
    };
    let (status, body) = route(&req, &state);
    respond(&mut sock, status, &body).await
}

async fn respond(sock: &mut TcpStream, status: u16, body: &Value) -> Result<()> {
    let text = body.to_string();
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        _ => "Emulated",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        text.len()
    );
    sock.write_all(head.as_bytes()).await?;
    sock.write_all(text.as_bytes()).await?;
    sock.shutdown().await.ok();
    Ok(())
}

fn route(req: &Request, state: &Shared) -> (u16, Value) {
    let segments: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    match (req.method.as_str(), segments.as_slice()) {
        ("POST", ["telegram", bot, "sendMessage"]) if bot.starts_with("bot") => {
            telegram(req, bot.strip_prefix("bot").unwrap_or_default(), state)
        }
        ("POST", ["whatsapp", _phone_number_id, "messages"]) => whatsapp(req, state),
        ("POST", ["viber", "pa", "send_message"]) => viber(req, state),
        ("GET", ["_received"]) => (200, json!(lock(state).received)),
        ("DELETE", ["_received"]) => {
            lock(state).received.clear();
            (200, json!({"ok": true}))
        }
        ("POST", ["_fail"]) => inject(req, state),
        ("GET", ["_health"]) => (200, json!({"ok": true})),
        (_, ["telegram" | "whatsapp" | "viber" | "_received" | "_fail", ..]) => (
            405,
            json!({"error": format!("{} {} is not emulated", req.method, req.path)}),
        ),
        _ => (
            404,
            json!({"error": format!("no route {} {}", req.method, req.path)}),
        ),
    }
}

fn json_body(req: &Request) -> Option<Value> {
    serde_json::from_slice(&req.body).ok()
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// In the queue of injected failures: answer this request as usual ([`Emulator::pass_next`]).
const PASS: u16 = 200;

/// Records the request and returns the injected failure status, if one is queued.
fn record(
    state: &Shared,
    messenger: &str,
    address: String,
    text: String,
    credential: String,
    body: Value,
    answer: impl FnOnce(Option<u16>, u64) -> (u16, bool, Value),
) -> (u16, Value) {
    let mut s = lock(state);
    let injected = s
        .failures
        .get_mut(messenger)
        .and_then(VecDeque::pop_front)
        .filter(|&status| status != PASS);
    s.next_id += 1;
    let (status, accepted, reply) = answer(injected, s.next_id);
    info!(messenger, address, status, accepted, "emulated");
    s.received.push(Received {
        messenger: messenger.to_owned(),
        address,
        text,
        credential,
        status,
        accepted,
        body,
        at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    });
    (status, reply)
}

fn telegram(req: &Request, token: &str, state: &Shared) -> (u16, Value) {
    let body = json_body(req).unwrap_or(Value::Null);
    let chat = as_text(&body["chat_id"]);
    let text = as_text(&body["text"]);
    let bad = |description: &str| json!({"ok": false, "error_code": 400, "description": format!("Bad Request: {description}")});
    record(
        state,
        "telegram",
        chat.clone(),
        text.clone(),
        token.to_owned(),
        body.clone(),
        |injected, id| {
            if let Some(status) = injected {
                let description = if status == 429 {
                    "Too Many Requests: retry after 1"
                } else {
                    "Internal Server Error"
                };
                return (
                    status,
                    false,
                    json!({"ok": false, "error_code": status, "description": description, "parameters": {"retry_after": 1}}),
                );
            }
            if token.is_empty() {
                return (
                    404,
                    false,
                    json!({"ok": false, "error_code": 404, "description": "Not Found"}),
                );
            }
            if chat.is_empty() {
                return (400, false, bad("chat_id is empty"));
            }
            if text.trim().is_empty() {
                return (400, false, bad("message text is empty"));
            }
            if text_len(&text) > TELEGRAM_MAX_TEXT {
                return (400, false, bad("message is too long"));
            }
            if chat.contains("blocked") {
                return (
                    403,
                    false,
                    json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
                );
            }
            (
                200,
                true,
                json!({"ok": true, "result": {
                    "message_id": id,
                    "date": chrono::Utc::now().timestamp(),
                    "chat": {"id": body["chat_id"]},
                    "text": text,
                }}),
            )
        },
    )
}

fn whatsapp(req: &Request, state: &Shared) -> (u16, Value) {
    let body = json_body(req).unwrap_or(Value::Null);
    let bearer = req
        .headers
        .get("authorization")
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .unwrap_or_default()
        .trim()
        .to_owned();
    let to = as_text(&body["to"]);
    let text = as_text(&body["text"]["body"]);
    let error = |status: u16, code: u32, message: &str| {
        (
            status,
            false,
            json!({"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "emulator"}}),
        )
    };
    let shape_ok = body["messaging_product"] == "whatsapp"
        && body["type"] == "text"
        && !to.is_empty()
        && !text.trim().is_empty();
    record(
        state,
        "whatsapp",
        to.clone(),
        text.clone(),
        bearer.clone(),
        body.clone(),
        |injected, id| {
            if let Some(status) = injected {
                return error(status, 2, "Service temporarily unavailable");
            }
            if bearer.is_empty() {
                return error(401, 190, "Invalid OAuth access token.");
            }
            if !shape_ok {
                return error(400, 100, "(#100) Invalid parameter");
            }
            if text_len(&text) > WHATSAPP_MAX_TEXT {
                let details = format!(
                    "Param text['body'] must be at most {WHATSAPP_MAX_TEXT} characters long."
                );
                return (
                    400,
                    false,
                    json!({"error": {
                        "message": format!("(#100) {details}"),
                        "type": "OAuthException",
                        "code": 100,
                        "error_data": {"messaging_product": "whatsapp", "details": details},
                        "fbtrace_id": "emulator",
                    }}),
                );
            }
            (
                200,
                true,
                json!({
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": to, "wa_id": to.trim_start_matches('+')}],
                    "messages": [{"id": format!("wamid.emulator{id}")}],
                }),
            )
        },
    )
}

fn viber(req: &Request, state: &Shared) -> (u16, Value) {
    let body = json_body(req).unwrap_or(Value::Null);
    let token = req
        .headers
        .get("x-viber-auth-token")
        .cloned()
        .unwrap_or_default();
    let text = as_text(&body["text"]);
    let too_long = text_len(&text) > VIBER_MAX_TEXT;
    record(
        state,
        "viber",
        as_text(&body["receiver"]),
        text,
        token,
        body.clone(),
        |injected, _| {
            if let Some(status) = injected {
                return (
                    status,
                    false,
                    json!({"status": 13, "status_message": "emulated outage"}),
                );
            }
            if too_long {
                // A request Viber cannot take: permanent, unlike the rate limit below.
                return (
                    200,
                    false,
                    json!({"status": 3, "status_message": "badData", "chat_hostname": "emulator"}),
                );
            }
            // The seed's emulator: Viber always fails. Viber reports failures in a 200 body.
            (
                200,
                false,
                json!({"status": 12, "status_message": "tooManyRequests", "chat_hostname": "emulator"}),
            )
        },
    )
}

#[derive(Deserialize)]
struct FailIn {
    messenger: String,
    status: u16,
    #[serde(default = "one")]
    times: usize,
}

fn one() -> usize {
    1
}

fn inject(req: &Request, state: &Shared) -> (u16, Value) {
    match serde_json::from_slice::<FailIn>(&req.body) {
        Ok(f)
            if matches!(f.messenger.as_str(), "telegram" | "whatsapp" | "viber")
                && (400..600).contains(&f.status)
                && f.times <= 1000 =>
        {
            lock(state)
                .failures
                .entry(f.messenger)
                .or_default()
                .extend(std::iter::repeat_n(f.status, f.times));
            (200, json!({"ok": true}))
        }
        _ => (
            400,
            json!({"error": "expected {\"messenger\": telegram|whatsapp|viber, \"status\": 400..599, \"times\": n}"}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn records_answers_and_injects_failures() -> Result<()> {
        let e = Emulator::start("127.0.0.1:0")?;
        crate::init_tls();
        let http = reqwest::Client::new();
        let tg = format!("{}/telegram/botTOKEN/sendMessage", e.url());
        let r = http
            .post(&tg)
            .json(&json!({"chat_id": 42, "text": "hi"}))
            .send()
            .await?;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await?;
        assert_eq!(v["ok"], true);
        let r = http
            .post(&tg)
            .json(&json!({"chat_id": "@blocked_user", "text": "hi"}))
            .send()
            .await?;
        assert_eq!(r.status(), 403);
        e.fail_next("telegram", 503, 1);
        let r = http
            .post(&tg)
            .json(&json!({"chat_id": 42, "text": "x"}))
            .send()
            .await?;
        assert_eq!(r.status(), 503);
        let r = http
            .post(format!("{}/viber/pa/send_message", e.url()))
            .header("X-Viber-Auth-Token", "vt")
            .json(
                &json!({"receiver": "abc=", "type": "text", "text": "hi", "sender": {"name": "L"}}),
            )
            .send()
            .await?;
        let v: Value = r.json().await?;
        assert_eq!(v["status"], 12, "Viber always fails");
        let r = http
            .post(format!("{}/whatsapp/1/messages", e.url()))
            .json(&json!({"messaging_product": "whatsapp", "to": "+1555", "type": "text", "text": {"body": "hi"}}))
            .send()
            .await?;
        assert_eq!(r.status(), 401, "bearer required");

        let got: Vec<Received> = http
            .get(format!("{}/_received", e.url()))
            .send()
            .await?
            .json()
            .await?;
        assert_eq!(got, e.received());
        let summary: Vec<(&str, &str, u16, bool)> = got
            .iter()
            .map(|r| {
                (
                    r.messenger.as_str(),
                    r.address.as_str(),
                    r.status,
                    r.accepted,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("telegram", "42", 200, true),
                ("telegram", "@blocked_user", 403, false),
                ("telegram", "42", 503, false),
                ("viber", "abc=", 200, false),
                ("whatsapp", "+1555", 401, false),
            ]
        );
        assert_eq!(got[0].credential, "TOKEN");
        assert_eq!(
            http.get(format!("{}/nope", e.url())).send().await?.status(),
            404
        );
        Ok(())
    }

    #[tokio::test]
    async fn texts_over_each_limit_are_refused_as_the_services_refuse_them() -> Result<()> {
        let e = Emulator::start("127.0.0.1:0")?;
        crate::init_tls();
        let http = reqwest::Client::new();
        let tg = format!("{}/telegram/botTOKEN/sendMessage", e.url());
        let wa = format!("{}/whatsapp/1/messages", e.url());
        let vb = format!("{}/viber/pa/send_message", e.url());
        let telegram = |text: String| {
            http.post(&tg)
                .json(&json!({"chat_id": 42, "text": text}))
                .send()
        };
        let whatsapp = |text: String| {
            http.post(&wa)
                .bearer_auth("t")
                .json(&json!({"messaging_product": "whatsapp", "to": "+1555", "type": "text", "text": {"body": text}}))
                .send()
        };
        let viber = |text: String| {
            http.post(&vb)
                .header("X-Viber-Auth-Token", "vt")
                .json(&json!({"receiver": "abc=", "type": "text", "text": text, "sender": {"name": "L"}}))
                .send()
        };

        // At the limit: taken (an emoji counts two).
        assert_eq!(telegram("👋".repeat(2048)).await?.status(), 200);
        assert_eq!(whatsapp("x".repeat(4096)).await?.status(), 200);
        let v: Value = viber("x".repeat(7000)).await?.json().await?;
        assert_eq!(v["status"], 12, "only the usual rate limit");

        // One unit over: refused for good.
        let r = telegram(format!("{}x", "👋".repeat(2048))).await?;
        assert_eq!(r.status(), 400);
        assert_eq!(
            r.json::<Value>().await?,
            json!({"ok": false, "error_code": 400, "description": "Bad Request: message is too long"})
        );
        let r = whatsapp("x".repeat(4097)).await?;
        assert_eq!(r.status(), 400);
        let v: Value = r.json().await?;
        assert_eq!(v["error"]["code"], 100);
        assert_eq!(
            v["error"]["message"],
            "(#100) Param text['body'] must be at most 4096 characters long."
        );
        let r = viber("x".repeat(7001)).await?;
        assert_eq!(r.status(), 200, "Viber answers failures with 200");
        let v: Value = r.json().await?;
        assert_eq!(
            (v["status"].clone(), v["status_message"].clone()),
            (json!(3), json!("badData"))
        );

        let seen: Vec<(String, u16, bool, usize)> = e
            .received()
            .into_iter()
            .map(|r| (r.messenger, r.status, r.accepted, text_len(&r.text)))
            .collect();
        let want = [
            ("telegram", 200, true, 4096),
            ("whatsapp", 200, true, 4096),
            ("viber", 200, false, 7000),
            ("telegram", 400, false, 4097),
            ("whatsapp", 400, false, 4097),
            ("viber", 200, false, 7001),
        ]
        .map(|(m, status, accepted, len)| (m.to_owned(), status, accepted, len));
        assert_eq!(seen, want, "each recorded, with its whole text");

        // A failure for the second part of a text: the first passes.
        e.pass_next("telegram", 1);
        e.fail_next("telegram", 503, 1);
        assert_eq!(telegram("(1/2) a".into()).await?.status(), 200);
        assert_eq!(telegram("(2/2) b".into()).await?.status(), 503);
        assert_eq!(telegram("c".into()).await?.status(), 200);
        Ok(())
    }
}
