//! The sender against a tiny HTTP server on 127.0.0.1 (taken under the loopback exception)
//! answering canned responses, and the reading of answers on its own.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::*;
use crate::alert::{AlertKind, Level};
use crate::signature::verify;

const LOOPBACK: Policy = Policy {
    allow_http_loopback: true,
};

/// One canned answer.
struct Canned {
    status: &'static str,
    headers: Vec<String>,
    body: Vec<u8>,
    delay: Duration,
    /// Claims a gigabyte and writes until the client goes away.
    endless: bool,
}

fn canned(status: &'static str) -> Canned {
    Canned {
        status,
        headers: Vec::new(),
        body: Vec::new(),
        delay: Duration::ZERO,
        endless: false,
    }
}

impl Canned {
    fn header(mut self, h: &str) -> Self {
        self.headers.push(h.to_owned());
        self
    }
    fn body(mut self, b: &str) -> Self {
        self.body = b.as_bytes().to_vec();
        self
    }
}

/// One request the server read.
#[derive(Debug)]
struct Seen {
    line: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// Serves `answers`, one per connection in order; returns its base URL and what it saw.
async fn server(answers: Vec<Canned>) -> (String, mpsc::UnboundedReceiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        for answer in answers {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let seen = read(&mut sock).await;
            let _ = tx.send(seen);
            tokio::time::sleep(answer.delay).await;
            let length = if answer.endless {
                1_000_000_000
            } else {
                answer.body.len()
            };
            let mut head = format!("HTTP/1.1 {}\r\n", answer.status);
            for h in &answer.headers {
                head.push_str(h);
                head.push_str("\r\n");
            }
            head.push_str(&format!(
                "Content-Length: {length}\r\nConnection: close\r\n\r\n"
            ));
            if sock.write_all(head.as_bytes()).await.is_err() {
                continue;
            }
            let _ = sock.write_all(&answer.body).await;
            if answer.endless {
                let chunk = vec![b'x'; 64 * 1024];
                let until = Instant::now() + Duration::from_secs(20);
                while Instant::now() < until && sock.write_all(&chunk).await.is_ok() {}
            }
            let _ = sock.shutdown().await;
        }
    });
    (base, rx)
}

async fn read(sock: &mut TcpStream) -> Seen {
    let mut buf = Vec::new();
    let mut chunk = [0_u8; 8192];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = sock.read(&mut chunk).await.unwrap();
        assert!(n > 0, "request cut short");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or_default().to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .map_or(0, |v| v.parse().unwrap());
    while buf.len() < head_end + length {
        let n = sock.read(&mut chunk).await.unwrap();
        assert!(n > 0, "body cut short");
        buf.extend_from_slice(&chunk[..n]);
    }
    Seen {
        line,
        headers,
        body: buf[head_end..head_end + length].to_vec(),
    }
}

fn alert() -> Alert {
    Alert {
        id: "evt_42".into(),
        title: "Backup missed".into(),
        text: "No ping since 02:00".into(),
        level: Level::Warning,
        kind: AlertKind::Heartbeat,
        url: None,
        ack_url: Some("https://lookout.example/ack?t=1".into()),
        ack_callback: None,
        fields: vec![("App".into(), "backup".into())],
        at: "2025-01-02T03:04:05Z".into(),
    }
}

fn sender() -> Sender {
    Sender::with_timeouts(Duration::from_secs(3), Duration::from_secs(2))
}

#[tokio::test]
async fn slack_and_discord_are_delivered_on_2xx_with_their_payloads() {
    let (base, mut seen) =
        server(vec![canned("200 OK").body("ok"), canned("204 No Content")]).await;
    let s = sender();
    let a = alert();
    let url = format!("{base}/slack/services/T0/B0/secret");
    let got = s.send(ChannelKind::Slack, &url, &a, None, LOOPBACK).await;
    assert_eq!(got, Outcome::Delivered);
    let req = seen.recv().await.unwrap();
    assert_eq!(req.line, "POST /slack/services/T0/B0/secret HTTP/1.1");
    assert_eq!(req.headers["content-type"], "application/json");
    assert!(!req
        .headers
        .contains_key(&SIGNATURE_HEADER.to_ascii_lowercase()));
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body, slack_payload(&a));

    let url = format!("{base}/discord/api/webhooks/1/tok");
    let got = s.send(ChannelKind::Discord, &url, &a, None, LOOPBACK).await;
    assert_eq!(got, Outcome::Delivered);
    let req = seen.recv().await.unwrap();
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body, discord_payload(&a));
}

