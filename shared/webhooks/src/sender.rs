//! Sending one alert to one webhook URL, and reading the answer into an [`Outcome`].
//!
//! Each send checks the URL ([`check_url_with`]), resolves it to public addresses only
//! ([`resolve_public`]) and builds a client pinned to those addresses, with a resolver that
//! refuses every other name: the connection goes where the check looked, whatever DNS answers
//! a moment later. No proxy from the environment, no redirects (a `302` to
//! `http://169.254.169.254/` would undo the check), a timeout for the whole exchange, and at
//! most [`MAX_RESPONSE_BYTES`] of an answer read. Logs show URLs [`mask`](crate::mask)ed
//! and reqwest's errors without their URL.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use serde_json::Value;
use tracing::{debug, warn};

use crate::alert::Alert;
use crate::discord::discord_payload;
use crate::guard::{check_url_with, resolve_public, Policy, Target, UrlError};
use crate::kind::ChannelKind;
use crate::signature::{sign, SIGNATURE_HEADER};
use crate::slack::slack_payload;
use crate::telegram::{telegram_chat, telegram_payload};
use crate::text::truncate;
use crate::webhook::webhook_payload;

/// The header naming the alert in a generic webhook, so a receiver can drop repeats.
pub const EVENT_ID_HEADER: &str = "Lookout-Event-Id";
/// Most bytes of an answer read; the rest is never received.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// Longest wait for the whole exchange.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A `Retry-After` longer than this is taken as this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);
/// Characters of an answer kept in a [`Outcome::Permanent`] reason.
const MAX_REASON_BODY: usize = 200;

/// What became of one send.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The service took it (any 2xx).
    Delivered,
    /// Try again later: rate limited (`429`, `after` from `Retry-After` or Discord's
    /// `retry_after`), the service failing (5xx, `408`), a timeout, a connection error, or a
    /// host name that did not resolve.
    Retry { after: Option<Duration> },
    /// It will not work by retrying: the webhook is gone (`404`, `410`), refused (`400`, `401`,
    /// `403`, other 4xx), redirected, or the URL was refused by the guard (`status` `None`).
    Permanent { status: Option<u16>, reason: String },
}

/// Sends alerts to webhook URLs. Holds no connection: each send builds a client pinned to
/// the addresses checked for its URL.
#[derive(Debug, Clone)]
pub struct Sender {
    timeout: Duration,
    connect_timeout: Duration,
}

impl Default for Sender {
    fn default() -> Self {
        Self::new()
    }
}

impl Sender {
    /// A sender with a 10 s timeout for the whole exchange and 5 s to connect.
    pub fn new() -> Self {
        Self::with_timeouts(TIMEOUT, CONNECT_TIMEOUT)
    }

    /// A sender with other timeouts (tests use short ones).
    pub fn with_timeouts(timeout: Duration, connect_timeout: Duration) -> Self {
        // reqwest's rustls uses the process-wide crypto provider: ring, as the AWS clients and
        // the messenger adapters do (installing it twice is harmless).
        let _ = rustls::crypto::ring::default_provider().install_default();
        Self {
            timeout,
            connect_timeout,
        }
    }

    /// Sends `alert` to `url` as `kind` renders it. A generic webhook gets
    /// `Content-Type: application/json`, [`EVENT_ID_HEADER`] and, with a `signing_secret`,
    /// [`SIGNATURE_HEADER`] over the exact body sent. `policy` is the default in production.
    pub async fn send(
        &self,
        kind: ChannelKind,
        url: &str,
        alert: &Alert,
        signing_secret: Option<&[u8]>,
        policy: Policy,
    ) -> Outcome {
        let target = match check_url_with(url, policy) {
            Ok(t) => t,
            Err(err) => return refused(kind, &crate::guard::mask(url), &err),
        };
        let addrs = match resolve_public(&target).await {
            Ok(a) => a,
            Err(err) => return refused(kind, &target.masked(), &err),
        };
        let client = match self.client(&target, &addrs) {
            Ok(c) => c,
            Err(err) => {
                warn!(channel = %kind, error = %err.without_url(), "webhook client not built");
                return Outcome::Retry { after: None };
            }
        };
        let payload = match kind {
            ChannelKind::Slack => slack_payload(alert),
            ChannelKind::Discord => discord_payload(alert),
            ChannelKind::Webhook => webhook_payload(alert),
            ChannelKind::Telegram => match telegram_chat(target.url().as_str()) {
                Some(chat) => telegram_payload(alert, &chat),
                None => {
                    return Outcome::Permanent {
                        status: None,
                        reason: "the Telegram URL names no chat_id".to_owned(),
                    }
                }
            },
        };
        let body = payload.to_string().into_bytes();
        let mut request = client
            .post(target.url().as_str())
            .header(CONTENT_TYPE, "application/json");
        if kind == ChannelKind::Webhook {
            request = request.header(EVENT_ID_HEADER, alert.id.as_str());
            if let Some(secret) = signing_secret {
                request = request.header(SIGNATURE_HEADER, sign(secret, unix_now(), &body));
            }
        }
        let response = match request.body(body).send().await {
            Ok(r) => r,
            Err(err) => return transport_failure(kind, &target, err),
        };
        let status = response.status().as_u16();
        if response.status().is_success() {
            debug!(channel = %kind, url = %target.masked(), status, "webhook delivered");
            return Outcome::Delivered;
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let answer = read_bounded(response, MAX_RESPONSE_BYTES).await;
        let outcome = classify(kind, status, retry_after.as_deref(), &answer);
        warn!(channel = %kind, url = %target.masked(), status, ?outcome, "webhook not delivered");
        outcome
    }

    /// POSTs `body` as JSON to `url` under the same guard as [`send`](Self::send), and reads
    /// the answer (bounded): its status and JSON body (`null` when it is not JSON). For calls
    /// that set a channel up (Telegram's `setWebhook`). The error is worded for the admin,
    /// without the URL.
    pub async fn post_json(
        &self,
        url: &str,
        body: &Value,
        policy: Policy,
    ) -> Result<(u16, Value), String> {
        let target = check_url_with(url, policy).map_err(|e| format!("URL refused: {e}"))?;
        let addrs = resolve_public(&target)
            .await
            .map_err(|e| format!("URL refused: {e}"))?;
        let client = self
            .client(&target, &addrs)
            .map_err(|e| error_text(&e.without_url()))?;
        let response = client
            .post(target.url().as_str())
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| {
                let e = e.without_url();
                warn!(url = %target.masked(), error = %error_text(&e), "setup call failed");
                "no answer from the service".to_owned()
            })?;
        let status = response.status().as_u16();
        let answer = read_bounded(response, MAX_RESPONSE_BYTES).await;
        Ok((
            status,
            serde_json::from_slice(&answer).unwrap_or(Value::Null),
        ))
    }

