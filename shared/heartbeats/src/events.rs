//! Where a transition goes besides the admin's mail: the app-events queue (a port), read by the
//! incidents domain, which opens an incident for the outage and resolves it on recovery.
//!
//! The event is published from the transition's outbox, before the mail: the outbox is
//! cleared only when both went out, so a failure of either is retried after the lease (the
//! consumer tells a redelivered event by its `seq`).

use std::sync::{Arc, Mutex};

use lookout_core::events::{AppTransition, TransitionKind};
use lookout_core::BoxFuture;

use super::*;

/// Publishes app transitions (SQS in functions, memory in unit tests).
pub trait TransitionSink: Send + Sync + std::fmt::Debug {
    fn publish<'a>(&'a self, event: &'a AppTransition)
        -> BoxFuture<'a, Result<(), HeartbeatError>>;
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

/// The app-events queue (`APP_EVENTS_QUEUE_URL`).
#[derive(Debug, Clone)]
pub struct SqsTransitions {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsTransitions {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// `None` when `APP_EVENTS_QUEUE_URL` is not set (no incidents for heartbeat apps).
    pub fn from_env(sdk: &aws_config::SdkConfig) -> Option<Arc<dyn TransitionSink>> {
        config::optional(config::names::APP_EVENTS_QUEUE_URL).map(|url| {
            Arc::new(Self::new(aws_sdk_sqs::Client::new(sdk), url)) as Arc<dyn TransitionSink>
        })
    }
}

impl TransitionSink for SqsTransitions {
    fn publish<'a>(
        &'a self,
        event: &'a AppTransition,
    ) -> BoxFuture<'a, Result<(), HeartbeatError>> {
        Box::pin(async move {
            let body = serde_json::to_string(event).map_err(|e| StoreError::Call(Box::new(e)))?;
            self.client
                .send_message()
                .queue_url(&self.queue_url)
                .message_body(body)
                .send()
                .await
                .map_err(|e| StoreError::Call(Box::new(e)))?;
            Ok(())
        })
    }
}

/// Keeps what was published (and can be made to fail), for unit tests.
#[derive(Debug, Default)]
pub struct MemoryTransitions {
    published: Mutex<Vec<AppTransition>>,
    failing: Mutex<bool>,
}

impl MemoryTransitions {
    pub fn published(&self) -> Vec<AppTransition> {
        self.published.lock().map(|p| p.clone()).unwrap_or_default()
    }

    pub fn set_failing(&self, failing: bool) {
        if let Ok(mut f) = self.failing.lock() {
            *f = failing;
        }
    }
}

impl TransitionSink for MemoryTransitions {
    fn publish<'a>(
        &'a self,
        event: &'a AppTransition,
    ) -> BoxFuture<'a, Result<(), HeartbeatError>> {
        Box::pin(async move {
            if self.failing.lock().map(|f| *f).unwrap_or(false) {
                return Err(StoreError::invariant("events queue unavailable").into());
            }
            if let Ok(mut p) = self.published.lock() {
                p.push(event.clone());
            }
            Ok(())
        })
    }
}

impl PendingMail {
    /// The transition this mail announces, as the events queue carries it.
    pub fn transition(&self) -> AppTransition {
        let rec = &self.written;
        AppTransition {
            tenant: rec.tenant.clone(),
            app_id: rec.app_id.clone(),
            kind: match self.kind {
                MailKind::Down => TransitionKind::Down,
                MailKind::Up => TransitionKind::Up,
            },
            seq: self.seq,
            at: rec.state_changed_at,
            reason: rec.down_reason.clone(),
            app: serde_json::to_value(rec.view()).ok(),
        }
    }
}
