//! Creates template.yaml's resources in moto (or any endpoint) under a name prefix, and
//! resolves each function's environment against them. No schema is written down here:
//! everything comes from the template.
//!
//! - here: [`provision`], which creates every resource of the template in order,
//! - `stack`: [`Stack`], the physical names of a provisioned copy, and [`LOCAL_PARAMS`],
//!   [`LOCAL_ACCOUNT`],
//! - `kinds`: the resource types provisioning knows ([`TABLE`], [`QUEUE`], ...),
//! - one module per resource kind it creates: `tables`, `queues`, `email_identities`,
//!   `secrets` (also [`secret_value`] and [`put_secret`]), `schedule_groups`.

mod email_identities;
mod kinds;
mod queues;
mod schedule_groups;
mod secrets;
mod stack;
mod tables;

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use aws_config::SdkConfig;
use yaml_serde::Value;

use crate::template::{Resolve, Template};
use email_identities::create_email_identity;
use queues::create_queue;
use schedule_groups::create_schedule_group;
use secrets::create_secret;
use tables::create_table;

pub use kinds::{EMAIL_IDENTITY, IAM_ROLE, QUEUE, SCHEDULE_GROUP, SECRET, TABLE};
pub use secrets::{put_secret, secret_value};
pub use stack::{QueueInfo, Stack, LOCAL_ACCOUNT, LOCAL_PARAMS};

/// Creates every table and queue of the template under `prefix` (existing ones are kept).
pub async fn provision(
    tpl: &Template,
    sdk: &SdkConfig,
    prefix: &str,
    params: &BTreeMap<String, String>,
) -> Result<Stack> {
    let region = sdk
        .region()
        .map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
    let mut stack = Stack::describe(tpl, prefix, &region, params)?;
    let ddb = aws_sdk_dynamodb::Client::new(sdk);
    let tables: Vec<(String, Value)> = tpl.resources_of(TABLE);
    let creates = tables.into_iter().map(|(id, props)| {
        let ddb = ddb.clone();
        let name = stack.tables.get(&id).cloned().unwrap_or_default();
        let conditions = stack.conditions.clone();
        async move {
            create_table(&ddb, &name, &props, &conditions)
                .await
                .with_context(|| format!("table {id}"))
        }
    });
    for res in futures_join(creates).await {
        res?;
    }
    let sqs = aws_sdk_sqs::Client::new(sdk);
    // Dead-letter queues first: a redrive policy refers to its target's ARN.
    let mut queues = tpl.resources_of(QUEUE);
    queues.sort_by_key(|(_, p)| p.get("RedrivePolicy").is_some());
    for (id, props) in queues {
        let info = create_queue(&sqs, &stack, &id, &props)
            .await
            .with_context(|| format!("queue {id}"))?;
        stack.queues.insert(id, info);
    }
    // SES identities are addresses, not named resources: created as they are, not prefixed.
    let ses = aws_sdk_sesv2::Client::new(sdk);
    for (id, props) in tpl.resources_of(EMAIL_IDENTITY) {
        if let Some(cond) = tpl.resource_condition(&id) {
            if !stack.condition(&cond)? {
                continue;
            }
        }
        create_email_identity(&ses, &stack, &props)
            .await
            .with_context(|| format!("email identity {id}"))?;
    }
    // Secrets as the template creates them (a deploy's operator then stores the value).
    let secrets = aws_sdk_secretsmanager::Client::new(sdk);
    for (id, props) in tpl.resources_of(SECRET) {
        let arn = create_secret(&secrets, &format!("{prefix}-{id}"), &stack, &props)
            .await
            .with_context(|| format!("secret {id}"))?;
        stack.secrets.insert(id, arn);
    }
    // Schedule groups hold the one-time schedules the app creates at runtime.
    let scheduler = aws_sdk_scheduler::Client::new(sdk);
    for name in stack.schedule_groups.values() {
        create_schedule_group(&scheduler, name)
            .await
            .with_context(|| format!("schedule group {name}"))?;
    }
    Ok(stack)
}

async fn futures_join<F, T>(futs: impl IntoIterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        if let Ok(v) = h.await {
            out.push(v);
        }
    }
    out
}
