//! A Lambda Runtime API on loopback, handing out the invocations it is fed.
//!
//! [`RuntimeApi::start`] serves one invocation; [`RuntimeApi::push`] queues more, so one
//! process can be kept warm and invoked again. A `GET …/invocation/next` with nothing queued
//! is held open, as Lambda does while it freezes an idle environment. Each delivery
//! ([`Report::Polled`]), response, invocation error or init error is reported with the instant
//! it happened, so callers time spawn → answer or event → answer.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Context, Result};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};

use crate::http::{read_request, response, Route};

/// The invocation to hand out.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    pub function_arn: String,
    /// The event JSON.
    pub event: Vec<u8>,
    /// How long the function may run (for `Lambda-Runtime-Deadline-Ms`).
    pub timeout_ms: u64,
}

/// What the runtime under test reported.
#[derive(Debug, Clone)]
pub enum Report {
    /// It asked for its first event (initialisation is over).
    Polled(Instant),
    /// `POST …/invocation/{id}/response`.
    Response { at: Instant, body: Vec<u8> },
    /// `POST …/invocation/{id}/error`.
    InvocationError { at: Instant, body: Vec<u8> },
    /// `POST …/init/error`.
    InitError { at: Instant, body: Vec<u8> },
    /// A request the stub did not understand (a bug on either side).
    Protocol(String),
}

#[derive(Debug)]
struct State {
    /// Request id of the invocation handed out last.
    current: Option<String>,
}

/// The running stub; stops (with every connection) when dropped.
#[derive(Debug)]
pub struct RuntimeApi {
    addr: SocketAddr,
    reports: mpsc::UnboundedReceiver<Report>,
    queue: mpsc::UnboundedSender<Invocation>,
    server: JoinHandle<()>,
}

