//! What the Healthchecks ping URLs reach beside the app items: the `ping` index, which finds an
//! app by its check UUID (`pingId`, projected with `tenant` and `appId`), and the ping bodies
//! kept as outputs, one item each (`pk` = `OUTPUT#<id>`, expiring after
//! [`PING_OUTPUT_DAYS`](crate::limits::PING_OUTPUT_DAYS)). [`Pings`] is the port, [`PingStore`]
//! its DynamoDB adapter.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::{
    types::{AttributeValue, TransactWriteItem},
    Client,
};
use lookout_core::{ddb, time::Timestamp, trust::Trusted, BoxFuture, StoreError};
use serde::{Deserialize, Serialize};

use crate::error::HeartbeatError;
use crate::record::AppRecord;
use crate::store::apps::version_condition;
use crate::store::Put;

const PING_INDEX: &str = "ping";

/// The app a check UUID names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingTarget {
    pub tenant: String,
    pub app_id: String,
}

/// A ping's body as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PingOutput {
    pub(crate) pk: String,
    /// Not `tenant`/`appId`: an item with both is in the `tenant-apps` index, which lists apps.
    #[serde(rename = "outputTenant")]
    pub tenant: String,
    #[serde(rename = "outputAppId")]
    pub app_id: String,
    pub at: Timestamp,
    /// `success`, `start`, `fail`, `log` or `exit`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// The body as text (bytes that are not UTF-8 replaced), at most
    /// [`PING_BODY_LIMIT`](crate::limits::PING_BODY_LIMIT) bytes of what was sent.
    pub body: String,
    pub(crate) expires_at: i64,
}

/// The output item key of output `id`.
pub(crate) fn output_pk(id: &str) -> String {
    format!("OUTPUT#{id}")
}

/// The ping index and the outputs, as the ping use case and the admin's output view reach them.
pub trait Pings: Send + Sync + std::fmt::Debug {
    /// The app whose check UUID is `ping_id` (eventually consistent); `None` if none.
    fn find<'a>(
        &'a self,
        ping_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<PingTarget>, HeartbeatError>>;

    /// Writes the app `rec` (conditioned as [`Apps::put_if`](crate::Apps::put_if) writes it)
    /// and a ping's body in one transaction: both or neither. A failed condition is
    /// [`Put::Conflict`] with the app as it is now.
    fn put_with_output<'a>(
        &'a self,
        rec: &'a AppRecord,
        expected: Option<u64>,
        output: &'a PingOutput,
    ) -> BoxFuture<'a, Result<Put<AppRecord>, HeartbeatError>>;

    /// The output `id` as stored; `None` if unknown or expired.
    fn output<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<PingOutput>, HeartbeatError>>;
}

/// The `ping` index and the output items of the heartbeat table. With a bound
/// ([`PingStore::with_cache`]) it trusts which app a check UUID names for that long (a UUID
/// names one app for the app's life; a deleted app is found missing by the ping's own read).
#[derive(Debug, Clone)]
pub struct PingStore {
    client: Client,
    table: String,
    targets: Option<Arc<Trusted<PingTarget>>>,
}

impl PingStore {
    pub(crate) fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            targets: None,
        }
    }

    /// Trusts the apps check UUIDs name for `ttl` (not at all for 0).
    pub fn with_cache(mut self, ttl: Duration) -> Self {
        self.targets = Trusted::shared(ttl);
        self
    }
}

impl Pings for PingStore {
    fn find<'a>(
        &'a self,
        ping_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<PingTarget>, HeartbeatError>> {
        Box::pin(async move {
            let read_at = Instant::now();
            if let Some(hit) = self.targets.as_ref().and_then(|t| t.get(ping_id, read_at)) {
                return Ok(Some(hit));
            }
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(PING_INDEX)
                .key_condition_expression("pingId = :p")
                .expression_attribute_values(":p", AttributeValue::S(ping_id.to_owned()))
                .limit(2)
                .send()
                .await
                .map_err(StoreError::from)?;
            let items = out.items.unwrap_or_default();
            if items.len() > 1 {
                return Err(StoreError::invariant(format!(
                    "check UUID {ping_id} names more than one app"
                ))
                .into());
            }
            let text = |item: &std::collections::HashMap<String, AttributeValue>, k: &str| {
                item.get(k).and_then(|v| v.as_s().ok()).cloned()
            };
            let found = items.first().and_then(|item| {
                Some(PingTarget {
                    tenant: text(item, "tenant")?,
                    app_id: text(item, "appId")?,
                })
            });
            if let (Some(t), Some(found)) = (&self.targets, &found) {
                t.put(ping_id, found.clone(), read_at);
            }
            Ok(found)
        })
    }

    fn put_with_output<'a>(
        &'a self,
        rec: &'a AppRecord,
        expected: Option<u64>,
        output: &'a PingOutput,
    ) -> BoxFuture<'a, Result<Put<AppRecord>, HeartbeatError>> {
        Box::pin(async move {
            let (condition, version) = version_condition(expected);
            let app = aws_sdk_dynamodb::types::Put::builder()
                .table_name(&self.table)
                .set_item(Some(serde_dynamo::to_item(rec)?))
                .condition_expression(condition)
                .set_expression_attribute_values(version)
                .build()
                .map_err(StoreError::from)?;
            let items = vec![
                TransactWriteItem::builder().put(app).build(),
                ddb::transact_put(&self.table, output)?,
            ];
            if ddb::transact_if(&self.client, items).await? {
                return Ok(Put::Written);
            }
            // The app changed since it was read: what it is now (a consistent read).
            let out = self
                .client
                .get_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(rec.pk.clone()))
                .consistent_read(true)
                .send()
                .await
                .map_err(StoreError::from)?;
            let current: Option<AppRecord> = out.item.map(serde_dynamo::from_item).transpose()?;
            Ok(Put::Conflict(current.map(Box::new)))
        })
    }

    fn output<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<PingOutput>, HeartbeatError>> {
        Box::pin(async move {
            let out = self
                .client
                .get_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(output_pk(id)))
                .send()
                .await
                .map_err(StoreError::from)?;
            Ok(out.item.map(serde_dynamo::from_item).transpose()?)
        })
    }
}