    /// A client that reaches `target`'s host at `addrs` only.
    fn client(&self, target: &Target, addrs: &[SocketAddr]) -> reqwest::Result<reqwest::Client> {
        let mut builder = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .https_only(!target.is_loopback_exception())
            .pool_max_idle_per_host(0)
            .user_agent("Lookout-Webhooks/1")
            .dns_resolver(Arc::new(NoDns));
        if let Some(domain) = target.domain() {
            builder = builder.resolve_to_addrs(domain, addrs);
        }
        builder.build()
    }
}

/// The resolver of a sender's client: refuses every name. The one name a client may reach
/// is pinned to its checked addresses (`resolve_to_addrs`, which reqwest consults first), so
/// nothing unchecked is ever resolved.
#[derive(Debug)]
struct NoDns;

impl reqwest::dns::Resolve for NoDns {
    fn resolve(&self, _name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async {
            Err::<reqwest::dns::Addrs, _>("only the checked addresses are reached".into())
        })
    }
}

/// Seconds since the epoch (0 for a clock before it).
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The outcome of a URL the guard refused.
fn refused(kind: ChannelKind, masked: &str, err: &UrlError) -> Outcome {
    warn!(channel = %kind, url = %masked, error = %err, "webhook URL refused");
    if err.is_transient() {
        Outcome::Retry { after: None }
    } else {
        Outcome::Permanent {
            status: None,
            reason: format!("URL refused: {err}"),
        }
    }
}

/// The outcome of a request that got no answer.
fn transport_failure(kind: ChannelKind, target: &Target, err: reqwest::Error) -> Outcome {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    // reqwest's errors print their URL: shown without it.
    let err = err.without_url();
    let detail = error_text(&err);
    warn!(channel = %kind, url = %target.masked(), error = %detail, "webhook {what}");
    if err.is_builder() {
        return Outcome::Permanent {
            status: None,
            reason: format!("request not built: {detail}"),
        };
    }
    Outcome::Retry { after: None }
}

/// `err` and its sources on one line.
fn error_text(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// At most `max` bytes of `response`'s body; what comes after is not read (the connection is
/// dropped with the response). An error mid-body ends the read with what came.
async fn read_bounded(mut response: reqwest::Response, max: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < max {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let take = chunk.len().min(max - out.len());
                out.extend_from_slice(&chunk[..take]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    out
}

/// The outcome of an answer that is not a success: `status`, its `Retry-After` header and
/// (up to [`MAX_RESPONSE_BYTES`] of) its body.
fn classify(kind: ChannelKind, status: u16, retry_after: Option<&str>, body: &[u8]) -> Outcome {
    let header_after = retry_after.and_then(parse_seconds);
    match status {
        200..=299 => Outcome::Delivered,
        429 => {
            // Discord's body says it to the millisecond (its header rounds up to seconds);
            // Telegram's says it in `parameters.retry_after` only.
            let parsed = || serde_json::from_slice::<Value>(body).ok();
            let body_after = match kind {
                ChannelKind::Discord => parsed().and_then(|v| v["retry_after"].as_f64()),
                ChannelKind::Telegram => {
                    parsed().and_then(|v| v["parameters"]["retry_after"].as_f64())
                }
                _ => None,
            }
            .and_then(seconds);
            Outcome::Retry {
                after: body_after.or(header_after),
            }
        }
        408 | 425 | 500..=599 => Outcome::Retry {
            after: header_after,
        },
        300..=399 => Outcome::Permanent {
            status: Some(status),
            reason: format!("HTTP {status}: redirects are not followed"),
        },
        404 | 410 => Outcome::Permanent {
            status: Some(status),
            reason: format!("HTTP {status}: webhook deleted or unknown{}", snippet(body)),
        },
        _ => Outcome::Permanent {
            status: Some(status),
            reason: format!("HTTP {status}{}", snippet(body)),
        },
    }
}

/// `: <the start of the answer>` on one line, or nothing for an empty answer.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let line = line.trim();
    if line.is_empty() {
        String::new()
    } else {
        format!(": {}", truncate(line, MAX_REASON_BODY))
    }
}

/// A `Retry-After` in seconds (`1`, `1.5`); an HTTP date is not read.
fn parse_seconds(value: &str) -> Option<Duration> {
    value.trim().parse::<f64>().ok().and_then(seconds)
}

/// `secs` as a wait, at most [`MAX_RETRY_AFTER`]; none for a negative or non-finite one.
fn seconds(secs: f64) -> Option<Duration> {
    (secs.is_finite() && secs >= 0.0)
        .then(|| Duration::from_secs_f64(secs.min(MAX_RETRY_AFTER.as_secs_f64())))
}

#[cfg(test)]
mod tests;
