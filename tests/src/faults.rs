//! A fault-injecting HTTP proxy between the functions' AWS clients and moto_server.
//!
//! Requests pass through to moto until the proxy is told to fail: [`FaultProxy::down`] makes
//! every request fail as if moto had stopped (the connection is closed without an answer, what
//! a client sees when the server dies mid-request), [`FaultProxy::fail_after`] lets the next
//! `n` requests through first, so a test can stop "moto" between any two calls of a multi-step
//! operation. moto itself keeps running, so the test can then read what was really stored.
//! [`FaultProxy::hang`] takes requests and never answers them, what a stopped (SIGSTOP) or
//! overloaded endpoint does. [`FaultProxy::up`] heals it. Every request is logged by AWS
//! operation name, with the error codes moto answered ([`FaultProxy::answered`]) and how many
//! requests of each operation were in flight at once ([`FaultProxy::peak_in_flight`]).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    Up,
    /// Refuse only these AWS operations (one service down, the others up).
    FailOps(Vec<String>),
    /// Forward this many more requests, then behave as `Down`.
    FailAfter(usize),
    Down,
    /// Take every request and answer none (until the mode changes; then the connection dies).
    Hang,
    /// Forward this many more requests of one AWS operation, then refuse that operation only.
    FailOpAfter(String, usize),
    /// Forward this many more requests of one AWS operation, refuse the next one, then heal.
    FailNth(String, usize),
}

/// What happens to one request.
#[derive(Debug, Clone)]
enum Verdict {
    Pass,
    Refuse,
    Hang,
    /// Forwarded once the gate opens.
    Hold(Arc<tokio::sync::Notify>),
}

/// A request held by [`FaultProxy::hold_next`]: the test does what it wants to happen "in
/// between", then opens the gate.
#[derive(Debug)]
pub struct Gate {
    state: Arc<Mutex<State>>,
    open: Arc<tokio::sync::Notify>,
    before: usize,
}

