//! SQS queues as the template declares them: attributes, FIFO, and the redrive policy to
//! their dead-letter queue.

use anyhow::{anyhow, Context, Result};
use yaml_serde::Value;

use crate::provision::stack::{QueueInfo, Stack};
use crate::template::Resolve;

/// Creates queue `id` of the stack as `props` declares it (`.fifo` for a FIFO queue) and
/// returns its name, URL and ARN.
pub(crate) async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    stack: &Stack,
    id: &str,
    props: &Value,
) -> Result<QueueInfo> {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let fifo = props.get("FifoQueue").and_then(Value::as_bool) == Some(true);
    let name = format!("{}-{id}{}", stack.prefix, if fifo { ".fifo" } else { "" });
    let mut req = sqs.create_queue().queue_name(&name);
    for (key, attr) in [
        ("VisibilityTimeout", A::VisibilityTimeout),
        ("MessageRetentionPeriod", A::MessageRetentionPeriod),
        ("DelaySeconds", A::DelaySeconds),
        (
            "ReceiveMessageWaitTimeSeconds",
            A::ReceiveMessageWaitTimeSeconds,
        ),
        ("MaximumMessageSize", A::MaximumMessageSize),
    ] {
        if let Some(v) = props.get(key) {
            req = req.attributes(attr, stack.resolve(v)?);
        }
    }
    if fifo {
        req = req.attributes(A::FifoQueue, "true");
    }
    if let Some(rp) = props.get("RedrivePolicy") {
        let target = stack.resolve(
            rp.get("deadLetterTargetArn")
                .ok_or_else(|| anyhow!("RedrivePolicy without deadLetterTargetArn"))?,
        )?;
        let max = rp
            .get("maxReceiveCount")
            .map(|v| stack.resolve(v))
            .transpose()?
            .unwrap_or_else(|| "5".into());
        let policy = serde_json::json!({"deadLetterTargetArn": target, "maxReceiveCount": max});
        req = req.attributes(A::RedrivePolicy, policy.to_string());
    }
    let url = req
        .send()
        .await
        .context("CreateQueue")?
        .queue_url
        .ok_or_else(|| anyhow!("CreateQueue returned no URL"))?;
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(A::QueueArn)
        .send()
        .await
        .context("GetQueueAttributes")?;
    let arn = attrs
        .attributes
        .and_then(|mut a| a.remove(&A::QueueArn))
        .ok_or_else(|| anyhow!("queue {name} has no ARN"))?;
    Ok(QueueInfo { name, url, arn })
}
