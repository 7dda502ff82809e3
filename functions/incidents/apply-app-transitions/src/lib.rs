//! The app-events queue's consumer (SQS event source, `ReportBatchItemFailures`): each record
//! is an [`AppTransition`] of a heartbeat app. `down` opens an incident for the app (or counts
//! in its unresolved one), with the app's state as the snapshot; `up` resolves it, which the
//! incident's history records. See `lookout_incidents::apply_transition` for ordering and
//! redelivery.
//!
//! A record that fails (DynamoDB) is reported alone and comes back after the visibility
//! timeout; a body that is not a transition is reported too and ends in the dead-letter queue
//! after `maxReceiveCount` receives.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use lookout_core::{aws, config, error::error_chain, events::AppTransition};
use lookout_incidents::{apply_transition, IncidentStore, SqsTenantAlerts, TenantAlerts};

#[derive(Debug, Clone)]
pub struct Deps {
    pub store: IncidentStore,
    /// The tenants' alerts queue (`ALERTS_QUEUE_URL`): each outage and recovery raises its
    /// tenant's alert.
    pub alerts: Option<SqsTenantAlerts>,
    /// The console, linked from the alerts.
    pub console_url: Option<String>,
}

impl Deps {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = aws::sdk_config().await;
        Ok(Self {
            store: IncidentStore::from_env(aws::dynamodb(&sdk))?,
            alerts: SqsTenantAlerts::from_env(&sdk),
            console_url: config::optional(config::names::CONSOLE_URL),
        })
    }
}

pub async fn handle(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    let mut failures = Vec::new();
    // In order: two events of one app in one batch apply oldest first.
    for record in event.payload.records {
        let id = record.message_id.clone().unwrap_or_default();
        let parsed: Result<AppTransition, _> =
            serde_json::from_str(record.body.as_deref().unwrap_or_default());
        let ok = match parsed {
            Ok(ev) => match apply_transition(
                &deps.store,
                &ev,
                deps.alerts.as_ref().map(|a| a as &dyn TenantAlerts),
                deps.console_url.as_deref(),
            )
            .await
            {
                Ok(outcome) => {
                    tracing::info!(tenant = %ev.tenant, app = %ev.app_id, seq = ev.seq, ?outcome, "transition applied");
                    true
                }
                Err(err) => {
                    tracing::error!(tenant = %ev.tenant, app = %ev.app_id, error = %error_chain(&err), "transition not applied; retried");
                    false
                }
            },
            Err(err) => {
                tracing::error!(message_id = %id, error = %err, "not an app transition; left for the dead-letter queue");
                false
            }
        };
        if !ok {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failures.push(failure);
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    Ok(response)
}

/// Serves this function on the Lambda runtime API: what its own binary and the domain's
/// deploy binary (`incidents-bootstrap`, by `_HANDLER`) run once tracing is set up.
pub async fn serve() -> Result<(), lambda_runtime::Error> {
    let deps = Deps::from_env().await?;
    run(service_fn(|event| handle(&deps, event))).await
}
