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

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use aws_config::SdkConfig;
use aws_lambda_events::encodings::Base64Data;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage, SqsMessageAttribute};
use aws_sdk_scheduler::types::{ActionAfterCompletion, ScheduleState, ScheduleSummary};
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, Message, MessageAttributeValue, MessageSystemAttributeName,
};
use chrono::{DateTime, NaiveDateTime, SecondsFormat, TimeDelta, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use tracing::{debug, error, info, warn};

use crate::provision::{QueueInfo, Stack};
use crate::template::Function;

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

/// What one [`Pump::tick`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Invocations with an SQS batch.
    pub sqs_invocations: usize,
    pub messages_deleted: usize,
    /// Messages received but left in their queue for a retry.
    pub messages_left: usize,
    /// One-time schedules that sent their message.
    pub schedules_fired: usize,
    /// Invocations with a scheduled event.
    pub scheduled_invocations: usize,
    /// Failures (each logged): a source, an invocation, a schedule.
    pub errors: usize,
}

impl TickReport {
    pub fn is_idle(&self) -> bool {
        *self == Self::default()
    }
}

#[derive(Debug)]
struct SqsPoller {
    binary: String,
    queue: QueueInfo,
    batch_size: i32,
    report_failures: bool,
}

#[derive(Debug)]
struct Timer {
    binary: String,
    name: String,
    interval: TimeDelta,
    input: Option<Value>,
    next: Option<DateTime<Utc>>,
}

/// The pump. Build it with [`Pump::new`], drive it with [`Pump::tick`] or [`Pump::run`].
#[derive(Debug)]
pub struct Pump {
    region: String,
    account: String,
    invoke_url: String,
    sqs_wait_seconds: i32,
    schedule_group: Option<String>,
    pollers: Vec<SqsPoller>,
    timers: Vec<Timer>,
    sqs: aws_sdk_sqs::Client,
    scheduler: aws_sdk_scheduler::Client,
    http: reqwest::Client,
    /// Queue URLs by ARN.
    queue_urls: HashMap<String, String>,
    /// One-time schedules (ARN and modification time) that fired or cannot fire.
    done: HashSet<String>,
}

