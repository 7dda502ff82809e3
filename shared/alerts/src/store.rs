//! Where channels, routes and deliveries are kept: the [`AlertStore`] port, its DynamoDB
//! adapter ([`DynamoAlerts`], `ALERTS_TABLE`, key `pk`/`sk`) and an in-memory one for the unit
//! tests ([`MemoryAlerts`]).

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use lookout_core::{config, ddb, time::Timestamp, BoxFuture, StoreError};
use serde::{Deserialize, Serialize};

use crate::channel::{ChannelId, ChannelRecord};
use crate::delivery::{FailureRecord, StepRecord, StepStatus, RETENTION_DAYS};
use crate::error::AlertError;
use crate::routes::{Routes, Rule};
use lookout_core::events::TenantAlert;

mod memory;

pub use memory::MemoryAlerts;

pub(crate) type Res<'a, T> = BoxFuture<'a, Result<T, AlertError>>;

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
    /// Records that `app` is down (its outage's alert went out), or, with `None`, that it is
    /// back.
    fn set_down<'a>(
        &'a self,
        tenant: &'a str,
        app: &'a str,
        down: Option<Timestamp>,
    ) -> Res<'a, ()>;
    fn is_down<'a>(&'a self, tenant: &'a str, app: &'a str) -> Res<'a, bool>;
    /// Holds `child`'s alert while `parent` is down.
    fn hold<'a>(&'a self, parent: &'a str, child: &'a str, alert: &'a TenantAlert) -> Res<'a, ()>;
    /// Takes `child`'s alert held under `parent`; whether there was one.
    fn unhold<'a>(&'a self, tenant: &'a str, parent: &'a str, child: &'a str) -> Res<'a, bool>;
    /// The tenant's held alerts.
    fn held<'a>(&'a self, tenant: &'a str) -> Res<'a, Vec<HeldRecord>>;
}

/// An alert held while a parent is down: `pk` = `TENANT#<tenant>`,
/// `sk` = `HELD#<parent>#<child>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldRecord {
    pub pk: String,
    pub sk: String,
    pub parent: String,
    pub child: String,
    /// The alert, as JSON.
    pub alert: String,
    pub at: Timestamp,
    pub expires_at: i64,
}

impl HeldRecord {
    pub(crate) fn new(parent: &str, child: &str, alert: &TenantAlert) -> Result<Self, AlertError> {
        Ok(Self {
            pk: ChannelRecord::pk(&alert.tenant),
            sk: held_sk(parent, child),
            parent: parent.to_owned(),
            child: child.to_owned(),
            alert: serde_json::to_string(alert).map_err(|e| StoreError::Call(Box::new(e)))?,
            at: alert.at,
            expires_at: alert.at.unix_seconds() + RETENTION_DAYS * 86_400,
        })
    }

    pub fn alert(&self) -> Result<TenantAlert, AlertError> {
        serde_json::from_str(&self.alert).map_err(|e| StoreError::Call(Box::new(e)).into())
    }

    pub fn view(&self) -> HeldView {
        let alert = self.alert().ok();
        HeldView {
            app: self.child.clone(),
            parent: self.parent.clone(),
            alert_id: alert
                .as_ref()
                .map(|a| a.alert_id.clone())
                .unwrap_or_default(),
            title: alert.map(|a| a.title).unwrap_or_default(),
            at: self.at,
        }
    }
}

/// A held alert as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldView {
    pub app: String,
    /// The down parent it waits for.
    pub parent: String,
    pub alert_id: String,
    pub title: String,
    pub at: Timestamp,
}

pub(crate) fn held_sk(parent: &str, child: &str) -> String {
    format!("HELD#{parent}#{child}")
}

fn down_sk(app: &str) -> String {
    format!("DOWNAPP#{app}")
}

/// An app that is down: `pk` = `TENANT#<tenant>`, `sk` = `DOWNAPP#<app>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DownRecord {
    pk: String,
    sk: String,
    since: Timestamp,
    expires_at: i64,
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
    #[serde(default)]
    dependencies: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(default)]
    windows: Vec<crate::window::Window>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    quiet_hours: Option<crate::quiet::QuietHours>,
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

    /// Deletes an item; whether it was there.
    async fn delete(&self, pk: String, sk: String) -> Result<bool, AlertError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk))
            .key("sk", AttributeValue::S(sk))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(StoreError::from)?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
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
                dependencies: r.dependencies,
                windows: r.windows,
                quiet_hours: r.quiet_hours,
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
                dependencies: routes.dependencies.clone(),
                windows: routes.windows.clone(),
                quiet_hours: routes.quiet_hours.clone(),
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

    fn set_down<'a>(
        &'a self,
        tenant: &'a str,
        app: &'a str,
        down: Option<Timestamp>,
    ) -> Res<'a, ()> {
        Box::pin(async move {
            match down {
                Some(since) => {
                    self.put(&DownRecord {
                        pk: ChannelRecord::pk(tenant),
                        sk: down_sk(app),
                        since,
                        expires_at: since.unix_seconds() + RETENTION_DAYS * 86_400,
                    })
                    .await
                }
                None => self
                    .delete(ChannelRecord::pk(tenant), down_sk(app))
                    .await
                    .map(|_| ()),
            }
        })
    }

    fn is_down<'a>(&'a self, tenant: &'a str, app: &'a str) -> Res<'a, bool> {
        Box::pin(async move {
            let rec: Option<DownRecord> = self.get(ChannelRecord::pk(tenant), down_sk(app)).await?;
            Ok(rec.is_some())
        })
    }

    fn hold<'a>(&'a self, parent: &'a str, child: &'a str, alert: &'a TenantAlert) -> Res<'a, ()> {
        Box::pin(async move { self.put(&HeldRecord::new(parent, child, alert)?).await })
    }

    fn unhold<'a>(&'a self, tenant: &'a str, parent: &'a str, child: &'a str) -> Res<'a, bool> {
        Box::pin(self.delete(ChannelRecord::pk(tenant), held_sk(parent, child)))
    }

    fn held<'a>(&'a self, tenant: &'a str) -> Res<'a, Vec<HeldRecord>> {
        Box::pin(self.query_prefix(ChannelRecord::pk(tenant), "HELD#", None))
    }
}
