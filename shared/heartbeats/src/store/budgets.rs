//! The alert budgets (see [`crate::budget`]): one item per scope and hour, `pk` =
//! `BUDGET#<scope>#<hour start, ms>`, with `n` (alerts asked for), `folded`, `lines`, the budget
//! in force, and — once something is folded — `dueShard`/`dueAt` (the hour's end) on the
//! scanner's `due` index, so the digest costs no extra query. Counting is one UpdateItem per
//! alert (two when it is folded). [`Budgets`] is the port, [`BudgetStore`] its DynamoDB adapter.

use aws_sdk_dynamodb::{
    types::{AttributeValue, ReturnValue},
    Client,
};
use lookout_core::{quota, time::Timestamp, BoxFuture, StoreError};
use serde::{Deserialize, Serialize};

use crate::error::HeartbeatError;
use crate::record::shard_of;
use crate::time::millis;

pub(crate) const HOUR_MS: i64 = 3_600_000;

/// The alert budgets, as the use cases reach them.
pub trait Budgets: Send + Sync + std::fmt::Debug {
    /// Counts one alert of `scope` in the hour of `now` (the hour's item is created with the
    /// budget in force); returns the hour's record after the count.
    fn count<'a>(
        &'a self,
        scope: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<BudgetRecord, HeartbeatError>>;

    /// Counts one alert folded into `rec`'s digest, lists `line` when given, and puts the item
    /// on the `due` index at the end of its hour, when the digest is due.
    fn fold<'a>(
        &'a self,
        rec: &'a BudgetRecord,
        line: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), HeartbeatError>>;

    /// Takes a sent digest's item off the `due` index.
    fn clear_due<'a>(&'a self, pk: &'a str) -> BoxFuture<'a, Result<(), HeartbeatError>>;
}

/// The alert budget items of the heartbeat table.
#[derive(Debug, Clone)]
pub struct BudgetStore {
    client: Client,
    table: String,
    /// Alerts one scope (a tenant, an incident app) may send per hour.
    alerts_per_hour: u32,
}

/// A scope's alerts of one hour.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BudgetRecord {
    pub(crate) pk: String,
    pub(crate) scope: String,
    /// Start of the hour, epoch ms.
    pub(crate) hour: i64,
    /// Alerts per hour in force when the first one was counted.
    pub(crate) budget: u32,
    #[serde(default)]
    pub(crate) n: u64,
    #[serde(default)]
    pub(crate) folded: u64,
    #[serde(default)]
    pub(crate) lines: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) due_at: Option<i64>,
}

/// The start of `now`'s hour (epoch ms): alerts are counted per scope and hour.
pub(crate) fn hour_of(now: Timestamp) -> i64 {
    millis(now).div_euclid(HOUR_MS) * HOUR_MS
}

/// The key of `scope`'s budget item for the hour starting at `hour`.
pub(crate) fn budget_pk(scope: &str, hour: i64) -> String {
    format!("BUDGET#{scope}#{hour}")
}

/// Whether `pk` is an alert budget's (the `due` index holds them beside the apps).
pub(crate) fn is_budget_pk(pk: &str) -> bool {
    pk.starts_with("BUDGET#")
}

impl BudgetStore {
    pub(crate) fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            alerts_per_hour: quota::DEFAULT_ALERTS_PER_HOUR,
        }
    }

    /// The same store with another alert budget per scope and hour.
    pub(crate) fn with_alert_budget(mut self, per_hour: u32) -> Self {
        self.alerts_per_hour = per_hour;
        self
    }
}

impl Budgets for BudgetStore {
    fn count<'a>(
        &'a self,
        scope: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<BudgetRecord, HeartbeatError>> {
        Box::pin(async move {
            let hour = hour_of(now);
            let pk = budget_pk(scope, hour);
            let expires = (hour + 3 * 86_400_000) / 1000;
            let out = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(pk))
                .update_expression(
                    "ADD n :one SET #scope = :scope, #hour = :hour, expiresAt = :exp, \
                     budget = if_not_exists(budget, :budget)",
                )
                .expression_attribute_names("#scope", "scope")
                .expression_attribute_names("#hour", "hour")
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .expression_attribute_values(":scope", AttributeValue::S(scope.to_owned()))
                .expression_attribute_values(":hour", AttributeValue::N(hour.to_string()))
                .expression_attribute_values(":exp", AttributeValue::N(expires.to_string()))
                .expression_attribute_values(
                    ":budget",
                    AttributeValue::N(self.alerts_per_hour.to_string()),
                )
                .return_values(ReturnValue::AllNew)
                .send()
                .await
                .map_err(StoreError::from)?;
            Ok(out
                .attributes
                .map(serde_dynamo::from_item)
                .transpose()?
                .ok_or_else(|| StoreError::invariant("UpdateItem returned no attributes"))?)
        })
    }

    fn fold<'a>(
        &'a self,
        rec: &'a BudgetRecord,
        line: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), HeartbeatError>> {
        Box::pin(async move {
            let end = rec.hour + HOUR_MS;
            let mut req = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(rec.pk.clone()))
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .expression_attribute_values(":due", AttributeValue::N(end.to_string()))
                .expression_attribute_values(":shard", AttributeValue::S(shard_of(&rec.pk)));
            req = match line {
                Some(line) => req
                    .update_expression(
                        "ADD folded :one SET dueAt = :due, dueShard = :shard, \
                         #lines = list_append(if_not_exists(#lines, :none), :line)",
                    )
                    .expression_attribute_names("#lines", "lines")
                    .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
                    .expression_attribute_values(
                        ":line",
                        AttributeValue::L(vec![AttributeValue::S(line.to_owned())]),
                    ),
                None => {
                    req.update_expression("ADD folded :one SET dueAt = :due, dueShard = :shard")
                }
            };
            req.send().await.map_err(StoreError::from)?;
            Ok(())
        })
    }

    fn clear_due<'a>(&'a self, pk: &'a str) -> BoxFuture<'a, Result<(), HeartbeatError>> {
        Box::pin(async move {
            self.client
                .update_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(pk.to_owned()))
                .update_expression("REMOVE dueAt, dueShard")
                .send()
                .await
                .map_err(StoreError::from)?;
            Ok(())
        })
    }
}