impl RuntimeApi {
    /// Listens on a free loopback port.
    pub async fn start(invocation: Invocation) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the Runtime API stub")?;
        let addr = listener.local_addr()?;
        let (tx, reports) = mpsc::unbounded_channel();
        let (queue, pending) = mpsc::unbounded_channel();
        queue
            .send(invocation)
            .map_err(|_| anyhow!("queueing the first invocation"))?;
        let shared = Arc::new(Shared {
            pending: tokio::sync::Mutex::new(pending),
            state: Mutex::new(State { current: None }),
            tx,
        });
        let server = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => {
                            let shared = Arc::clone(&shared);
                            connections.spawn(async move {
                                if let Err(err) = serve(stream, &shared).await {
                                    let _ = shared.tx.send(Report::Protocol(format!("{err:#}")));
                                }
                            });
                        }
                        Err(err) => {
                            let _ = shared.tx.send(Report::Protocol(format!("accept: {err}")));
                            return;
                        }
                    },
                    Some(_) = connections.join_next() => {}
                }
            }
        });
        Ok(Self {
            addr,
            reports,
            queue,
            server,
        })
    }

    /// Queues another invocation (handed out on the next poll).
    pub fn push(&self, invocation: Invocation) -> Result<()> {
        self.queue
            .send(invocation)
            .map_err(|_| anyhow!("the Runtime API stub stopped"))
    }

    /// `host:port` for `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// The next report (waits).
    pub async fn next_report(&mut self) -> Result<Report> {
        self.reports
            .recv()
            .await
            .ok_or_else(|| anyhow!("the Runtime API stub stopped"))
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[derive(Debug)]
struct Shared {
    pending: tokio::sync::Mutex<mpsc::UnboundedReceiver<Invocation>>,
    state: Mutex<State>,
    tx: mpsc::UnboundedSender<Report>,
}

impl Shared {
    /// Waits for the next queued invocation and marks it current.
    async fn next_invocation(&self) -> Result<Invocation> {
        let inv = match self.pending.lock().await.recv().await {
            Some(inv) => inv,
            // The stub is being dropped: park until the connection goes.
            None => std::future::pending().await,
        };
        self.state
            .lock()
            .map_err(|_| anyhow!("stub state poisoned"))?
            .current = Some(inv.request_id.clone());
        Ok(inv)
    }

    fn is_current(&self, id: &str) -> Result<bool> {
        Ok(self
            .state
            .lock()
            .map_err(|_| anyhow!("stub state poisoned"))?
            .current
            .as_deref()
            == Some(id))
    }
}

fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// An X-Ray trace header value (`Root=1-<epoch hex>-<24 hex>;Parent=<16 hex>;Sampled=0`).
fn trace_id() -> String {
    let root = uuid::Uuid::new_v4().simple().to_string();
    let parent = uuid::Uuid::new_v4().simple().to_string();
    let (root, parent) = (&root[..24], &parent[..16]);
    format!(
        "Root=1-{:08x}-{root};Parent={parent};Sampled=0",
        epoch_ms() / 1000
    )
}

const ACCEPTED: &[u8] = br#"{"status":"OK"}"#;

async fn serve(stream: TcpStream, shared: &Shared) -> Result<()> {
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    while let Some(req) = read_request(&mut read).await? {
        let at = Instant::now();
        let route = Route::of(&req);
        let keep_alive = req.keep_alive();
        let reply = match route {
            Route::Next => {
                let inv = shared.next_invocation().await?;
                let _ = shared.tx.send(Report::Polled(Instant::now()));
                response(
                    200,
                    &[
                        ("Lambda-Runtime-Aws-Request-Id", inv.request_id.clone()),
                        (
                            "Lambda-Runtime-Deadline-Ms",
                            (epoch_ms() + inv.timeout_ms).to_string(),
                        ),
                        (
                            "Lambda-Runtime-Invoked-Function-Arn",
                            inv.function_arn.clone(),
                        ),
                        ("Lambda-Runtime-Trace-Id", trace_id()),
                    ],
                    &inv.event,
                )
            }
            Route::Response(id) | Route::Error(id) if !shared.is_current(&id)? => {
                let _ = shared
                    .tx
                    .send(Report::Protocol(format!("answer for unknown request {id}")));
                response(400, &[], br#"{"errorMessage":"unknown request id"}"#)
            }
            Route::Response(_) => {
                let _ = shared.tx.send(Report::Response { at, body: req.body });
                response(202, &[], ACCEPTED)
            }
            Route::Error(_) => {
                let _ = shared
                    .tx
                    .send(Report::InvocationError { at, body: req.body });
                response(202, &[], ACCEPTED)
            }
            Route::InitError => {
                let _ = shared.tx.send(Report::InitError { at, body: req.body });
                response(202, &[], ACCEPTED)
            }
            Route::Unknown => {
                let _ = shared.tx.send(Report::Protocol(format!(
                    "unexpected {} {}",
                    req.method, req.target
                )));
                response(404, &[], br#"{"errorMessage":"not found"}"#)
            }
        };
        write.write_all(&reply).await?;
        write.flush().await?;
        if !keep_alive {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpStream;

    use super::{epoch_ms, Invocation, Report, RuntimeApi};

    /// Reads one response: status line, headers, Content-Length body.
    async fn read_response<R: tokio::io::AsyncBufRead + Unpin>(
        r: &mut R,
    ) -> (String, Vec<(String, String)>, Vec<u8>) {
        let mut status = String::new();
        r.read_line(&mut status).await.unwrap();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            r.read_line(&mut line).await.unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (k, v) = line.split_once(':').unwrap();
            headers.push((k.to_ascii_lowercase(), v.trim().to_owned()));
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .unwrap()
            .1
            .parse()
            .unwrap();
        let mut body = vec![0; len];
        r.read_exact(&mut body).await.unwrap();
        (status.trim_end().to_owned(), headers, body)
    }

    #[tokio::test]
    async fn serves_one_event_and_reports_the_answer() {
        let mut api = RuntimeApi::start(Invocation {
            request_id: "req-1".into(),
            function_arn: "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
            event: br#"{"hello":"world"}"#.to_vec(),
            timeout_ms: 5_000,
        })
        .await
        .unwrap();
        let stream = TcpStream::connect(api.address()).await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut read = BufReader::new(read);

        write
            .write_all(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let (status, headers, body) = read_response(&mut read).await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert_eq!(body, br#"{"hello":"world"}"#);
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(header("lambda-runtime-aws-request-id"), "req-1");
        assert_eq!(
            header("lambda-runtime-invoked-function-arn"),
            "arn:aws:lambda:us-east-1:123456789012:function:f"
        );
        let deadline: u64 = header("lambda-runtime-deadline-ms").parse().unwrap();
        assert!(deadline > epoch_ms());
        assert!(header("lambda-runtime-trace-id").starts_with("Root=1-"));
        assert!(matches!(
            api.next_report().await.unwrap(),
            Report::Polled(_)
        ));

        // Same connection (keep-alive): an answer for another id is refused and reported.
        write
            .write_all(b"POST /2018-06-01/runtime/invocation/other/response HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
            .await
            .unwrap();
        let (status, _, _) = read_response(&mut read).await;
        assert_eq!(status, "HTTP/1.1 400 Bad Request");
        assert!(
            matches!(api.next_report().await.unwrap(), Report::Protocol(m) if m.contains("other"))
        );

        write
            .write_all(b"POST /2018-06-01/runtime/invocation/req-1/response HTTP/1.1\r\nContent-Length: 18\r\n\r\n{\"statusCode\":200}")
            .await
            .unwrap();
        let (status, _, body) = read_response(&mut read).await;
        assert_eq!(status, "HTTP/1.1 202 Accepted");
        assert_eq!(body, br#"{"status":"OK"}"#);
        match api.next_report().await.unwrap() {
            Report::Response { body, .. } => assert_eq!(body, br#"{"statusCode":200}"#),
            other => panic!("unexpected {other:?}"),
        }

        // A second poll is parked: no answer arrives while the stub runs.
        write
            .write_all(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n")
            .await
            .unwrap();
        let mut byte = [0_u8; 1];
        let parked =
            tokio::time::timeout(std::time::Duration::from_millis(200), read.read(&mut byte)).await;
        assert!(parked.is_err(), "the second poll was answered");
    }

    #[tokio::test]
    async fn pushed_invocations_are_served_in_turn() {
        let inv = |id: &str| Invocation {
            request_id: id.into(),
            function_arn: "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
            event: format!(r#"{{"n":"{id}"}}"#).into_bytes(),
            timeout_ms: 5_000,
        };
        let mut api = RuntimeApi::start(inv("a")).await.unwrap();
        let stream = TcpStream::connect(api.address()).await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut read = BufReader::new(read);
        for id in ["a", "b"] {
            if id == "b" {
                api.push(inv("b")).unwrap();
            }
            write
                .write_all(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n")
                .await
                .unwrap();
            let (_, _, body) = read_response(&mut read).await;
            assert_eq!(body, format!(r#"{{"n":"{id}"}}"#).into_bytes());
            assert!(matches!(
                api.next_report().await.unwrap(),
                Report::Polled(_)
            ));
            let answer = format!(
                "POST /2018-06-01/runtime/invocation/{id}/response HTTP/1.1\r\nContent-Length: 2\r\n\r\n{{}}"
            );
            write.write_all(answer.as_bytes()).await.unwrap();
            let (status, _, _) = read_response(&mut read).await;
            assert_eq!(status, "HTTP/1.1 202 Accepted");
            assert!(matches!(
                api.next_report().await.unwrap(),
                Report::Response { .. }
            ));
        }
    }
}
