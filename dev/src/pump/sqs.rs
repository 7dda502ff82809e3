//! SQS event sources: one receive of up to `BatchSize` messages per source, one invocation
//! with the Lambda SQS event, then the deletes an event source mapping does (every message
//! not reported in `batchItemFailures` with `ReportBatchItemFailures`, all of them without,
//! none after a failed invocation).

use std::collections::HashSet;

use anyhow::{anyhow, bail, Context, Result};
use aws_lambda_events::encodings::Base64Data;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage, SqsMessageAttribute};
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, Message, MessageAttributeValue, MessageSystemAttributeName,
};
use serde_json::Value;
use tracing::{debug, error};

use crate::provision::{QueueInfo, Stack};
use crate::pump::invoke::Invoker;
use crate::pump::report::TickReport;
use crate::template::SqsSource;

/// One SQS event source of a function.
#[derive(Debug)]
pub(crate) struct SqsPoller {
    binary: String,
    queue: QueueInfo,
    batch_size: i32,
    report_failures: bool,
}

impl SqsPoller {
    /// The source `s` of function `binary`; fails on a queue missing from the stack.
    pub(crate) fn new(binary: &str, s: &SqsSource, stack: &Stack) -> Result<Self> {
        Ok(Self {
            binary: binary.to_owned(),
            queue: stack.queue(&s.queue)?.clone(),
            batch_size: i32::try_from(s.batch_size.clamp(1, 10)).unwrap_or(10),
            report_failures: s.report_batch_item_failures,
        })
    }
}

/// Every SQS event source the pump serves, and the client it receives and deletes with.
#[derive(Debug)]
pub(crate) struct SqsSources {
    pollers: Vec<SqsPoller>,
    sqs: aws_sdk_sqs::Client,
    /// Long-poll wait of each receive.
    wait_seconds: i32,
    /// The region the SQS events name.
    region: String,
}

impl SqsSources {
    pub(crate) fn new(
        pollers: Vec<SqsPoller>,
        sqs: aws_sdk_sqs::Client,
        wait_seconds: i32,
        region: String,
    ) -> Self {
        Self {
            pollers,
            sqs,
            wait_seconds,
            region,
        }
    }

    /// How many sources there are.
    pub(crate) fn len(&self) -> usize {
        self.pollers.len()
    }

    /// One batch per source, the sources one after the other; a source's failure is logged
    /// and counted, and the next one is served.
    pub(crate) async fn pump(&self, invoker: &Invoker, report: &mut TickReport) {
        for p in &self.pollers {
            if let Err(err) = self.pump_queue(p, invoker, report).await {
                report.errors += 1;
                error!("{} <- {}: {err:#}", p.binary, p.queue.name);
            }
        }
    }

    async fn pump_queue(
        &self,
        p: &SqsPoller,
        invoker: &Invoker,
        report: &mut TickReport,
    ) -> Result<()> {
        let messages = self
            .sqs
            .receive_message()
            .queue_url(&p.queue.url)
            .max_number_of_messages(p.batch_size)
            .wait_time_seconds(self.wait_seconds)
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
        let result = invoker.invoke(&p.binary, &event).await;
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
    use std::collections::HashSet;

    use aws_sdk_sqs::types::Message;
    use serde_json::{json, Value};

    use super::reported_failures;

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