impl Pump {
    /// Reads the wiring; fails on a queue missing from the stack or a schedule it cannot read.
    pub fn new(config: PumpConfig, sdk: &SdkConfig) -> Result<Self> {
        let mut pollers = Vec::new();
        let mut timers = Vec::new();
        for f in &config.functions {
            for s in &f.sqs {
                pollers.push(SqsPoller {
                    binary: f.binary.clone(),
                    queue: config.stack.queue(&s.queue)?.clone(),
                    batch_size: i32::try_from(s.batch_size.clamp(1, 10)).unwrap_or(10),
                    report_failures: s.report_batch_item_failures,
                });
            }
            for s in &f.schedules {
                let what = || format!("{}.{}", f.logical_id, s.name);
                let input = s
                    .input
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .with_context(|| format!("{}: Input is not JSON", what()))?;
                timers.push(Timer {
                    binary: f.binary.clone(),
                    name: s.name.clone(),
                    interval: interval(&s.expression, config.rate_scale).with_context(what)?,
                    input,
                    next: None,
                });
            }
        }
        crate::init_tls();
        let http = reqwest::Client::builder()
            .timeout(config.invoke_timeout)
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            region: config.stack.region,
            account: config.stack.account,
            invoke_url: config.invoke_url.trim_end_matches('/').to_owned(),
            sqs_wait_seconds: config.sqs_wait_seconds,
            schedule_group: config.schedule_group,
            pollers,
            timers,
            sqs: aws_sdk_sqs::Client::new(sdk),
            scheduler: aws_sdk_scheduler::Client::new(sdk),
            http,
            queue_urls: HashMap::new(),
            done: HashSet::new(),
        })
    }

    /// One round at `now`. Failures are logged and counted in the report.
    pub async fn tick(&mut self, now: DateTime<Utc>) -> TickReport {
        let mut report = TickReport::default();
        if let Err(err) = self.fire_one_time_schedules(now, &mut report).await {
            report.errors += 1;
            error!("one-time schedules: {err:#}");
        }
        self.fire_timers(now, &mut report).await;
        for p in &self.pollers {
            if let Err(err) = self.pump_queue(p, &mut report).await {
                report.errors += 1;
                error!("{} <- {}: {err:#}", p.binary, p.queue.name);
            }
        }
        report
    }

    /// Ticks every `every` with the wall clock until ctrl-c.
    pub async fn run(&mut self, every: Duration) -> Result<()> {
        info!(
            sqs_sources = self.pollers.len(),
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

    async fn invoke(&self, binary: &str, event: &impl Serialize) -> Result<Value> {
        let url = format!(
            "{}/2015-03-31/functions/{binary}/invocations",
            self.invoke_url
        );
        let resp = self
            .http
            .post(&url)
            .json(event)
            .send()
            .await
            .with_context(|| format!("invoking {binary} at {url}"))?;
        let status = resp.status();
        let function_error = resp
            .headers()
            .get("x-amz-function-error")
            .map(|v| v.to_str().unwrap_or("?").to_owned());
        let body = resp.text().await.context("reading the invocation result")?;
        if !status.is_success() || function_error.is_some() {
            bail!("{binary} failed ({status}, function error {function_error:?}): {body}");
        }
        if body.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&body).with_context(|| format!("{binary} returned non-JSON {body:?}"))
    }

    // ---------------------------------------------------------------- SQS event sources

    async fn pump_queue(&self, p: &SqsPoller, report: &mut TickReport) -> Result<()> {
        let messages = self
            .sqs
            .receive_message()
            .queue_url(&p.queue.url)
            .max_number_of_messages(p.batch_size)
            .wait_time_seconds(self.sqs_wait_seconds)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .context("ReceiveMessage")?
            .messages
            .unwrap_or_default();
        if messages.is_empty() {
            return Ok(());
        }
        report.sqs_invocations += 1;
        let event = sqs_event(&messages, &p.queue.arn, &self.region);
        let result = self.invoke(&p.binary, &event).await;
        let failed = match &result {
            Ok(value) if p.report_failures => reported_failures(value, &messages),
            Ok(_) => Some(HashSet::new()),
            Err(_) => None,
        };
        let Some(failed) = failed else {
            report.messages_left += messages.len();
            return match result {
                Err(err) => Err(err),
                Ok(value) => Err(anyhow!(
                    "malformed batch response {value}: the whole batch is retried"
                )),
            };
        };
        let delete: Vec<&Message> = messages
            .iter()
            .filter(|m| !failed.contains(m.message_id().unwrap_or_default()))
            .collect();
        report.messages_left += messages.len() - delete.len();
        debug!(
            binary = p.binary,
            received = messages.len(),
            failed = failed.len(),
            "SQS batch processed"
        );
        if delete.is_empty() {
            return Ok(());
        }
        let entries = delete
            .iter()
            .enumerate()
            .map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .set_receipt_handle(m.receipt_handle.clone())
                    .build()
                    .context("DeleteMessageBatch entry")
            })
            .collect::<Result<Vec<_>>>()?;
        let out = self
            .sqs
            .delete_message_batch()
            .queue_url(&p.queue.url)
            .set_entries(Some(entries))
            .send()
            .await
            .context("DeleteMessageBatch")?;
        report.messages_deleted += out.successful.len();
        report.messages_left += out.failed.len();
        if !out.failed.is_empty() {
            bail!("DeleteMessageBatch failed for {:?}", out.failed);
        }
        Ok(())
    }

    // ---------------------------------------------------------------- schedule events

    async fn fire_timers(&mut self, now: DateTime<Utc>, report: &mut TickReport) {
        for i in 0..self.timers.len() {
            let t = &self.timers[i];
            if t.next.is_some_and(|next| now < next) {
                continue;
            }
            let event = t.input.clone().unwrap_or_else(|| self.scheduled_event(now));
            report.scheduled_invocations += 1;
            if let Err(err) = self.invoke(&t.binary, &event).await {
                report.errors += 1;
                error!("{} schedule {}: {err:#}", t.binary, t.name);
            }
            let t = &mut self.timers[i];
            t.next = Some(now + t.interval);
        }
    }

    fn scheduled_event(&self, now: DateTime<Utc>) -> Value {
        json!({
            "version": "0",
            "id": uuid::Uuid::new_v4().to_string(),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self.account,
            "time": now.to_rfc3339_opts(SecondsFormat::Secs, true),
            "region": self.region,
            "resources": [],
            "detail": {},
        })
    }

    // ---------------------------------------------------------------- one-time schedules

    async fn fire_one_time_schedules(
        &mut self,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<()> {
        let mut summaries = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .scheduler
                .list_schedules()
                .set_group_name(self.schedule_group.clone())
                .state(ScheduleState::Enabled)
                .set_next_token(token)
                .send()
                .await
                .context("ListSchedules")?;
            summaries.extend(page.schedules);
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
        for s in summaries {
            let key = schedule_key(&s);
            let to_sqs = s
                .target()
                .is_some_and(|t| t.arn().starts_with("arn:aws:sqs:"));
            if !to_sqs || self.done.contains(&key) {
                continue;
            }
            match self.fire_if_due(&s, key, now).await {
                Ok(true) => report.schedules_fired += 1,
                Ok(false) => {}
                Err(err) => {
                    report.errors += 1;
                    error!("schedule {}: {err:#}", s.arn().unwrap_or_default());
                }
            }
        }
        Ok(())
    }

    /// Fires one schedule when it is due; `Ok(true)` when it sent its message.
    async fn fire_if_due(
        &mut self,
        summary: &ScheduleSummary,
        key: String,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let name = summary.name().unwrap_or_default();
        let group = summary.group_name().unwrap_or("default");
        let s = self
            .scheduler
            .get_schedule()
            .name(name)
            .group_name(group)
            .send()
            .await
            .context("GetSchedule")?;
        let expression = s.schedule_expression().unwrap_or_default();
        let Some(at) = expression
            .strip_prefix("at(")
            .and_then(|r| r.strip_suffix(')'))
        else {
            debug!("schedule {group}/{name}: {expression} is not pumped (only at())");
            self.done.insert(key);
            return Ok(false);
        };
        if s.state() != Some(&ScheduleState::Enabled) {
            return Ok(false);
        }
        let zone = s.schedule_expression_timezone().unwrap_or("UTC");
        if !matches!(zone, "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT") {
            warn!("schedule {group}/{name}: time zone {zone} is not supported locally (UTC only), skipped");
            self.done.insert(key);
            return Ok(false);
        }
        let due = match NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S") {
            Ok(t) => t.and_utc(),
            Err(err) => {
                self.done.insert(key);
                bail!("bad expression {expression}: {err}");
            }
        };
        if due > now {
            return Ok(false);
        }
        let target = s
            .target()
            .ok_or_else(|| anyhow!("GetSchedule returned no target"))?;
        let url = self.queue_url(&target.arn).await?;
        let mut send = self
            .sqs
            .send_message()
            .queue_url(url)
            .message_body(target.input().unwrap_or("{}"));
        if let Some(group_id) = target.sqs_parameters().and_then(|p| p.message_group_id()) {
            send = send
                .message_group_id(group_id)
                .message_deduplication_id(uuid::Uuid::new_v4().to_string());
        }
        send.send().await.context("SendMessage")?;
        self.done.insert(key);
        info!(
            "schedule {group}/{name} ({expression}) sent its input to {}",
            target.arn
        );
        if s.action_after_completion() == Some(&ActionAfterCompletion::Delete) {
            let deleted = self
                .scheduler
                .delete_schedule()
                .name(name)
                .group_name(group)
                .send()
                .await;
            if let Err(err) = deleted {
                warn!(
                    "schedule {group}/{name} fired but was not deleted: {:#}",
                    anyhow::Error::new(err)
                );
            }
        }
        Ok(true)
    }

    async fn queue_url(&mut self, arn: &str) -> Result<String> {
        if let Some(url) = self.queue_urls.get(arn) {
            return Ok(url.clone());
        }
        // arn:aws:sqs:region:account:name
        let parts: Vec<&str> = arn.split(':').collect();
        let [_, _, _, _, account, name] = parts[..] else {
            bail!("not an SQS queue ARN: {arn}");
        };
        let url = self
            .sqs
            .get_queue_url()
            .queue_name(name)
            .queue_owner_aws_account_id(account)
            .send()
            .await
            .with_context(|| format!("GetQueueUrl {name}"))?
            .queue_url
            .ok_or_else(|| anyhow!("GetQueueUrl {name} returned no URL"))?;
        self.queue_urls.insert(arn.to_owned(), url.clone());
        Ok(url)
    }
}

