//! The queue and the scheduler: jobs now through SQS, later through EventBridge Scheduler.
//!
//! Both are ports ([`JobQueue`], [`JobScheduler`]): [`Dispatcher`] is the AWS adapter,
//! `MemoryDispatch` (module `memory_dispatch`) the in-memory one that unit tests read back.

use std::time::Duration;

use lookout_core::config::{self, names as env, ConfigError};
use lookout_core::time::Timestamp;
use lookout_core::BoxFuture;

use crate::error::BroadcastError;
use crate::ids::{Job, SendId};

/// Puts jobs on the messenger queue (a port).
pub trait JobQueue: Send + Sync + std::fmt::Debug {
    /// One job, visible at once.
    fn enqueue<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), BroadcastError>>;
    /// One job, visible after `delay` (at most [`DIRECT_WITHIN`]: the queue's message timer).
    fn enqueue_in<'a>(
        &'a self,
        job: &'a Job,
        delay: Duration,
    ) -> BoxFuture<'a, Result<(), BroadcastError>>;
    /// Many jobs; fails if any was not enqueued (the caller retries all: deliveries are
    /// idempotent).
    fn enqueue_all<'a>(&'a self, jobs: &'a [Job]) -> BoxFuture<'a, Result<(), BroadcastError>>;
    /// Makes a received job visible again after `after` (0 = at once).
    fn retry_after<'a>(
        &'a self,
        receipt_handle: &'a str,
        after: Duration,
    ) -> BoxFuture<'a, Result<(), BroadcastError>>;
}

/// Puts a job on the queue at a later time (a port).
pub trait JobScheduler: Send + Sync + std::fmt::Debug {
    /// A one-time schedule named `name` (unique per send: creating it again is not an error).
    fn schedule<'a>(
        &'a self,
        name: &'a str,
        job: &'a Job,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<(), BroadcastError>>;
}

impl JobQueue for Dispatcher {
    fn enqueue<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), BroadcastError>> {
        Box::pin(Dispatcher::enqueue(self, job))
    }
    fn enqueue_in<'a>(
        &'a self,
        job: &'a Job,
        delay: Duration,
    ) -> BoxFuture<'a, Result<(), BroadcastError>> {
        Box::pin(Dispatcher::enqueue_in(self, job, delay))
    }
    fn enqueue_all<'a>(&'a self, jobs: &'a [Job]) -> BoxFuture<'a, Result<(), BroadcastError>> {
        Box::pin(Dispatcher::enqueue_all(self, jobs))
    }
    fn retry_after<'a>(
        &'a self,
        receipt_handle: &'a str,
        after: Duration,
    ) -> BoxFuture<'a, Result<(), BroadcastError>> {
        Box::pin(Dispatcher::retry_after(self, receipt_handle, after))
    }
}

impl JobScheduler for Dispatcher {
    fn schedule<'a>(
        &'a self,
        name: &'a str,
        job: &'a Job,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<(), BroadcastError>> {
        Box::pin(Dispatcher::schedule(self, name, job, at))
    }
}

/// A send due within this long goes straight onto the queue with a message timer
/// (`DelaySeconds`) instead of a one-time schedule: EventBridge Scheduler may not fire a
/// schedule whose time is only seconds away (it is created after the time has passed).
pub(crate) const DIRECT_WITHIN: Duration = Duration::from_secs(60);

/// Queues a send's fanout: on the queue at once when `at` is not later than `now`, on the
/// queue with a timer when it is due within [`DIRECT_WITHIN`], else by a one-time schedule
/// (named after the send) at `at`. Returns whether it was deferred (scheduled for later).
pub async fn queue_fanout(
    queue: &dyn JobQueue,
    scheduler: &dyn JobScheduler,
    send_id: &SendId,
    at: Timestamp,
    now: Timestamp,
) -> Result<bool, BroadcastError> {
    let job = Job::Fanout {
        send_id: send_id.clone(),
    };
    if at <= now {
        queue.enqueue(&job).await?;
        return Ok(false);
    }
    match (at.datetime() - now.datetime()).to_std() {
        Ok(ahead) if ahead <= DIRECT_WITHIN => {
            // Whole seconds, rounded up: never early.
            let secs = ahead.as_secs() + u64::from(ahead.subsec_nanos() > 0);
            queue.enqueue_in(&job, Duration::from_secs(secs)).await?;
        }
        _ => {
            scheduler
                .schedule(&schedule_name(send_id), &job, at)
                .await?;
        }
    }
    Ok(true)
}

/// Puts jobs on the messenger queue, now or (through EventBridge Scheduler) later.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    pub(crate) sqs: aws_sdk_sqs::Client,
    pub(crate) scheduler: Option<aws_sdk_scheduler::Client>,
    pub(crate) queue_url: String,
    pub(crate) schedule: Option<ScheduleTarget>,
}

