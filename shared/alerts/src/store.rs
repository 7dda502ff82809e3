//! Where channels, routes and deliveries are kept: the [`AlertStore`] port, its DynamoDB
//! adapter ([`DynamoAlerts`], `ALERTS_TABLE`, key `pk`/`sk`) and an in-memory one for the unit
//! tests ([`MemoryAlerts`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use lookout_core::{config, ddb, time::Timestamp, BoxFuture, StoreError};
use serde::{Deserialize, Serialize};

use crate::channel::{ChannelId, ChannelRecord};
use crate::delivery::{FailureRecord, StepRecord, StepStatus};
use crate::error::AlertError;
use crate::routes::{Routes, Rule};

type Res<'a, T> = BoxFuture<'a, Result<T, AlertError>>;

/// Channels, routes, delivery steps and failed-list lines of every tenant.
pub trait AlertStore: Send + Sync + std::fmt::Debug {
    /// Stores a new channel (its id is new: a clash is an error).
    fn put_channel<'a>(&'a self, rec: &'a ChannelRecord) -> Res<'a, ()>;
    fn channel<'a>(&'a self, tenant: &'a str, id: &'a ChannelId) -> Res<'a, Option<ChannelRecord>>;
    /// The tenant's channels, by id.
    fn channels<'a>(&'a self, tenant: &'a str) -> Res<'a, Vec<ChannelRecord>>;
    /// Whether there was such a channel.
    fn delete_channel<'a>(&'a self, tenant: &'a str, id: &'a ChannelId) -> Res<'a, bool>;
    /// The tenant's routes (the empty default when none were stored).
    fn routes<'a>(&'a self, tenant: &'a str) -> Res<'a, Routes>;
    fn put_routes<'a>(&'a self, tenant: &'a str, routes: &'a Routes, now: Timestamp)
        -> Res<'a, ()>;
    fn step<'a>(
        &'a self,
        tenant: &'a str,
        alert_id: &'a str,
        step: u32,
    ) -> Res<'a, Option<StepRecord>>;
    /// Stores a new step; `false` when it exists (another consumer made it).
    fn create_step<'a>(&'a self, rec: &'a StepRecord) -> Res<'a, bool>;
    /// Replaces a step if it still has `status` and `attempts`; `false` when it changed.
    fn replace_step<'a>(
        &'a self,
        rec: &'a StepRecord,
        status: StepStatus,
        attempts: u32,
    ) -> Res<'a, bool>;
    fn record_failure<'a>(&'a self, rec: &'a FailureRecord) -> Res<'a, ()>;
    /// The tenant's newest failed deliveries, at most `limit`.
    fn failures<'a>(&'a self, tenant: &'a str, limit: usize) -> Res<'a, Vec<FailureRecord>>;
}

/// The routes as stored: `pk` = `TENANT#<tenant>`, `sk` = `ROUTES`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoutesRecord {
    pk: String,
    sk: String,
    #[serde(default)]
    default: Vec<ChannelId>,
    #[serde(default)]
    rules: Vec<Rule>,
    updated_at: Timestamp,
}

const ROUTES_SK: &str = "ROUTES";

/// The alerts table in DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoAlerts {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoAlerts {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn from_env(client: aws_sdk_dynamodb::Client) -> Result<Self, config::ConfigError> {
        Ok(Self::new(
            client,
            config::required(config::names::ALERTS_TABLE)?,
        ))
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        pk: String,
        sk: String,
    ) -> Result<Option<T>, AlertError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk))
            .key("sk", AttributeValue::S(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from)?;
        Ok(match out.item {
            Some(item) => Some(serde_dynamo::from_item(item)?),
            None => None,
        })
    }

    async fn query_prefix<T: serde::de::DeserializeOwned>(
        &self,
        pk: String,
        prefix: &str,
        newest_first: Option<usize>,
    ) -> Result<Vec<T>, AlertError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :p)")
            .expression_attribute_values(":pk", AttributeValue::S(pk))
            .expression_attribute_values(":p", AttributeValue::S(prefix.to_owned()));
        let items = match newest_first {
            Some(limit) => {
                let limit = i32::try_from(limit).unwrap_or(i32::MAX);
                query
                    .scan_index_forward(false)
                    .limit(limit)
                    .send()
                    .await
                    .map_err(StoreError::from)?
                    .items
                    .unwrap_or_default()
            }
            None => ddb::query_all(query).await?,
        };
        items
            .into_iter()
            .map(|i| serde_dynamo::from_item(i).map_err(AlertError::from))
            .collect()
    }

    async fn put<T: Serialize>(&self, rec: &T) -> Result<(), AlertError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(rec)?))
            .send()
            .await
            .map_err(StoreError::from)?;
        Ok(())
    }
}

