//! The messenger queue's consumer (SQS event source, `ReportBatchItemFailures`).
//!
//! Each record is a [`Job`]:
//!
//! - `fanout {sendId}`: enqueues one `deliver` job per pending delivery of the send.
//! - `deliver {deliveryId}`: claims the delivery (`pending → sending`, a conditional write),
//!   sends it through [`Messenger::send`] and records the outcome:
//!   - accepted → `sent`;
//!   - transient failure (network, 429, 5xx, Viber `tooManyRequests`) with attempts left →
//!     back to `pending`, and the message becomes visible again after an exponential backoff
//!     (`ChangeMessageVisibility`), reported in `batchItemFailures`;
//!   - permanent failure, or the last attempt failed → `failed`, listed by
//!     `/api/get_failed_mess`, and the message is acknowledged.
//!
//! A delivery of a tenant's send to one of the admin's chats (any spelling, see `Reserved`)
//! is recorded as failed and never sent.
//!
//! A redelivered job of a delivery that is already `sent` or `failed` is acknowledged without
//! sending: a messenger never gets the same delivery twice. Records are processed concurrently;
//! only the ones that need another try are reported as failures. A body that is not a job
//! (a poison message) is reported at once with visibility 0, so the queue's redrive policy
//! moves it to the dead-letter queue after `maxReceiveCount` receives.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::{Error, LambdaEvent};
use lookout_core::{
    aws,
    config::{self, ConfigError},
    error::error_chain,
    time::{system_clock, SharedClock},
    AppError,
};
pub use lookout_messenger::broadcast::{alert_contacts, ADMIN_ALERT_CONTACTS};
use lookout_messenger::broadcast::{
    env, Addresses, BroadcastStore, Claim, ContactName, DeliveryId, Dispatcher, IdempotencyKey,
    Job, JobQueue, KeyedSend, Reserved, RetryPolicy, SendId, Status, Step, UserName, ALERTS_TENANT,
};
use lookout_messenger::messenger::{LazyMessenger, MessengerApi};

#[derive(Debug, Clone)]
pub struct Deps {
    pub store: BroadcastStore,
    /// The messenger queue (fanout's jobs, retry delays).
    pub queue: Arc<dyn JobQueue>,
    pub messenger: Arc<dyn MessengerApi>,
    pub policy: RetryPolicy,
    /// The admin's messenger addresses for alerts (`ADMIN_ALERT_CONTACTS`); `None`: alerts
    /// are acknowledged unsent.
    pub alert_to: Option<Addresses>,
    /// The admin's chats (every spelling): only the alerts' own sends reach them.
    pub reserved: Reserved,
    pub clock: SharedClock,
}

impl Deps {
    pub async fn from_env() -> Result<Self, ConfigError> {
        let sdk = aws::sdk_config().await;
        Ok(Self {
            store: BroadcastStore::from_env(aws::dynamodb(&sdk))?,
            queue: Arc::new(Dispatcher::new(
                aws_sdk_sqs::Client::new(&sdk),
                config::required(env::MESSENGER_QUEUE_URL)?,
                None,
            )),
            // The tokens' secret is read on the first delivery, not at cold start.
            messenger: Arc::new(LazyMessenger::new(&sdk)),
            policy: RetryPolicy::from_env()?,
            alert_to: alert_contacts(config::optional(ADMIN_ALERT_CONTACTS).as_deref())?,
            reserved: Reserved::from_env()?,
            clock: system_clock(),
        })
    }
}

/// What to do with one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done (or nothing left to do): acknowledge.
    Ack,
    /// Report as failed; visible again after the given delay, or after the queue's
    /// visibility timeout when `None`.
    Retry(Option<Duration>),
}

pub async fn handle(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    // Settings first (the secret is read by the first invocation): without them nothing is
    // claimed, and the failed invocation returns the whole batch to the queue.
    deps.messenger.ready().await?;
    let mut tasks = tokio::task::JoinSet::new();
    let mut ids = HashMap::new();
    for record in event.payload.records {
        let Some(message_id) = record.message_id.clone() else {
            tracing::error!("SQS record without a messageId: cannot be acknowledged or retried");
            continue;
        };
        let deps = deps.clone();
        let handle = tasks.spawn(async move { process(&deps, &record).await });
        ids.insert(handle.id(), message_id);
    }
    let mut response = SqsBatchResponse::default();
    while let Some(done) = tasks.join_next_with_id().await {
        match done {
            Ok((id, Outcome::Retry(_))) => {
                if let Some(m) = ids.remove(&id) {
                    response.batch_item_failures.push(failure(m));
                }
            }
            Ok((id, Outcome::Ack)) => {
                ids.remove(&id);
            }
            Err(err) => {
                tracing::error!(error = %err, "a record's task failed");
                if let Some(m) = ids.remove(&err.id()) {
                    response.batch_item_failures.push(failure(m));
                }
            }
        }
    }
    Ok(response)
}