/// Where one-time schedules go: the group, the role Scheduler assumes, the queue's ARN.
#[derive(Debug, Clone)]
pub struct ScheduleTarget {
    pub group: String,
    pub role_arn: String,
    pub queue_arn: String,
    /// Where Scheduler puts a job it could not deliver to the queue.
    pub dead_letter_arn: Option<String>,
}

impl ScheduleTarget {
    /// `MESSENGER_SCHEDULE_GROUP`, `MESSENGER_SCHEDULER_ROLE_ARN`, `MESSENGER_QUEUE_ARN`,
    /// `MESSENGER_DLQ_ARN` (optional).
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            group: config::required(env::MESSENGER_SCHEDULE_GROUP)?,
            role_arn: config::required(env::MESSENGER_SCHEDULER_ROLE_ARN)?,
            queue_arn: config::required(env::MESSENGER_QUEUE_ARN)?,
            dead_letter_arn: config::optional(env::MESSENGER_DLQ_ARN),
        })
    }
}

/// Name of a send's schedule (unique per send, so a retried create is a conflict, not a copy).
pub fn schedule_name(send: &SendId) -> String {
    format!("send-{}", send.as_str())
}

impl Dispatcher {
    pub fn new(
        sqs: aws_sdk_sqs::Client,
        queue_url: impl Into<String>,
        scheduler: Option<(aws_sdk_scheduler::Client, ScheduleTarget)>,
    ) -> Self {
        let (scheduler, schedule) = match scheduler {
            Some((c, t)) => (Some(c), Some(t)),
            None => (None, None),
        };
        Self {
            sqs,
            scheduler,
            queue_url: queue_url.into(),
            schedule,
        }
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// One job on the queue.
    pub async fn enqueue(&self, job: &Job) -> Result<(), BroadcastError> {
        self.enqueue_in(job, Duration::ZERO).await
    }

    /// One job with a message timer (SQS allows up to 15 minutes; capped there).
    pub async fn enqueue_in(&self, job: &Job, delay: Duration) -> Result<(), BroadcastError> {
        let secs = i32::try_from(delay.as_secs().min(900)).unwrap_or(900);
        let mut req = self
            .sqs
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(job.to_json());
        if secs > 0 {
            req = req.delay_seconds(secs);
        }
        req.send().await?;
        Ok(())
    }

    /// Many jobs, ten per call; fails if any could not be enqueued (the caller retries all:
    /// duplicates are harmless, deliveries are idempotent).
    pub async fn enqueue_all(&self, jobs: &[Job]) -> Result<(), BroadcastError> {
        use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
        for chunk in jobs.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, job)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(job.to_json())
                        .build()
                        .map_err(BroadcastError::fault)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let out = self
                .sqs
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await?;
            if !out.failed.is_empty() {
                return Err(BroadcastError::fault(format!(
                    "SendMessageBatch: {} of {} jobs not enqueued ({:?})",
                    out.failed.len(),
                    chunk.len(),
                    out.failed.first().map(|f| f.code())
                )));
            }
        }
        Ok(())
    }

    /// A one-time EventBridge Scheduler schedule that puts `job` on the queue at `at` (UTC),
    /// then deletes itself. Creating it again (a retried request) is not an error.
    pub async fn schedule(
        &self,
        name: &str,
        job: &Job,
        at: Timestamp,
    ) -> Result<(), BroadcastError> {
        use aws_sdk_scheduler::types::{
            ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode,
            RetryPolicy, Target,
        };
        let (Some(client), Some(t)) = (&self.scheduler, &self.schedule) else {
            return Err(BroadcastError::fault("scheduling is not configured"));
        };
        let mut target = Target::builder()
            .arn(&t.queue_arn)
            .role_arn(&t.role_arn)
            .input(job.to_json())
            .retry_policy(
                RetryPolicy::builder()
                    .maximum_event_age_in_seconds(86_400)
                    .maximum_retry_attempts(185)
                    .build(),
            );
        if let Some(dlq) = &t.dead_letter_arn {
            target = target.dead_letter_config(DeadLetterConfig::builder().arn(dlq).build());
        }
        let res = client
            .create_schedule()
            .name(name)
            .group_name(&t.group)
            .schedule_expression(lookout_core::cron::at_expression(at))
            .schedule_expression_timezone("UTC")
            .flexible_time_window(
                FlexibleTimeWindow::builder()
                    .mode(FlexibleTimeWindowMode::Off)
                    .build()
                    .map_err(BroadcastError::fault)?,
            )
            .action_after_completion(ActionAfterCompletion::Delete)
            .client_token(name)
            .description("Lookout messenger broadcast (seed 003)")
            .target(target.build().map_err(BroadcastError::fault)?)
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
            Err(err) => Err(err.into()),
        }
    }

    /// Makes a received message visible again after `after` (0 = at once).
    pub async fn retry_after(
        &self,
        receipt_handle: &str,
        after: Duration,
    ) -> Result<(), BroadcastError> {
        let secs = i32::try_from(after.as_secs().min(12 * 3600)).unwrap_or(12 * 3600);
        self.sqs
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(secs)
            .send()
            .await?;
        Ok(())
    }
}
