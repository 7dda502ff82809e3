//! The messenger queue's consumer (SQS event source, `ReportBatchItemFailures`).
//!
//! Each record is a [`Job`] (`fanout`, `deliver`, `alert`), run by the domain's use case
//! (`lookout_messenger::run_job`, `shared/messenger/src/deliver.rs`: claims, sends at most once,
//! records outcomes and retries). This consumer parses the records, runs their jobs
//! concurrently and maps each outcome to the batch response: done → acknowledged; another try
//! → reported in `batchItemFailures`, visible again after the job's backoff
//! (`ChangeMessageVisibility`) or, after an error, the queue's visibility timeout. A body that
//! is not a job (a poison message) is reported at once with visibility 0, so the queue's
//! redrive policy moves it to the dead-letter queue after `maxReceiveCount` receives.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::{Error, LambdaEvent};
use lookout_core::{
    aws,
    config::{self, names as env, ConfigError},
    error::error_chain,
    time::{system_clock, SharedClock},
};
use lookout_messenger::{
    alert_contacts, run_job, Addresses, BroadcastStore, Dispatcher, Job, JobOutcome, JobPorts,
    JobQueue, LazyMessenger, MessengerApi, Reserved, RetryPolicy, ADMIN_ALERT_CONTACTS,
};

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

    /// What the jobs run with.
    pub fn ports(&self) -> JobPorts<'_> {
        JobPorts {
            sends: &self.store.sends,
            deliveries: &self.store.deliveries,
            queue: &*self.queue,
            messenger: &*self.messenger,
            policy: &self.policy,
            alert_to: self.alert_to.as_ref(),
            reserved: &self.reserved,
            clock: &*self.clock,
        }
    }
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
            Ok((id, JobOutcome::Retry(_))) => {
                if let Some(m) = ids.remove(&id) {
                    response.batch_item_failures.push(failure(m));
                }
            }
            Ok((id, JobOutcome::Ack)) => {
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

/// Runs one record's job and, for a retry with a delay, sets its visibility.
pub async fn process(deps: &Deps, record: &SqsMessage) -> JobOutcome {
    let message_id = record.message_id.as_deref().unwrap_or("?");
    let receives = record
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|c| c.parse::<u32>().ok())
        .unwrap_or(1);
    let outcome = match Job::parse(record.body.as_deref().unwrap_or_default()) {
        Ok(job) => run(deps, &job, message_id, receives).await,
        Err(err) => {
            tracing::error!(message_id, receives, error = %err, "poison message: left for the dead-letter queue");
            JobOutcome::Retry(Some(Duration::ZERO))
        }
    };
    if let (JobOutcome::Retry(Some(after)), Some(handle)) = (outcome, &record.receipt_handle) {
        if let Err(err) = deps.queue.retry_after(handle, after).await {
            // The message still comes back, after the queue's visibility timeout.
            tracing::warn!(message_id, error = %error_chain(&err), "could not set the retry delay");
        }
    }
    outcome
}

/// Runs a record's job; a job that fails is tried again after the queue's visibility timeout.
async fn run(deps: &Deps, job: &Job, message_id: &str, receives: u32) -> JobOutcome {
    let ports = deps.ports();
    let result = run_job(&ports, job, receives).await;
    result.unwrap_or_else(|err| {
        tracing::error!(message_id, receives, error = %error_chain(&err), "job failed; retried after the visibility timeout");
        JobOutcome::Retry(None)
    })
}

/// Serves this function on the Lambda runtime API: what its own binary, which is also its
/// deploy binary (template.yaml's `Binary: deliver-messages`), runs once tracing is set up.
pub async fn serve() -> Result<(), lambda_runtime::Error> {
    use lambda_runtime::{run, service_fn};
    let deps = Deps::from_env().await?;
    run(service_fn(|event| handle(&deps, event))).await
}
