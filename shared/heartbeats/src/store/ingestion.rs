//! The scanner's own items beside the apps: the ingestion health (`pk` = [`HEALTH_PK`]), written
//! with conditions so that concurrent scans agree on one degradation and one recovery, and the
//! last count of watched apps per tenant (`pk` = [`WATCHED_PK`]). See [`crate::ingestion`].
//! [`IngestionRecords`] is the port, [`IngestionStore`] its DynamoDB adapter.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::{types::AttributeValue, Client};
use lookout_core::{BoxFuture, StoreError};
use serde::{Deserialize, Serialize};

use crate::error::HeartbeatError;
use crate::store::{put_conditionally, Put};

/// The ingestion health item's key (no app's `pk` starts with `SCANNER#`).
pub(crate) const HEALTH_PK: &str = "SCANNER#ingestion";
/// The last count of watched apps per tenant, kept beside the health item.
pub const WATCHED_PK: &str = "SCANNER#watched";

/// The scanner's items, as the scan reaches them.
pub trait IngestionRecords: Send + Sync + std::fmt::Debug {
    /// The ingestion health as stored (consistent read); `None` before the first degradation.
    fn health(&self) -> BoxFuture<'_, Result<Option<HealthRecord>, HeartbeatError>>;

    /// Writes `rec` if the stored item is still `expected` (same state, since and notified;
    /// or absent, for `None`). Returns the current item when it is not (`None` when there is
    /// none: as when written).
    fn put_health<'a>(
        &'a self,
        rec: &'a HealthRecord,
        expected: Option<&'a HealthRecord>,
    ) -> BoxFuture<'a, Result<Option<HealthRecord>, HeartbeatError>>;

    /// The last count of watched apps, if one was kept.
    fn last_watched(&self) -> BoxFuture<'_, Result<Option<WatchedRecord>, HeartbeatError>>;

    /// Keeps a count of watched apps for the next scans (unconditionally: the newest wins).
    fn put_watched<'a>(
        &'a self,
        rec: &'a WatchedRecord,
    ) -> BoxFuture<'a, Result<(), HeartbeatError>>;
}

/// The scanner items of the heartbeat table.
#[derive(Debug, Clone)]
pub struct IngestionStore {
    client: Client,
    table: String,
}

/// The stored ingestion state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthRecord {
    pub(crate) pk: String,
    /// `degraded` or `normal`.
    pub(crate) state: String,
    /// When the (last) degradation began, epoch ms.
    pub(crate) since: i64,
    /// Apps silent in the scan that found it, and apps watched then.
    pub(crate) silent: u64,
    pub(crate) watched: u64,
    /// When it ended (the state is then `normal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) recovered_at: Option<i64>,
    /// Whether the current state's notice (degraded or recovered) was sent.
    pub(crate) notified: bool,
}

impl HealthRecord {
    pub(crate) fn degraded(&self) -> bool {
        self.state == "degraded"
    }
}

/// The last count of watched apps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchedRecord {
    pub(crate) pk: String,
    pub(crate) at: i64,
    pub(crate) total: u64,
    pub(crate) tenants: BTreeMap<String, u64>,
}

impl IngestionStore {
    pub(crate) fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

impl IngestionRecords for IngestionStore {
    fn health(&self) -> BoxFuture<'_, Result<Option<HealthRecord>, HeartbeatError>> {
        Box::pin(async move {
            let out = self
                .client
                .get_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(HEALTH_PK.to_owned()))
                .consistent_read(true)
                .send()
                .await
                .map_err(StoreError::from)?;
            Ok(out.item.map(serde_dynamo::from_item).transpose()?)
        })
    }

    fn put_health<'a>(
        &'a self,
        rec: &'a HealthRecord,
        expected: Option<&'a HealthRecord>,
    ) -> BoxFuture<'a, Result<Option<HealthRecord>, HeartbeatError>> {
        Box::pin(async move {
            let req = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(serde_dynamo::to_item(rec)?));
            let req = match expected {
                None => req.condition_expression("attribute_not_exists(pk)"),
                Some(old) => req
                    .condition_expression("#s = :s AND since = :since AND notified = :n")
                    .expression_attribute_names("#s", "state")
                    .expression_attribute_values(":s", AttributeValue::S(old.state.clone()))
                    .expression_attribute_values(":since", AttributeValue::N(old.since.to_string()))
                    .expression_attribute_values(":n", AttributeValue::Bool(old.notified)),
            };
            Ok(match put_conditionally(req).await? {
                Put::Written => None,
                Put::Conflict(current) => current.map(|c| *c),
            })
        })
    }

    fn last_watched(&self) -> BoxFuture<'_, Result<Option<WatchedRecord>, HeartbeatError>> {
        Box::pin(async move {
            let out = self
                .client
                .get_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(WATCHED_PK.to_owned()))
                .send()
                .await
                .map_err(StoreError::from)?;
            Ok(out.item.map(serde_dynamo::from_item).transpose()?)
        })
    }

    fn put_watched<'a>(
        &'a self,
        rec: &'a WatchedRecord,
    ) -> BoxFuture<'a, Result<(), HeartbeatError>> {
        Box::pin(async move {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(serde_dynamo::to_item(rec)?))
                .send()
                .await
                .map_err(StoreError::from)?;
            Ok(())
        })
    }
}