impl AlertStore for DynamoAlerts {
    fn put_channel<'a>(&'a self, rec: &'a ChannelRecord) -> Res<'a, ()> {
        Box::pin(async move {
            if ddb::put_new(&self.client, &self.table, rec).await? {
                Ok(())
            } else {
                Err(StoreError::invariant("channel id clash").into())
            }
        })
    }

    fn channel<'a>(&'a self, tenant: &'a str, id: &'a ChannelId) -> Res<'a, Option<ChannelRecord>> {
        Box::pin(self.get(ChannelRecord::pk(tenant), ChannelRecord::sk(id)))
    }

    fn channels<'a>(&'a self, tenant: &'a str) -> Res<'a, Vec<ChannelRecord>> {
        Box::pin(self.query_prefix(ChannelRecord::pk(tenant), "CHANNEL#", None))
    }

    fn delete_channel<'a>(&'a self, tenant: &'a str, id: &'a ChannelId) -> Res<'a, bool> {
        Box::pin(async move {
            let out = self
                .client
                .delete_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(ChannelRecord::pk(tenant)))
                .key("sk", AttributeValue::S(ChannelRecord::sk(id)))
                .return_values(ReturnValue::AllOld)
                .send()
                .await
                .map_err(StoreError::from)?;
            Ok(out.attributes.is_some_and(|a| !a.is_empty()))
        })
    }

    fn routes<'a>(&'a self, tenant: &'a str) -> Res<'a, Routes> {
        Box::pin(async move {
            let rec: Option<RoutesRecord> = self
                .get(ChannelRecord::pk(tenant), ROUTES_SK.to_owned())
                .await?;
            Ok(rec.map_or_else(Routes::default, |r| Routes {
                default: r.default,
                rules: r.rules,
            }))
        })
    }

    fn put_routes<'a>(
        &'a self,
        tenant: &'a str,
        routes: &'a Routes,
        now: Timestamp,
    ) -> Res<'a, ()> {
        Box::pin(async move {
            self.put(&RoutesRecord {
                pk: ChannelRecord::pk(tenant),
                sk: ROUTES_SK.to_owned(),
                default: routes.default.clone(),
                rules: routes.rules.clone(),
                updated_at: now,
            })
            .await
        })
    }

    fn step<'a>(
        &'a self,
        tenant: &'a str,
        alert_id: &'a str,
        step: u32,
    ) -> Res<'a, Option<StepRecord>> {
        Box::pin(self.get(StepRecord::pk(tenant, alert_id), StepRecord::sk(step)))
    }

    fn create_step<'a>(&'a self, rec: &'a StepRecord) -> Res<'a, bool> {
        Box::pin(async move { Ok(ddb::put_new(&self.client, &self.table, rec).await?) })
    }

    fn replace_step<'a>(
        &'a self,
        rec: &'a StepRecord,
        status: StepStatus,
        attempts: u32,
    ) -> Res<'a, bool> {
        Box::pin(async move {
            let status = serde_dynamo::to_attribute_value(status)?;
            let res = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(serde_dynamo::to_item(rec)?))
                .condition_expression("#s = :s AND attempts = :a")
                .expression_attribute_names("#s", "status")
                .expression_attribute_values(":s", status)
                .expression_attribute_values(":a", AttributeValue::N(attempts.to_string()))
                .send()
                .await;
            match res {
                Ok(_) => Ok(true),
                Err(err) if ddb::is_conditional_check_failed(&err) => Ok(false),
                Err(err) => Err(StoreError::from(err).into()),
            }
        })
    }

    fn record_failure<'a>(&'a self, rec: &'a FailureRecord) -> Res<'a, ()> {
        Box::pin(self.put(rec))
    }

    fn failures<'a>(&'a self, tenant: &'a str, limit: usize) -> Res<'a, Vec<FailureRecord>> {
        Box::pin(self.query_prefix(ChannelRecord::pk(tenant), "FAILED#", Some(limit)))
    }
}

/// Everything in memory, for the unit tests: one map per kind of record.
#[derive(Debug, Clone, Default)]
pub struct MemoryAlerts {
    inner: Arc<Mutex<Maps>>,
}