fn failure(message_id: String) -> BatchItemFailure {
    let mut f = BatchItemFailure::default();
    f.item_identifier = message_id;
    f
}

/// Processes one record and, for a retry with a delay, sets its visibility.
pub async fn process(deps: &Deps, record: &SqsMessage) -> Outcome {
    let message_id = record.message_id.as_deref().unwrap_or("?");
    let receives = record
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|c| c.parse::<u32>().ok())
        .unwrap_or(1);
    let outcome = match Job::parse(record.body.as_deref().unwrap_or_default()) {
        Err(err) => {
            tracing::error!(message_id, receives, error = %err, "poison message: left for the dead-letter queue");
            Ok(Outcome::Retry(Some(Duration::ZERO)))
        }
        Ok(Job::Fanout { send_id }) => fanout(deps, &send_id).await,
        Ok(Job::Deliver { delivery_id }) => deliver(deps, &delivery_id, receives).await,
        Ok(Job::Alert { alert_id, text }) => alert(deps, &alert_id, &text).await,
    };
    let outcome = match outcome {
        Ok(o) => o,
        Err(err) => {
            tracing::error!(message_id, receives, error = %error_chain(&err), "job failed; retried after the visibility timeout");
            Outcome::Retry(None)
        }
    };
    if let (Outcome::Retry(Some(after)), Some(handle)) = (outcome, &record.receipt_handle) {
        if let Err(err) = deps.queue.retry_after(handle, after).await {
            // The message still comes back, after the queue's visibility timeout.
            tracing::warn!(message_id, error = %error_chain(&err), "could not set the retry delay");
        }
    }
    outcome
}

/// Enqueues one `deliver` job per pending delivery of the send. Run again (a redelivered
/// fanout), it enqueues the still pending ones again: harmless, deliveries are idempotent.
pub async fn fanout(deps: &Deps, send_id: &SendId) -> Result<Outcome, AppError> {
    let deliveries = deps.store.deliveries(send_id).await?;
    if deliveries.is_empty() && deps.store.get_send(send_id).await?.is_none() {
        tracing::error!(
            send_id = send_id.as_str(),
            "fanout of an unknown send: left for the dead-letter queue"
        );
        return Ok(Outcome::Retry(Some(Duration::ZERO)));
    }
    let jobs = deliveries
        .iter()
        .filter(|d| d.status == Status::Pending)
        .map(|d| d.id().map(|delivery_id| Job::Deliver { delivery_id }))
        .collect::<Result<Vec<_>, _>>()?;
    deps.queue.enqueue_all(&jobs).await?;
    tracing::info!(
        send_id = send_id.as_str(),
        deliveries = deliveries.len(),
        enqueued = jobs.len(),
        "send fanned out"
    );
    Ok(Outcome::Ack)
}

/// Turns an admin alert into a send to the admin's addresses (keyed by the alert id, so a
/// repeated alert is one send) and fans it out: the deliveries then go like any broadcast's,
/// with retries and the failed list.
pub async fn alert(deps: &Deps, alert_id: &str, text: &str) -> Result<Outcome, AppError> {
    let Some(to) = &deps.alert_to else {
        tracing::info!(alert_id, "alert not sent: no ADMIN_ALERT_CONTACTS");
        return Ok(Outcome::Ack);
    };
    let invalid = |e: String| AppError::internal(std::io::Error::other(e));
    let tenant = lookout_core::auth::Tenant::parse(ALERTS_TENANT).map_err(invalid)?;
    let key = match IdempotencyKey::parse(alert_id) {
        Ok(k) => k,
        Err(err) => {
            tracing::error!(alert_id, error = %err, "bad alert id: left for the dead-letter queue");
            return Ok(Outcome::Retry(Some(Duration::ZERO)));
        }
    };
    let send_id = SendId::for_key(&tenant, &key);
    let user = UserName::parse("lookout").map_err(invalid)?;
    let contact = ContactName::parse("admin").map_err(invalid)?;
    let now = deps.clock.now();
    let fingerprint = lookout_core::auth::sha256_hex(text.as_bytes());
    let created = deps
        .store
        .create_send_once(
            send_id.clone(),
            &fingerprint,
            &tenant,
            &user,
            &[(contact, to.clone())],
            text,
            now,
            now,
        )
        .await?;
    if let KeyedSend::Created(..) = created {
        tracing::info!(alert_id, send_id = send_id.as_str(), "alert send created");
    }
    fanout(deps, &send_id).await
}