impl Gate {
    /// Waits until the request is held (it has reached the proxy, and waits there).
    pub async fn held(&self) {
        for _ in 0..1000 {
            if self.state.lock().unwrap().held > self.before {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("no request reached the gate within 10 s");
    }

    /// Lets the held request go on to moto.
    pub fn open(&self) {
        self.open.notify_one();
    }
}

#[derive(Debug)]
struct State {
    mode: Mode,
    /// Hold the next request of one of these operations until the gate opens.
    hold: Option<(Vec<String>, Arc<tokio::sync::Notify>)>,
    /// Requests held so far.
    held: usize,
    /// AWS operations forwarded (in order).
    forwarded: Vec<String>,
    /// AWS operations refused.
    refused: Vec<String>,
    /// Error answers of moto: (AWS operation, error code).
    errors: Vec<(String, String)>,
    /// Requests forwarded to moto and not answered yet, by AWS operation.
    in_flight: std::collections::HashMap<String, usize>,
    /// The most requests of each AWS operation that were in flight at once.
    peak_in_flight: std::collections::HashMap<String, usize>,
}

/// See the module docs.
#[derive(Clone)]
pub struct FaultProxy {
    url: String,
    state: Arc<Mutex<State>>,
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream` (moto's base URL) on a free loopback port.
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            mode: Mode::Up,
            hold: None,
            held: 0,
            forwarded: Vec::new(),
            refused: Vec::new(),
            errors: Vec::new(),
            in_flight: std::collections::HashMap::new(),
            peak_in_flight: std::collections::HashMap::new(),
        }));
        let upstream = upstream.trim_end_matches('/').to_owned();
        let http = crate::support::Live::http();
        let st = state.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(serve(sock, upstream.clone(), http.clone(), st.clone()));
            }
        });
        Self { url, state }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn up(&self) {
        self.state.lock().unwrap().mode = Mode::Up;
    }

    pub fn down(&self) {
        self.state.lock().unwrap().mode = Mode::Down;
    }

    /// Takes every request and answers none, until [`up`](Self::up).
    pub fn hang(&self) {
        self.state.lock().unwrap().mode = Mode::Hang;
    }

    /// Lets `n` more requests through, then fails every one after them.
    pub fn fail_after(&self, n: usize) {
        self.state.lock().unwrap().mode = Mode::FailAfter(n);
    }

    /// Refuses only the named AWS operations (e.g. `SendMessage`), passing every other.
    pub fn fail_ops(&self, ops: &[&str]) {
        self.state.lock().unwrap().mode =
            Mode::FailOps(ops.iter().map(|o| (*o).to_owned()).collect());
    }

    /// Lets `n` more requests of the AWS operation `op` through, then refuses that operation
    /// only (a write that fails part-way, while the rest of the service answers).
    pub fn fail_op_after(&self, op: &str, n: usize) {
        self.state.lock().unwrap().mode = Mode::FailOpAfter(op.to_owned(), n);
    }

    /// Refuses only the `n`-th next request (1-based) of the AWS operation `op`, then heals:
    /// one failed call in the middle of an operation.
    pub fn fail_nth(&self, op: &str, n: usize) {
        self.state.lock().unwrap().mode = Mode::FailNth(op.to_owned(), n.saturating_sub(1));
    }

    /// Holds the next request of one of `ops` (the others pass) until [`Gate::open`]: a
    /// deterministic place for a concurrent change between two steps of an operation.
    pub fn hold_next(&self, ops: &[&str]) -> Gate {
        let open = Arc::new(tokio::sync::Notify::new());
        let mut s = self.state.lock().unwrap();
        s.hold = Some((ops.iter().map(|o| (*o).to_owned()).collect(), open.clone()));
        Gate {
            state: self.state.clone(),
            open,
            before: s.held,
        }
    }

    /// Forgets the request log (and the error answers and in-flight peaks).
    pub fn reset_log(&self) {
        let mut s = self.state.lock().unwrap();
        s.forwarded.clear();
        s.refused.clear();
        s.errors.clear();
        s.peak_in_flight.clear();
    }

    /// AWS operations forwarded since the last [`reset_log`](Self::reset_log).
    pub fn forwarded(&self) -> Vec<String> {
        self.state.lock().unwrap().forwarded.clone()
    }

    /// AWS operations refused since the last [`reset_log`](Self::reset_log).
    pub fn refused(&self) -> Vec<String> {
        self.state.lock().unwrap().refused.clone()
    }

    /// How many requests of the AWS operation `op` moto answered with the error `code` (e.g.
    /// `PutItem`, `ConditionalCheckFailedException`) since the last
    /// [`reset_log`](Self::reset_log): a failed optimistic write is such an answer.
    pub fn answered(&self, op: &str, code: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .errors
            .iter()
            .filter(|(o, c)| o == op && c == code)
            .count()
    }

    /// The most requests of the AWS operation `op` that were in flight at once (forwarded to
    /// moto, not answered yet) since the last [`reset_log`](Self::reset_log): more than one
    /// means clients really had them outstanding together.
    pub fn peak_in_flight(&self, op: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .peak_in_flight
            .get(op)
            .copied()
            .unwrap_or(0)
    }
}

/// One request of an AWS operation in flight to moto, counted while it lives.
struct InFlight {
    state: Arc<Mutex<State>>,
    op: String,
}

impl InFlight {
    fn start(state: &Arc<Mutex<State>>, op: &str) -> Self {
        let mut s = state.lock().unwrap();
        let now = {
            let n = s.in_flight.entry(op.to_owned()).or_insert(0);
            *n += 1;
            *n
        };
        let peak = s.peak_in_flight.entry(op.to_owned()).or_insert(0);
        *peak = (*peak).max(now);
        Self {
            state: state.clone(),
            op: op.to_owned(),
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut s = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = s.in_flight.get_mut(&self.op) {
            *n = n.saturating_sub(1);
        }
    }
}

/// The error code of an AWS error answer: `X-Amzn-ErrorType` or the JSON `__type` (JSON
/// protocols), or the XML `<Code>` (query protocols), without its namespace.
fn error_code(headers: &reqwest::header::HeaderMap, body: &[u8]) -> String {
    let raw = headers
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            serde_json::from_slice::<serde_json::Value>(body)
                .ok()?
                .get("__type")?
                .as_str()
                .map(str::to_owned)
        })
        .or_else(|| {
            let text = String::from_utf8_lossy(body);
            let start = text.find("<Code>")? + "<Code>".len();
            let len = text[start..].find("</Code>")?;
            Some(text[start..start + len].to_owned())
        })
        .unwrap_or_default();
    let code = raw.rsplit('#').next().unwrap_or(&raw);
    code.split(':').next().unwrap_or(code).trim().to_owned()
}

fn admit(state: &Mutex<State>, op: String) -> Verdict {
    let mut s = state.lock().unwrap();
    if s.hold.as_ref().is_some_and(|(ops, _)| ops.contains(&op)) {
        if let Some((_, gate)) = s.hold.take() {
            s.held += 1;
            s.forwarded.push(op);
            return Verdict::Hold(gate);
        }
    }
    let verdict = match &s.mode {
        Mode::Up => Verdict::Pass,
        Mode::FailOps(ops) if ops.contains(&op) => Verdict::Refuse,
        Mode::FailOps(_) => Verdict::Pass,
        Mode::Down => Verdict::Refuse,
        Mode::Hang => Verdict::Hang,
        Mode::FailAfter(0) => {
            s.mode = Mode::Down;
            Verdict::Refuse
        }
        Mode::FailAfter(n) => {
            s.mode = Mode::FailAfter(*n - 1);
            Verdict::Pass
        }
        Mode::FailOpAfter(o, 0) if *o == op => Verdict::Refuse,
        Mode::FailOpAfter(o, n) if *o == op => {
            s.mode = Mode::FailOpAfter(o.clone(), *n - 1);
            Verdict::Pass
        }
        Mode::FailOpAfter(..) => Verdict::Pass,
        Mode::FailNth(o, 0) if *o == op => {
            s.mode = Mode::Up;
            Verdict::Refuse
        }
        Mode::FailNth(o, n) if *o == op => {
            s.mode = Mode::FailNth(o.clone(), *n - 1);
            Verdict::Pass
        }
        Mode::FailNth(..) => Verdict::Pass,
    };
    if matches!(verdict, Verdict::Pass) {
        s.forwarded.push(op);
    } else {
        s.refused.push(op);
    }
    verdict
}

struct Head {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Reads one HTTP/1.1 request (Content-Length framed, as the AWS SDK sends them).
async fn read_request(sock: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Head> {
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let mut chunk = [0u8; 8192];
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
        .collect();
    assert!(
        !headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")),
        "the fault proxy does not speak chunked requests"
    );
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let start = end + 4;
    while buf.len() < start + len {
        let mut chunk = [0u8; 65536];
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[start..start + len].to_vec();
    buf.drain(..start + len);
    Some(Head {
        method,
        target,
        headers,
        body,
    })
}

/// The AWS operation of a request: `X-Amz-Target` (JSON protocols), `Action=` (query
/// protocols) or the REST method and path (Scheduler).
fn operation(h: &Head) -> String {
    if let Some((_, t)) = h.headers.iter().find(|(k, _)| k == "x-amz-target") {
        return t.rsplit('.').next().unwrap_or(t).to_owned();
    }
    let body = String::from_utf8_lossy(&h.body);
    if let Some(action) = body
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .map(str::to_owned)
    {
        return action;
    }
    format!("{} {}", h.method, h.target.split('?').next().unwrap_or(""))
}

async fn serve(
    mut sock: TcpStream,
    upstream: String,
    http: reqwest::Client,
    state: Arc<Mutex<State>>,
) {
    let mut buf = Vec::new();
    while let Some(req) = read_request(&mut sock, &mut buf).await {
        let op = operation(&req);
        match admit(&state, op.clone()) {
            Verdict::Pass => {}
            // "moto died": the connection closes without an answer.
            Verdict::Refuse => return,
            // "moto stopped": no answer for as long as it hangs.
            Verdict::Hang => {
                while state.lock().unwrap().mode == Mode::Hang {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                return;
            }
            Verdict::Hold(gate) => gate.notified().await,
        }
        let in_flight = InFlight::start(&state, &op);
        let method = reqwest::Method::from_bytes(req.method.as_bytes()).unwrap();
        let mut fwd = http.request(method, format!("{upstream}{}", req.target));
        for (k, v) in &req.headers {
            if !matches!(
                k.as_str(),
                "host" | "connection" | "content-length" | "keep-alive"
            ) {
                fwd = fwd.header(k, v);
            }
        }
        let Ok(resp) = fwd.body(req.body).send().await else {
            return;
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        let Ok(body) = resp.bytes().await else { return };
        drop(in_flight);
        if status.as_u16() >= 400 {
            let code = error_code(&headers, &body);
            state.lock().unwrap().errors.push((op, code));
        }
        let mut out = format!(
            "HTTP/1.1 {} {}\r\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        );
        for (k, v) in &headers {
            if !matches!(
                k.as_str(),
                "content-length" | "transfer-encoding" | "connection" | "keep-alive"
            ) {
                out.push_str(&format!("{}: {}\r\n", k, v.to_str().unwrap_or("")));
            }
        }
        out.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
        if sock.write_all(out.as_bytes()).await.is_err() || sock.write_all(&body).await.is_err() {
            return;
        }
    }
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultProxy")
            .field("url", &self.url)
            .finish()
    }
}