#[derive(Debug, Default)]
struct Maps {
    channels: BTreeMap<(String, ChannelId), ChannelRecord>,
    routes: BTreeMap<String, Routes>,
    steps: BTreeMap<(String, u32), StepRecord>,
    failures: BTreeMap<(String, String), FailureRecord>,
}

impl MemoryAlerts {
    fn with<T>(&self, f: impl FnOnce(&mut Maps) -> T) -> Result<T, AlertError> {
        let mut maps = self
            .inner
            .lock()
            .map_err(|_| StoreError::invariant("memory store poisoned"))?;
        Ok(f(&mut maps))
    }

    /// Every step stored, in key order (for assertions).
    pub fn steps(&self) -> Vec<StepRecord> {
        self.with(|m| m.steps.values().cloned().collect())
            .unwrap_or_default()
    }
}

impl AlertStore for MemoryAlerts {
    fn put_channel<'a>(&'a self, rec: &'a ChannelRecord) -> Res<'a, ()> {
        Box::pin(async move {
            self.with(|m| {
                m.channels
                    .insert((rec.tenant.clone(), rec.channel_id.clone()), rec.clone());
            })
        })
    }

    fn channel<'a>(&'a self, tenant: &'a str, id: &'a ChannelId) -> Res<'a, Option<ChannelRecord>> {
        Box::pin(
            async move { self.with(|m| m.channels.get(&(tenant.to_owned(), id.clone())).cloned()) },
        )
    }

    fn channels<'a>(&'a self, tenant: &'a str) -> Res<'a, Vec<ChannelRecord>> {
        Box::pin(async move {
            self.with(|m| {
                m.channels
                    .values()
                    .filter(|c| c.tenant == tenant)
                    .cloned()
                    .collect()
            })
        })
    }

    fn delete_channel<'a>(&'a self, tenant: &'a str, id: &'a ChannelId) -> Res<'a, bool> {
        Box::pin(async move {
            self.with(|m| {
                m.channels
                    .remove(&(tenant.to_owned(), id.clone()))
                    .is_some()
            })
        })
    }

    fn routes<'a>(&'a self, tenant: &'a str) -> Res<'a, Routes> {
        Box::pin(async move { self.with(|m| m.routes.get(tenant).cloned().unwrap_or_default()) })
    }

    fn put_routes<'a>(
        &'a self,
        tenant: &'a str,
        routes: &'a Routes,
        _now: Timestamp,
    ) -> Res<'a, ()> {
        Box::pin(async move {
            self.with(|m| {
                m.routes.insert(tenant.to_owned(), routes.clone());
            })
        })
    }

    fn step<'a>(
        &'a self,
        tenant: &'a str,
        alert_id: &'a str,
        step: u32,
    ) -> Res<'a, Option<StepRecord>> {
        Box::pin(async move {
            self.with(|m| {
                m.steps
                    .get(&(StepRecord::pk(tenant, alert_id), step))
                    .cloned()
            })
        })
    }

    fn create_step<'a>(&'a self, rec: &'a StepRecord) -> Res<'a, bool> {
        Box::pin(async move {
            self.with(|m| match m.steps.entry((rec.pk.clone(), rec.step)) {
                std::collections::btree_map::Entry::Occupied(_) => false,
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(rec.clone());
                    true
                }
            })
        })
    }

    fn replace_step<'a>(
        &'a self,
        rec: &'a StepRecord,
        status: StepStatus,
        attempts: u32,
    ) -> Res<'a, bool> {
        Box::pin(async move {
            self.with(|m| match m.steps.get_mut(&(rec.pk.clone(), rec.step)) {
                Some(cur) if cur.status == status && cur.attempts == attempts => {
                    *cur = rec.clone();
                    true
                }
                _ => false,
            })
        })
    }

    fn record_failure<'a>(&'a self, rec: &'a FailureRecord) -> Res<'a, ()> {
        Box::pin(async move {
            self.with(|m| {
                m.failures
                    .insert((rec.tenant.clone(), rec.sk.clone()), rec.clone());
            })
        })
    }

    fn failures<'a>(&'a self, tenant: &'a str, limit: usize) -> Res<'a, Vec<FailureRecord>> {
        Box::pin(async move {
            self.with(|m| {
                m.failures
                    .values()
                    .rev()
                    .filter(|f| f.tenant == tenant)
                    .take(limit)
                    .cloned()
                    .collect()
            })
        })
    }
}