/// Delivers one (contact, messenger) message at most once.
pub async fn deliver(deps: &Deps, id: &DeliveryId, receives: u32) -> Result<Outcome, AppError> {
    let delivery_id = id.to_string();
    let now = deps.clock.now();
    let claimed = match deps.store.claim(id, now, deps.policy.lease).await? {
        Claim::Claimed(d) => d,
        Claim::Done(status) => {
            tracing::info!(
                delivery_id,
                receives,
                status = status.as_str(),
                "duplicate job: already done"
            );
            return Ok(Outcome::Ack);
        }
        Claim::Busy(until) => {
            // Another consumer holds the attempt: look again when its lease ends.
            let wait = (until.datetime() - now.datetime())
                .to_std()
                .unwrap_or_default()
                + Duration::from_secs(1);
            tracing::info!(delivery_id, receives, %until, "delivery busy elsewhere; retried later");
            return Ok(Outcome::Retry(Some(wait)));
        }
        Claim::Interrupted(d) => {
            tracing::warn!(delivery_id, messenger = %d.messenger, "an earlier attempt was interrupted; recorded as failed, not resent");
            return Ok(Outcome::Ack);
        }
        Claim::Missing => {
            tracing::error!(
                delivery_id,
                "job for an unknown delivery: left for the dead-letter queue"
            );
            return Ok(Outcome::Retry(Some(Duration::ZERO)));
        }
    };
    let kind = claimed.messenger;
    let url = deps.messenger.endpoint(kind).await;
    // Nothing is sent yet: a failure before the messenger call gives the attempt back
    // (`sending → pending`), so the next receive sends it, instead of finding an expired
    // lease and recording it as interrupted.
    let send = match deps.store.get_send(&id.send).await {
        Ok(send) => send,
        Err(err) => {
            match deps.store.release(&claimed, deps.clock.now()).await {
                Ok(_) => {
                    tracing::warn!(delivery_id, error = %error_chain(&err), "could not read the send; attempt given back")
                }
                Err(undo) => {
                    tracing::error!(delivery_id, error = %error_chain(&err), release = %error_chain(&undo),
                    "could not read the send nor give the attempt back; it is recorded as interrupted when its lease ends")
                }
            }
            return Err(err.into());
        }
    };
    let Some(send) = send else {
        deps.store
            .mark_failed(
                &claimed,
                deps.clock.now(),
                "the send record is missing",
                url.as_deref(),
                "",
            )
            .await?;
        return Ok(Outcome::Ack);
    };
    if send.tenant != ALERTS_TENANT && deps.reserved.holds(kind, &claimed.address) {
        // The last check before a tenant's message leaves: the admin's chats get alerts only.
        deps.store
            .mark_failed(
                &claimed,
                deps.clock.now(),
                "refused: this address is the admin's; a tenant's message is never sent to it",
                url.as_deref(),
                &send.message,
            )
            .await?;
        tracing::warn!(delivery_id, messenger = %kind, tenant = send.tenant.as_str(), "a tenant's message to an admin address: refused");
        return Ok(Outcome::Ack);
    }
    let result = deps
        .messenger
        .send(kind, &claimed.address, &send.message)
        .await;
    let now = deps.clock.now();
    match deps
        .policy
        .step_on_receive(claimed.attempts, receives, result)
    {
        Step::Sent { provider_id } => {
            let recorded = deps
                .store
                .mark_sent(&claimed, now, provider_id.as_deref())
                .await?;
            if !recorded {
                tracing::warn!(delivery_id, "sent, but the delivery had moved on meanwhile");
            }
            tracing::info!(delivery_id, messenger = %kind, attempt = claimed.attempts, "delivered");
            Ok(Outcome::Ack)
        }
        Step::Retry { after, error } => {
            // Recorded, or the next receive would find the attempt `sending` past its lease
            // and record it as interrupted (failed) although it is known not to have arrived:
            // a failed write is tried again at once, a few times.
            let mut tries = 0;
            loop {
                tries += 1;
                match deps.store.mark_retry(&claimed, now, &error).await {
                    Ok(_) => break,
                    Err(err) if tries < 3 => {
                        tracing::warn!(delivery_id, error = %error_chain(&err), "retry not recorded; trying again");
                        tokio::time::sleep(Duration::from_millis(100 << tries)).await;
                    }
                    Err(err) => return Err(err.into()),
                }
            }
            tracing::warn!(delivery_id, messenger = %kind, attempt = claimed.attempts, %error, retry_in = ?after, "delivery failed; will retry");
            Ok(Outcome::Retry(Some(after)))
        }
        Step::Failed { reason } => {
            deps.store
                .mark_failed(&claimed, now, &reason, url.as_deref(), &send.message)
                .await?;
            tracing::warn!(delivery_id, messenger = %kind, attempt = claimed.attempts, error = %reason, "delivery failed for good");
            Ok(Outcome::Ack)
        }
    }
}

/// Serves this function on the Lambda runtime API: what its own binary, which is also its
/// deploy binary (template.yaml's `Binary: messenger-deliver`), runs once tracing is set up.
pub async fn serve() -> Result<(), lambda_runtime::Error> {
    use lambda_runtime::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|event| handle(&deps, event))).await
}