/// Identity of one version of a schedule: a re-created or updated schedule fires again.
fn schedule_key(s: &ScheduleSummary) -> String {
    let modified = s
        .last_modification_date()
        .map(|d| format!("{}.{:09}", d.secs(), d.subsec_nanos()))
        .unwrap_or_default();
    format!("{}@{modified}", s.arn().unwrap_or_default())
}

/// Interval of `rate(N unit)` or `cron(...)` (once a minute locally), times `scale`.
fn interval(expression: &str, scale: f64) -> Result<TimeDelta> {
    let base = if let Some(rate) = expression
        .strip_prefix("rate(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let (n, unit) = rate
            .trim()
            .split_once(' ')
            .ok_or_else(|| anyhow!("bad rate expression {expression}"))?;
        let n: u64 = n
            .parse()
            .with_context(|| format!("bad rate expression {expression}"))?;
        let unit = match unit.trim() {
            "minute" | "minutes" => 60,
            "hour" | "hours" => 3600,
            "day" | "days" => 86_400,
            other => bail!("unknown rate unit {other:?} in {expression}"),
        };
        Duration::from_secs(n * unit)
    } else if expression.starts_with("cron(") {
        Duration::from_secs(60)
    } else {
        bail!("unsupported schedule expression {expression}");
    };
    if !(scale.is_finite() && scale > 0.0) {
        bail!("rate scale must be a positive number, got {scale}");
    }
    let scaled = Duration::try_from_secs_f64(base.as_secs_f64() * scale)
        .with_context(|| format!("scaling {expression} by {scale}"))?;
    TimeDelta::from_std(scaled).with_context(|| format!("{expression} is too long"))
}