#[tokio::test]
async fn the_generic_webhook_is_signed_over_the_exact_body() {
    let (base, mut seen) = server(vec![canned("200 OK"), canned("202 Accepted")]).await;
    let s = sender();
    let a = alert();
    let url = format!("{base}/hook");
    let got = s
        .send(ChannelKind::Webhook, &url, &a, Some(b"whsec_1"), LOOPBACK)
        .await;
    assert_eq!(got, Outcome::Delivered);
    let req = seen.recv().await.unwrap();
    assert_eq!(req.headers["content-type"], "application/json");
    assert_eq!(req.headers["lookout-event-id"], "evt_42");
    let signature = &req.headers["lookout-signature"];
    assert_eq!(
        verify(b"whsec_1", signature, &req.body, unix_now(), 60),
        Ok(())
    );
    assert!(verify(b"other", signature, &req.body, unix_now(), 60).is_err());
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body, webhook_payload(&a));

    // Without a secret: no signature, the event id still.
    let got = s.send(ChannelKind::Webhook, &url, &a, None, LOOPBACK).await;
    assert_eq!(got, Outcome::Delivered);
    let req = seen.recv().await.unwrap();
    assert!(!req.headers.contains_key("lookout-signature"));
    assert_eq!(req.headers["lookout-event-id"], "evt_42");
}

