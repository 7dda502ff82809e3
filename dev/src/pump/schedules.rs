//! One-time schedules the app creates at runtime (EventBridge Scheduler): every ENABLED
//! schedule whose expression is `at(YYYY-MM-DDThh:mm:ss)` (UTC) and whose target is an SQS
//! queue is fired once due: its `Target.Input` is sent to the queue (`{}` when it has none).
//! Then it is deleted (`ActionAfterCompletion: DELETE`) or remembered so it never fires twice.

use std::collections::{HashMap, HashSet};

use anyhow::{anyhow, bail, Context, Result};
use aws_sdk_scheduler::types::{ActionAfterCompletion, ScheduleState, ScheduleSummary};
use chrono::{DateTime, NaiveDateTime, Utc};
use tracing::{debug, error, info, warn};

use crate::pump::report::TickReport;

/// The one-time schedules the pump fires, and what it remembers of them.
#[derive(Debug)]
pub(crate) struct OneTimeSchedules {
    scheduler: aws_sdk_scheduler::Client,
    sqs: aws_sdk_sqs::Client,
    /// Only schedules of this group; `None` serves every group.
    group: Option<String>,
    /// Queue URLs by ARN.
    queue_urls: HashMap<String, String>,
    /// One-time schedules (ARN and modification time) that fired or cannot fire.
    done: HashSet<String>,
}

impl OneTimeSchedules {
    /// Schedules of `group` (`None`: every group), listed with `scheduler`, their messages
    /// sent with `sqs`; none fired yet.
    pub(crate) fn new(
        scheduler: aws_sdk_scheduler::Client,
        sqs: aws_sdk_sqs::Client,
        group: Option<String>,
    ) -> Self {
        Self {
            scheduler,
            sqs,
            group,
            queue_urls: HashMap::new(),
            done: HashSet::new(),
        }
    }

    /// Fires every schedule due at `now`; a schedule's failure is logged and counted.
    pub(crate) async fn fire_due(
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
                .set_group_name(self.group.clone())
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
