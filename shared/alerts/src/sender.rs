//! Sending one alert to one channel, as a port: [`WebhookSender`] speaks HTTPS through
//! `lookout_webhooks::Sender` (the SSRF guard, pinned addresses, timeouts, bounded answers);
//! [`ScriptedSender`] answers from a script and records what it was given (unit tests).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use lookout_core::{config, BoxFuture};
use lookout_webhooks::{Alert, ChannelKind, Outcome, Policy, Sender};
use serde_json::{json, Value};

/// Sends an alert to a channel's URL.
pub trait ChannelSender: Send + Sync + std::fmt::Debug {
    fn send<'a>(
        &'a self,
        kind: ChannelKind,
        url: &'a str,
        alert: &'a Alert,
        signing_secret: Option<&'a [u8]>,
    ) -> BoxFuture<'a, Outcome>;
    /// The guard's policy URLs are checked under (the default on AWS).
    fn policy(&self) -> Policy;
    /// POSTs `body` as JSON to `url` under the guard (setting a channel up: Telegram's
    /// `setWebhook`): the answer's status and JSON, or why there was none.
    fn post_json<'a>(
        &'a self,
        url: &'a str,
        body: &'a Value,
    ) -> BoxFuture<'a, Result<(u16, Value), String>>;
}

/// The guard's policy from `ALERT_WEBHOOKS_ALLOW_LOOPBACK` (`true` on a local stack only).
pub fn policy_from_env() -> Policy {
    Policy {
        allow_http_loopback: config::optional(config::names::ALERT_WEBHOOKS_ALLOW_LOOPBACK)
            .is_some_and(|v| v.trim() == "true"),
    }
}

/// Sends over HTTPS.
#[derive(Debug, Clone)]
pub struct WebhookSender {
    sender: Sender,
    policy: Policy,
}

impl WebhookSender {
    pub fn new(policy: Policy) -> Self {
        Self {
            sender: Sender::new(),
            policy,
        }
    }

    pub fn from_env() -> Self {
        Self::new(policy_from_env())
    }
}

impl ChannelSender for WebhookSender {
    fn send<'a>(
        &'a self,
        kind: ChannelKind,
        url: &'a str,
        alert: &'a Alert,
        signing_secret: Option<&'a [u8]>,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(
            self.sender
                .send(kind, url, alert, signing_secret, self.policy),
        )
    }

    fn policy(&self) -> Policy {
        self.policy
    }

    fn post_json<'a>(
        &'a self,
        url: &'a str,
        body: &'a Value,
    ) -> BoxFuture<'a, Result<(u16, Value), String>> {
        Box::pin(self.sender.post_json(url, body, self.policy))
    }
}

/// Answers each send with the next scripted outcome (delivered when the script is empty) and
/// records (kind, url, alert id) of each (a setup call: its body in place of the id).
#[derive(Debug, Clone, Default)]
pub struct ScriptedSender {
    script: Arc<Mutex<VecDeque<Outcome>>>,
    sent: Arc<Mutex<Vec<(ChannelKind, String, String)>>>,
    alerts: Arc<Mutex<Vec<Alert>>>,
}

impl ScriptedSender {
    pub fn new(script: impl IntoIterator<Item = Outcome>) -> Self {
        Self {
            script: Arc::new(Mutex::new(script.into_iter().collect())),
            sent: Arc::default(),
            alerts: Arc::default(),
        }
    }

    /// The alerts sent, as rendered, in order.
    pub fn sent_alerts(&self) -> Vec<Alert> {
        self.alerts.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// What was sent: (kind, url, alert id), in order.
    pub fn sent(&self) -> Vec<(ChannelKind, String, String)> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl ChannelSender for ScriptedSender {
    fn send<'a>(
        &'a self,
        kind: ChannelKind,
        url: &'a str,
        alert: &'a Alert,
        _signing_secret: Option<&'a [u8]>,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            if let Ok(mut sent) = self.sent.lock() {
                sent.push((kind, url.to_owned(), alert.id.clone()));
            }
            if let Ok(mut alerts) = self.alerts.lock() {
                alerts.push(alert.clone());
            }
            self.script
                .lock()
                .ok()
                .and_then(|mut s| s.pop_front())
                .unwrap_or(Outcome::Delivered)
        })
    }

    fn policy(&self) -> Policy {
        Policy {
            allow_http_loopback: true,
        }
    }

    /// Answers as Telegram does to a `setWebhook` it takes, and records the call as sent
    /// (kind `telegram`, the URL, the body).
    fn post_json<'a>(
        &'a self,
        url: &'a str,
        body: &'a Value,
    ) -> BoxFuture<'a, Result<(u16, Value), String>> {
        Box::pin(async move {
            if let Ok(mut sent) = self.sent.lock() {
                sent.push((ChannelKind::Telegram, url.to_owned(), body.to_string()));
            }
            Ok((200, json!({"ok": true, "result": true})))
        })
    }
}
