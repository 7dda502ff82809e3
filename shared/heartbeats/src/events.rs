//! Where a transition goes besides the admin's mail: the app-events queue (a port), read by the
//! incidents domain, which opens an incident for the outage and resolves it on recovery.
//!
//! The event is published from the transition's outbox, before the mail: the outbox is
//! cleared only when both went out, so a failure of either is retried after the lease (the
//! consumer tells a redelivered event by its `seq`).

use std::sync::Arc;

use lookout_core::events::{AdminAlert, AppTransition};
use lookout_core::{config, BoxFuture, StoreError};
use lookout_mail::AdminMailer;

use crate::error::HeartbeatError;

/// Publishes app transitions and admin alerts (SQS; tests use the stack's queues in moto).
pub trait TransitionSink: Send + Sync + std::fmt::Debug {
    fn publish<'a>(&'a self, event: &'a AppTransition)
        -> BoxFuture<'a, Result<(), HeartbeatError>>;
    /// Queues an alert for the admin's messenger recipients.
    fn alert<'a>(&'a self, alert: &'a AdminAlert) -> BoxFuture<'a, Result<(), HeartbeatError>>;
}

/// Where a transition is announced: the admin's mail and, when configured, the events queue.
#[derive(Clone, Copy)]
pub struct Notify<'a> {
    pub mail: &'a dyn AdminMailer,
    pub events: Option<&'a dyn TransitionSink>,
}

impl std::fmt::Debug for Notify<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notify")
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

/// The app-events queue (`APP_EVENTS_QUEUE_URL`) and, for alerts, the messenger queue
/// (`MESSENGER_QUEUE_URL`); either may be absent.
#[derive(Debug, Clone)]
pub struct SqsTransitions {
    client: aws_sdk_sqs::Client,
    queue_url: Option<String>,
    alerts_url: Option<String>,
}

impl SqsTransitions {
    pub fn new(
        client: aws_sdk_sqs::Client,
        queue_url: Option<String>,
        alerts_url: Option<String>,
    ) -> Self {
        Self {
            client,
            queue_url,
            alerts_url,
        }
    }

    /// `None` when neither queue is configured.
    pub fn from_env(sdk: &lookout_core::aws::SdkConfig) -> Option<Arc<dyn TransitionSink>> {
        let events = config::optional(config::names::APP_EVENTS_QUEUE_URL);
        let alerts = config::optional(config::names::MESSENGER_QUEUE_URL);
        (events.is_some() || alerts.is_some()).then(|| {
            Arc::new(Self::new(aws_sdk_sqs::Client::new(sdk), events, alerts))
                as Arc<dyn TransitionSink>
        })
    }

    async fn send(&self, url: &str, body: String) -> Result<(), HeartbeatError> {
        self.client
            .send_message()
            .queue_url(url)
            .message_body(body)
            .send()
            .await
            .map_err(StoreError::from)?;
        Ok(())
    }
}

impl TransitionSink for SqsTransitions {
    fn publish<'a>(
        &'a self,
        event: &'a AppTransition,
    ) -> BoxFuture<'a, Result<(), HeartbeatError>> {
        Box::pin(async move {
            let Some(url) = &self.queue_url else {
                return Ok(());
            };
            let body = serde_json::to_string(event).map_err(|e| StoreError::Call(Box::new(e)))?;
            self.send(url, body).await
        })
    }

    fn alert<'a>(&'a self, alert: &'a AdminAlert) -> BoxFuture<'a, Result<(), HeartbeatError>> {
        Box::pin(async move {
            match &self.alerts_url {
                Some(url) => self.send(url, alert.job_body()).await,
                None => Ok(()),
            }
        })
    }
}

/// 16 hex characters of the SHA-256 of `s` (ids that must not carry user text).
pub(crate) fn sha256_short(s: &str) -> String {
    lookout_core::auth::sha256_hex(s.as_bytes())[..16].to_owned()
}
