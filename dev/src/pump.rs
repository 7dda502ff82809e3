//! The local event pump: does for functions under `cargo lambda watch` what AWS does for
//! deployed ones and moto does not do by itself. The wiring comes from template.yaml, the
//! physical names from the provisioned [`Stack`].
//!
//! Every [`Pump::tick`] is one round, in this order:
//!
//! 1. **One-time schedules** the app creates at runtime (EventBridge Scheduler): every ENABLED
//!    schedule whose expression is `at(YYYY-MM-DDThh:mm:ss)` and whose target is an SQS queue
//!    is fired once due: its `Target.Input` is sent to the queue (`{}` when it has none). Then
//!    it is deleted (`ActionAfterCompletion: DELETE`) or remembered so it never fires twice.
//! 2. **Schedule events** of functions (`Schedule`/`ScheduleV2`): the function is invoked with
//!    the EventBridge "Scheduled Event" (or the event's `Input`) on the first tick, then once
//!    per interval.
//! 3. **SQS event sources**: one receive of up to `BatchSize` messages per source, one
//!    invocation with the Lambda SQS event, then the deletes an event source mapping does: with
//!    `ReportBatchItemFailures` every message not reported in `batchItemFailures`, without it
//!    all of them; after a failed invocation none (they come back after the visibility timeout
//!    and reach the dead-letter queue through the redrive policy, which moto implements).
//!
//! Functions are invoked through the Lambda Invoke API that `cargo lambda watch` serves
//! (function name = binary). Time is injected into [`Pump::tick`], so tests drive it.
//!
//! Local simplifications:
//! - `rate(N unit)` is honoured; `cron(...)` fires once a minute whatever it says. Both
//!   intervals are multiplied by [`PumpConfig::rate_scale`]. A schedule fires on the first
//!   tick and then one interval after its previous firing; missed firings are not caught up.
//! - Scheduled events carry `source: aws.events` and empty `resources`.
//! - `at()` times are understood in UTC only (`ScheduleExpressionTimezone` absent, `UTC`,
//!   `Etc/UTC`, `GMT`, `Etc/GMT`); schedules in other zones are logged once and skipped.
//!   Flexible time windows, start/end dates and the schedule's retry policy and DLQ are
//!   ignored; `rate`/`cron` Scheduler schedules and non-SQS targets are not pumped.
//! - One batch per SQS source per tick (batch sizes above 10 are capped at 10, one
//!   ReceiveMessage), no batching window, sources served one after the other.
//! - Errors are logged and counted per source; they never stop the pump.
//!
//! The parts: `schedules` (one-time schedules), `timers` (schedule events), `sqs` (SQS event
//! sources), `invoke` (the Invoke API client they share), `report` ([`TickReport`]).

mod invoke;
mod report;
mod schedules;
mod sqs;
mod timers;

use std::time::Duration;

use anyhow::{Context, Result};
use aws_config::SdkConfig;
use chrono::{DateTime, Utc};
use tracing::{error, info};

use crate::provision::Stack;
use crate::template::Function;
use invoke::Invoker;
use schedules::OneTimeSchedules;
use sqs::{SqsPoller, SqsSources};
use timers::{Timer, Timers};

pub use report::TickReport;

/// What the pump serves and how.
#[derive(Debug, Clone)]
pub struct PumpConfig {
    pub stack: Stack,
    pub functions: Vec<Function>,
    /// Base URL of the Lambda Invoke API (`cargo lambda watch`: `http://127.0.0.1:9000`).
    pub invoke_url: String,
    /// Multiplies every schedule interval (0.1 makes `rate(10 minutes)` fire every minute).
    pub rate_scale: f64,
    /// Long-poll wait of each SQS receive.
    pub sqs_wait_seconds: i32,
    /// Only one-time schedules of this group; `None` serves every group.
    pub schedule_group: Option<String>,
    /// How long one invocation may take (the first one under watch includes a build).
    pub invoke_timeout: Duration,
}

impl PumpConfig {
    pub fn new(stack: Stack, functions: Vec<Function>, invoke_url: impl Into<String>) -> Self {
        Self {
            stack,
            functions,
            invoke_url: invoke_url.into(),
            rate_scale: 1.0,
            sqs_wait_seconds: 1,
            schedule_group: None,
            invoke_timeout: Duration::from_secs(600),
        }
    }
}

/// The pump. Build it with [`Pump::new`], drive it with [`Pump::tick`] or [`Pump::run`].
#[derive(Debug)]
pub struct Pump {
    invoker: Invoker,
    schedules: OneTimeSchedules,
    timers: Timers,
    sqs: SqsSources,
}

impl Pump {
    /// Reads the wiring; fails on a queue missing from the stack or a schedule it cannot read.
    pub fn new(config: PumpConfig, sdk: &SdkConfig) -> Result<Self> {
        let mut pollers = Vec::new();
        let mut timers = Vec::new();
        for f in &config.functions {
            for s in &f.sqs {
                pollers.push(SqsPoller::new(&f.binary, s, &config.stack)?);
            }
            for s in &f.schedules {
                timers.push(Timer::new(f, s, config.rate_scale)?);
            }
        }
        let invoker = Invoker::new(&config.invoke_url, config.invoke_timeout)?;
        let sqs = aws_sdk_sqs::Client::new(sdk);
        let scheduler = aws_sdk_scheduler::Client::new(sdk);
        Ok(Self {
            invoker,
            schedules: OneTimeSchedules::new(scheduler, sqs.clone(), config.schedule_group),
            timers: Timers::new(timers, config.stack.account, config.stack.region.clone()),
            sqs: SqsSources::new(pollers, sqs, config.sqs_wait_seconds, config.stack.region),
        })
    }

    /// One round at `now`. Failures are logged and counted in the report.
    pub async fn tick(&mut self, now: DateTime<Utc>) -> TickReport {
        let mut report = TickReport::default();
        if let Err(err) = self.schedules.fire_due(now, &mut report).await {
            report.errors += 1;
            error!("one-time schedules: {err:#}");
        }
        self.timers.fire(now, &self.invoker, &mut report).await;
        self.sqs.pump(&self.invoker, &mut report).await;
        report
    }

    /// Ticks every `every` with the wall clock until ctrl-c.
    pub async fn run(&mut self, every: Duration) -> Result<()> {
        info!(
            sqs_sources = self.sqs.len(),
            schedules = self.timers.len(),
            "event pump running"
        );
        let shutdown = tokio::signal::ctrl_c();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                res = &mut shutdown => {
                    res.context("waiting for ctrl-c")?;
                    info!("event pump stopped");
                    return Ok(());
                }
                () = async {
                    let report = self.tick(Utc::now()).await;
                    if !report.is_idle() {
                        info!(?report, "tick");
                    }
                    tokio::time::sleep(every).await;
                } => {}
            }
        }
    }
}
