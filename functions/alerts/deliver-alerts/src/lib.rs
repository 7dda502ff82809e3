//! The alerts queue's consumer (SQS event source, `ReportBatchItemFailures`). Each record is a
//! `TenantAlert`, delivered along its tenant's route by `lookout_alerts::deliver` (steps
//! claimed and sent at most once, retries, fallback to the next channel). Records run
//! concurrently; each outcome maps to the batch response: done → acknowledged; to be tried
//! again → reported in `batchItemFailures`, visible again after the delay the service asked
//! for (`ChangeMessageVisibility`) or, after an error, the queue's visibility timeout. A body
//! that is not an alert is reported with visibility 0, so the redrive policy moves it to the
//! dead-letter queue after `maxReceiveCount` receives.

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use lookout_alerts::{
    deliver, AlertError, DeliverOutcome, DeliverPorts, DynamoAlerts, IncidentState,
    SchedulerFollowUps, Sealer, WebhookSender,
};
use lookout_core::{
    aws, config,
    error::error_chain,
    events::TenantAlert,
    time::{system_clock, SharedClock},
    BoxFuture, StoreError,
};
use lookout_incidents::{IncidentError, IncidentStore, IncidentTable, Status};

#[derive(Debug, Clone)]
pub struct Deps {
    pub store: DynamoAlerts,
    pub sealer: Sealer,
    pub sender: Arc<WebhookSender>,
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub clock: SharedClock,
    /// Where repeats of unacknowledged alerts are scheduled.
    pub follow_ups: Arc<SchedulerFollowUps>,
    /// Whether an alert's incident is still open (the incidents table, read only).
    pub incidents: OpenIncidents,
    /// The API's public base URL, for acknowledgement links (`CONSOLE_URL` without its
    /// `/console`).
    pub ack_base: Option<String>,
}

/// The incidents domain's view of an incident's state.
#[derive(Debug, Clone)]
pub struct OpenIncidents(pub IncidentStore);

impl IncidentState for OpenIncidents {
    fn is_open<'a>(&'a self, incident: &'a str) -> BoxFuture<'a, Result<bool, AlertError>> {
        Box::pin(async move {
            match self.0.incidents().get(incident).await {
                Ok(detail) => Ok(detail.incident.status == Status::Open),
                Err(IncidentError::IncidentNotFound) => Ok(false),
                Err(err) => Err(AlertError::Store(StoreError::Call(Box::new(err)))),
            }
        })
    }
}

/// The API's base URL from the console's (`https://host/console` → `https://host`).
pub fn ack_base(console_url: Option<&str>) -> Option<String> {
    let url = console_url?.trim().trim_end_matches('/');
    let base = url.strip_suffix("/console").unwrap_or(url);
    (!base.is_empty()).then(|| base.to_owned())
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        Ok(Self {
            store: DynamoAlerts::from_env(aws::dynamodb(&sdk))?,
            sealer: Sealer::from_env(&sdk).await?,
            sender: Arc::new(WebhookSender::from_env()),
            sqs: aws_sdk_sqs::Client::new(&sdk),
            queue_url: config::required(config::names::ALERTS_QUEUE_URL)?,
            clock: system_clock(),
            follow_ups: Arc::new(SchedulerFollowUps::from_env(&sdk)?),
            incidents: OpenIncidents(IncidentStore::from_env(aws::dynamodb(&sdk))?),
            ack_base: ack_base(config::optional(config::names::CONSOLE_URL).as_deref()),
        })
    }

    fn ports(&self) -> DeliverPorts<'_> {
        DeliverPorts {
            store: &self.store,
            sender: &*self.sender,
            sealer: &self.sealer,
            clock: &*self.clock,
            follow_ups: Some(&*self.follow_ups),
            incidents: Some(&self.incidents),
            ack_base: self.ack_base.as_deref(),
        }
    }
}

/// Longest visibility SQS takes (12 hours).
const MAX_VISIBILITY: Duration = Duration::from_secs(43_200);

pub async fn handle(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    let mut tasks = tokio::task::JoinSet::new();
    for record in event.payload.records {
        let deps = deps.clone();
        tasks.spawn(async move { process(&deps, &record).await });
    }
    let mut response = SqsBatchResponse::default();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Some(message_id)) => {
                let mut f = BatchItemFailure::default();
                f.item_identifier = message_id;
                response.batch_item_failures.push(f);
            }
            Ok(None) => {}
            // A task that panicked cannot name its record: fail the invocation, so the whole
            // batch comes back (deliveries are idempotent).
            Err(err) => return Err(format!("a record's task failed: {err}").into()),
        }
    }
    Ok(response)
}

/// Runs one record; `Some(message id)` when it is to be tried again.
async fn process(deps: &Deps, record: &SqsMessage) -> Option<String> {
    let Some(message_id) = record.message_id.clone() else {
        tracing::error!("SQS record without a messageId: cannot be acknowledged or retried");
        return None;
    };
    let delay = match serde_json::from_str::<TenantAlert>(
        record.body.as_deref().unwrap_or_default(),
    ) {
        Ok(alert) => match deliver(&deps.ports(), &alert).await {
            Ok(DeliverOutcome::Done) => return None,
            Ok(DeliverOutcome::RetryAfter(after)) => Some(after),
            Err(err) => {
                tracing::error!(tenant = %alert.tenant, alert_id = %alert.alert_id, error = %error_chain(&err), "alert delivery failed; retried after the visibility timeout");
                None
            }
        },
        Err(err) => {
            tracing::error!(%message_id, error = %err, "not a tenant alert: left for the dead-letter queue");
            Some(Duration::ZERO)
        }
    };
    if let (Some(after), Some(handle)) = (delay, &record.receipt_handle) {
        let secs = i32::try_from(after.min(MAX_VISIBILITY).as_secs()).unwrap_or(0);
        if let Err(err) = deps
            .sqs
            .change_message_visibility()
            .queue_url(&deps.queue_url)
            .receipt_handle(handle)
            .visibility_timeout(secs)
            .send()
            .await
        {
            // It still comes back, after the queue's visibility timeout.
            tracing::warn!(%message_id, error = %error_chain(&err), "could not set the retry delay");
        }
    }
    Some(message_id)
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`alerts-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_runtime::Error> {
    let deps = Deps::from_env().await?;
    run(service_fn(|event| handle(&deps, event))).await
}