#[tokio::test]
async fn rate_limits_are_retried_after_what_the_service_says() {
    let (base, _seen) = server(vec![
        canned("429 Too Many Requests")
            .header("Retry-After: 7")
            .body("rate_limited"),
        canned("429 Too Many Requests")
            .header("Retry-After: 2")
            .header("Content-Type: application/json")
            .body(r#"{"message":"You are being rate limited.","retry_after":1.5,"global":false}"#),
        canned("429 Too Many Requests"),
    ])
    .await;
    let s = sender();
    let a = alert();
    let got = s
        .send(ChannelKind::Slack, &format!("{base}/s"), &a, None, LOOPBACK)
        .await;
    assert_eq!(
        got,
        Outcome::Retry {
            after: Some(Duration::from_secs(7))
        }
    );
    let got = s
        .send(
            ChannelKind::Discord,
            &format!("{base}/d"),
            &a,
            None,
            LOOPBACK,
        )
        .await;
    assert_eq!(
        got,
        Outcome::Retry {
            after: Some(Duration::from_millis(1500))
        },
        "Discord's body, to the millisecond"
    );
    let got = s
        .send(
            ChannelKind::Webhook,
            &format!("{base}/w"),
            &a,
            None,
            LOOPBACK,
        )
        .await;
    assert_eq!(got, Outcome::Retry { after: None });
}

#[tokio::test]
async fn deleted_and_refused_webhooks_fail_for_good_and_5xx_are_retried() {
    let (base, _seen) = server(vec![
        canned("404 Not Found").body("no_service"),
        canned("410 Gone").body("channel_is_archived"),
        canned("400 Bad Request").body("invalid_payload"),
        canned("401 Unauthorized"),
        canned("403 Forbidden").body("action_prohibited"),
        canned("500 Internal Server Error").body("oops"),
        canned("503 Service Unavailable").header("Retry-After: 30"),
    ])
    .await;
    let s = sender();
    let a = alert();
    let mut got = Vec::new();
    for _ in 0..7 {
        got.push(
            s.send(ChannelKind::Slack, &format!("{base}/s"), &a, None, LOOPBACK)
                .await,
        );
    }
    let permanent = |status: u16, reason: &str| Outcome::Permanent {
        status: Some(status),
        reason: reason.to_owned(),
    };
    assert_eq!(
        got,
        [
            permanent(404, "HTTP 404: webhook deleted or unknown: no_service"),
            permanent(
                410,
                "HTTP 410: webhook deleted or unknown: channel_is_archived"
            ),
            permanent(400, "HTTP 400: invalid_payload"),
            permanent(401, "HTTP 401"),
            permanent(403, "HTTP 403: action_prohibited"),
            Outcome::Retry { after: None },
            Outcome::Retry {
                after: Some(Duration::from_secs(30))
            },
        ]
    );
}

#[tokio::test]
async fn a_slow_server_times_out_and_is_retried() {
    let (base, _seen) = server(vec![Canned {
        delay: Duration::from_secs(5),
        ..canned("200 OK")
    }])
    .await;
    let s = Sender::with_timeouts(Duration::from_millis(300), Duration::from_millis(300));
    let started = Instant::now();
    let got = s
        .send(
            ChannelKind::Slack,
            &format!("{base}/s"),
            &alert(),
            None,
            LOOPBACK,
        )
        .await;
    assert_eq!(got, Outcome::Retry { after: None });
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (base, mut seen) = server(vec![
        canned("302 Found").header("Location: /followed"),
        canned("200 OK"),
    ])
    .await;
    let got = sender()
        .send(
            ChannelKind::Webhook,
            &format!("{base}/hook"),
            &alert(),
            None,
            LOOPBACK,
        )
        .await;
    assert_eq!(
        got,
        Outcome::Permanent {
            status: Some(302),
            reason: "HTTP 302: redirects are not followed".into()
        }
    );
    assert_eq!(
        seen.recv().await.map(|s| s.line),
        Some("POST /hook HTTP/1.1".into())
    );
    assert!(seen.try_recv().is_err(), "no second request");
}

#[tokio::test]
async fn a_huge_answer_is_not_read_past_the_bound() {
    // An answer claiming a gigabyte and written until the client leaves: reading it all would
    // run into the timeout (a Retry); the bounded read stops at 64 KiB and reports a 400.
    let (base, _seen) = server(vec![Canned {
        endless: true,
        ..canned("400 Bad Request")
    }])
    .await;
    let s = Sender::with_timeouts(Duration::from_secs(8), Duration::from_secs(2));
    let started = Instant::now();
    let got = s
        .send(
            ChannelKind::Slack,
            &format!("{base}/s"),
            &alert(),
            None,
            LOOPBACK,
        )
        .await;
    let Outcome::Permanent { status, reason } = got else {
        panic!("expected a permanent failure, got {got:?}");
    };
    assert_eq!(status, Some(400));
    assert_eq!(reason.chars().count(), "HTTP 400: ".len() + MAX_REASON_BODY);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn refused_urls_are_never_requested() {
    let (base, mut seen) = server(vec![canned("200 OK")]).await;
    let s = sender();
    let a = alert();
    let port = base.rsplit(':').next().unwrap_or_default();
    for url in [
        format!("{base}/s"),                   // http to loopback without the policy
        format!("https://localhost:{port}/s"), // a name for loopback
        format!("https://[::ffff:127.0.0.1]:{port}/s"),
        "https://169.254.169.254/latest/meta-data/".to_owned(),
        "https://10.0.0.1/hook".to_owned(),
        "https://user:pw@example.com/hook".to_owned(),
    ] {
        let got = s
            .send(ChannelKind::Webhook, &url, &a, None, Policy::default())
            .await;
        assert!(
            matches!(&got, Outcome::Permanent { status: None, reason } if reason.starts_with("URL refused")),
            "{url}: {got:?}"
        );
    }
    assert!(seen.try_recv().is_err(), "nothing reached the server");
}

#[tokio::test]
async fn a_refused_connection_is_retried() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let got = sender()
        .send(
            ChannelKind::Discord,
            &format!("http://{addr}/d"),
            &alert(),
            None,
            LOOPBACK,
        )
        .await;
    assert_eq!(got, Outcome::Retry { after: None });
}

#[test]
fn answers_are_classified() {
    let retry = |after: Option<u64>| Outcome::Retry {
        after: after.map(Duration::from_secs),
    };
    assert_eq!(classify(ChannelKind::Slack, 408, None, b""), retry(None));
    assert_eq!(
        classify(ChannelKind::Slack, 502, Some("5"), b""),
        retry(Some(5))
    );
    assert_eq!(
        classify(ChannelKind::Slack, 429, Some("99999"), b""),
        retry(Some(3600)),
        "capped at an hour"
    );
    assert_eq!(
        classify(ChannelKind::Slack, 429, Some("-1"), b""),
        retry(None)
    );
    assert_eq!(
        classify(
            ChannelKind::Slack,
            429,
            Some("Wed, 21 Oct 2015 07:28:00 GMT"),
            b""
        ),
        retry(None)
    );
    // Telegram says it in `parameters.retry_after`, without a header.
    let tg =
        json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7",
                    "parameters": {"retry_after": 7}})
        .to_string();
    assert_eq!(
        classify(ChannelKind::Telegram, 429, None, tg.as_bytes()),
        retry(Some(7))
    );
    // Only Discord's and Telegram's bodies are read for `retry_after`.
    let body = json!({"retry_after": 2.25}).to_string();
    assert_eq!(
        classify(ChannelKind::Discord, 429, None, body.as_bytes()),
        Outcome::Retry {
            after: Some(Duration::from_millis(2250))
        }
    );
    assert_eq!(
        classify(ChannelKind::Webhook, 429, Some("1"), body.as_bytes()),
        retry(Some(1))
    );
    assert_eq!(
        classify(ChannelKind::Discord, 404, None, br#"{"message":"Unknown Webhook","code":10015}"#),
        Outcome::Permanent {
            status: Some(404),
            reason: r#"HTTP 404: webhook deleted or unknown: {"message":"Unknown Webhook","code":10015}"#.into()
        }
    );
    assert_eq!(
        classify(ChannelKind::Webhook, 422, None, b"bad\r\nthing"),
        Outcome::Permanent {
            status: Some(422),
            reason: "HTTP 422: bad  thing".into()
        },
        "one line"
    );
}