/// The Lambda SQS event for a received batch.
fn sqs_event(messages: &[Message], queue_arn: &str, region: &str) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages
        .iter()
        .map(|m| {
            let mut r = SqsMessage::default();
            r.message_id.clone_from(&m.message_id);
            r.receipt_handle.clone_from(&m.receipt_handle);
            r.body.clone_from(&m.body);
            r.md5_of_body.clone_from(&m.md5_of_body);
            r.md5_of_message_attributes
                .clone_from(&m.md5_of_message_attributes);
            r.attributes = m
                .attributes()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                .collect();
            r.message_attributes = m
                .message_attributes()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), message_attribute(v)))
                .collect();
            r.event_source = Some("aws:sqs".to_owned());
            r.event_source_arn = Some(queue_arn.to_owned());
            r.aws_region = Some(region.to_owned());
            r
        })
        .collect();
    event
}

fn message_attribute(v: &MessageAttributeValue) -> SqsMessageAttribute {
    let mut a = SqsMessageAttribute::default();
    a.data_type = Some(v.data_type.clone());
    a.string_value.clone_from(&v.string_value);
    a.binary_value = v.binary_value.as_ref().map(|b| base64_data(b.as_ref()));
    a.string_list_values = v.string_list_values.clone().unwrap_or_default();
    a.binary_list_values = v
        .binary_list_values
        .iter()
        .flatten()
        .map(|b| base64_data(b.as_ref()))
        .collect();
    a
}

fn base64_data(bytes: &[u8]) -> Base64Data {
    let mut data = Base64Data::default();
    data.extend_from_slice(bytes);
    data
}

/// Message ids a function reported in `batchItemFailures`, by Lambda's rules: no response,
/// no or an empty list mean success; a malformed response, or an identifier that is not a
/// message of the batch, fail the whole batch (`None`).
fn reported_failures(result: &Value, messages: &[Message]) -> Option<HashSet<String>> {
    let ids: HashSet<&str> = messages.iter().filter_map(Message::message_id).collect();
    match result {
        Value::Null => Some(HashSet::new()),
        Value::Object(o) => match o.get("batchItemFailures") {
            None | Some(Value::Null) => Some(HashSet::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.get("itemIdentifier")
                        .and_then(Value::as_str)
                        .filter(|id| ids.contains(id))
                        .map(str::to_owned)
                })
                .collect(),
            Some(_) => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(
            interval("rate(1 minute)", 1.0).unwrap(),
            TimeDelta::minutes(1)
        );
        assert_eq!(
            interval("rate(10 minutes)", 0.1).unwrap(),
            TimeDelta::minutes(1)
        );
        assert_eq!(interval("rate(2 hours)", 1.0).unwrap(), TimeDelta::hours(2));
        assert_eq!(interval("rate(1 day)", 1.0).unwrap(), TimeDelta::days(1));
        assert_eq!(
            interval("cron(0 12 * * ? *)", 1.0).unwrap(),
            TimeDelta::minutes(1)
        );
        assert!(interval("rate(5 fortnights)", 1.0).is_err());
        assert!(interval("at(2030-01-01T00:00:00)", 1.0).is_err());
        assert!(interval("rate(1 minute)", 0.0).is_err());
    }

    #[test]
    fn batch_failures_follow_lambda_rules() {
        let msgs: Vec<Message> = ["a", "b"]
            .iter()
            .map(|id| Message::builder().message_id(*id).build())
            .collect();
        let none = HashSet::new();
        assert_eq!(reported_failures(&Value::Null, &msgs), Some(none.clone()));
        assert_eq!(reported_failures(&json!({}), &msgs), Some(none.clone()));
        assert_eq!(
            reported_failures(&json!({"batchItemFailures": []}), &msgs),
            Some(none)
        );
        assert_eq!(
            reported_failures(
                &json!({"batchItemFailures": [{"itemIdentifier": "b"}]}),
                &msgs
            ),
            Some(HashSet::from(["b".to_owned()]))
        );
        assert_eq!(
            reported_failures(
                &json!({"batchItemFailures": [{"itemIdentifier": "zz"}]}),
                &msgs
            ),
            None
        );
        assert_eq!(reported_failures(&json!("ok"), &msgs), None);
    }
}
