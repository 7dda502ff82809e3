//! Repeats and escalations of an alert nobody acknowledged, as ports: [`FollowUps`] puts the
//! next repeat on the alerts queue at its time (EventBridge Scheduler one-time schedules,
//! [`SchedulerFollowUps`]; [`MemoryFollowUps`] records them for the unit tests), and
//! [`IncidentState`] says whether the alert's incident still needs someone (open: neither
//! acknowledged nor resolved). A repeat whose incident was acknowledged or resolved by the
//! time it fires does nothing and schedules nothing more: that is how an acknowledgement (from
//! the console, a link) or a recovery stops the repeats and the escalation.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use lookout_core::config::{self, ConfigError};
use lookout_core::cron::at_expression;
use lookout_core::events::TenantAlert;
use lookout_core::time::Timestamp;
use lookout_core::{BoxFuture, StoreError};

use crate::error::AlertError;

/// Schedules an alert's next repeat.
pub trait FollowUps: Send + Sync + std::fmt::Debug {
    /// Puts `alert` on the alerts queue at `at`, once per `name` (a second call with the same
    /// name is a no-op).
    fn schedule<'a>(
        &'a self,
        name: &'a str,
        alert: &'a TenantAlert,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<(), AlertError>>;
}

/// Whether an incident still needs someone.
pub trait IncidentState: Send + Sync + std::fmt::Debug {
    /// `true` while the incident is open (not acknowledged, not resolved); `false` for an
    /// unknown one.
    fn is_open<'a>(&'a self, incident: &'a str) -> BoxFuture<'a, Result<bool, AlertError>>;
}

/// One-time EventBridge Scheduler schedules in the alerts' group, whose target is the alerts
/// queue (`ALERTS_SCHEDULE_GROUP`, `ALERTS_SCHEDULER_ROLE_ARN`, `ALERTS_QUEUE_ARN`,
/// `ALERTS_DLQ_ARN`). Each deletes itself after it fired.
#[derive(Debug, Clone)]
pub struct SchedulerFollowUps {
    client: aws_sdk_scheduler::Client,
    group: String,
    role_arn: String,
    queue_arn: String,
    dead_letter_arn: Option<String>,
}

impl SchedulerFollowUps {
    pub fn from_env(sdk: &lookout_core::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            client: aws_sdk_scheduler::Client::new(sdk),
            group: config::required(config::names::ALERTS_SCHEDULE_GROUP)?,
            role_arn: config::required(config::names::ALERTS_SCHEDULER_ROLE_ARN)?,
            queue_arn: config::required(config::names::ALERTS_QUEUE_ARN)?,
            dead_letter_arn: config::optional(config::names::ALERTS_DLQ_ARN),
        })
    }
}

fn fault(err: impl std::error::Error + Send + Sync + 'static) -> AlertError {
    AlertError::Store(StoreError::Call(Box::new(err)))
}

impl FollowUps for SchedulerFollowUps {
    fn schedule<'a>(
        &'a self,
        name: &'a str,
        alert: &'a TenantAlert,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<(), AlertError>> {
        use aws_sdk_scheduler::types::{
            ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode,
            RetryPolicy, Target,
        };
        Box::pin(async move {
            let input = serde_json::to_string(alert).map_err(fault)?;
            let mut target = Target::builder()
                .arn(&self.queue_arn)
                .role_arn(&self.role_arn)
                .input(input)
                .retry_policy(
                    RetryPolicy::builder()
                        .maximum_event_age_in_seconds(86_400)
                        .maximum_retry_attempts(185)
                        .build(),
                );
            if let Some(dlq) = &self.dead_letter_arn {
                target = target.dead_letter_config(DeadLetterConfig::builder().arn(dlq).build());
            }
            let window = FlexibleTimeWindow::builder()
                .mode(FlexibleTimeWindowMode::Off)
                .build()
                .map_err(fault)?;
            let res = self
                .client
                .create_schedule()
                .name(name)
                .group_name(&self.group)
                .schedule_expression(at_expression(at))
                .schedule_expression_timezone("UTC")
                .flexible_time_window(window)
                .action_after_completion(ActionAfterCompletion::Delete)
                .client_token(name)
                .description("Lookout: repeat of an unacknowledged alert")
                .target(target.build().map_err(fault)?)
                .send()
                .await;
            match res {
                Ok(_) => Ok(()),
                Err(err)
                    if err
                        .as_service_error()
                        .is_some_and(|e| e.is_conflict_exception()) =>
                {
                    Ok(())
                }
                Err(err) => Err(fault(err)),
            }
        })
    }
}

/// Records the schedules by name (unit tests).
#[derive(Debug, Clone, Default)]
pub struct MemoryFollowUps {
    scheduled: Arc<Mutex<BTreeMap<String, (TenantAlert, Timestamp)>>>,
}

impl MemoryFollowUps {
    /// Every schedule made: (name, alert, when), by name.
    pub fn scheduled(&self) -> Vec<(String, TenantAlert, Timestamp)> {
        self.scheduled
            .lock()
            .map(|m| {
                m.iter()
                    .map(|(k, (a, t))| (k.clone(), a.clone(), *t))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl FollowUps for MemoryFollowUps {
    fn schedule<'a>(
        &'a self,
        name: &'a str,
        alert: &'a TenantAlert,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<(), AlertError>> {
        Box::pin(async move {
            if let Ok(mut m) = self.scheduled.lock() {
                m.entry(name.to_owned()).or_insert((alert.clone(), at));
            }
            Ok(())
        })
    }
}

/// Open incidents by id (unit tests): [`close`](Self::close) acknowledges one.
#[derive(Debug, Clone, Default)]
pub struct MemoryIncidents {
    closed: Arc<Mutex<Vec<String>>>,
}

impl MemoryIncidents {
    pub fn close(&self, incident: &str) {
        if let Ok(mut c) = self.closed.lock() {
            c.push(incident.to_owned());
        }
    }
}

impl IncidentState for MemoryIncidents {
    fn is_open<'a>(&'a self, incident: &'a str) -> BoxFuture<'a, Result<bool, AlertError>> {
        Box::pin(async move {
            Ok(self
                .closed
                .lock()
                .map(|c| !c.iter().any(|i| i == incident))
                .unwrap_or(true))
        })
    }
}
