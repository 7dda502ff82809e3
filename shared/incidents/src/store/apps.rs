//! The app items (`APPS` / `<name>`): registered apps with the SHA-256 of their code and DSN
//! key, and beside each app with a DSN its project item (`PROJECT#<id>` / `PROJECT`, naming the
//! app), which finds the app a Sentry SDK sends to. The port [`Apps`] and its DynamoDB adapter
//! [`AppStore`].

use std::fmt::Debug;

use std::collections::HashMap;

use aws_sdk_dynamodb::{
    types::{AttributeValue, Delete, Put, TransactWriteItem},
    Client,
};
use serde::{Deserialize, Serialize};

use lookout_core::{ddb, time::Timestamp, BoxFuture};

use crate::error::IncidentError;
use crate::input::{AppLinks, AppName};
use crate::records::{App, DsnKey};

const APPS_PK: &str = "APPS";
const PROJECT_SK: &str = "PROJECT";

/// The project item's key.
fn project_pk(project_id: u64) -> String {
    format!("PROJECT#{project_id}")
}

/// The registered apps.
pub trait Apps: Send + Sync + Debug {
    /// The app named `name`, read consistently.
    fn get<'a>(&'a self, name: &'a AppName) -> BoxFuture<'a, Result<Option<App>, IncidentError>>;

    /// The app whose DSN has this project id, read consistently.
    fn by_project(&self, project_id: u64) -> BoxFuture<'_, Result<Option<App>, IncidentError>>;

    /// Stores a new app; [`IncidentError::AppExists`] if the name is taken,
    /// [`IncidentError::Changed`] if its DSN's project id is.
    fn insert<'a>(&'a self, app: &'a App) -> BoxFuture<'a, Result<(), IncidentError>>;

    /// Stores `app` over the stored one, provided that one was last updated at `previous`
    /// ([`IncidentError::Changed`] when it changed meanwhile, or is gone).
    fn replace<'a>(
        &'a self,
        app: &'a App,
        previous: Timestamp,
    ) -> BoxFuture<'a, Result<(), IncidentError>>;

    /// Deletes an app (its incidents stay); [`IncidentError::AppNotFound`] for an unknown one.
    fn delete<'a>(&'a self, name: &'a AppName) -> BoxFuture<'a, Result<(), IncidentError>>;

    /// Every app, by name.
    fn list(&self) -> BoxFuture<'_, Result<Vec<App>, IncidentError>>;
}

/// An app as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppRecord {
    pk: String,
    sk: String,
    name: String,
    #[serde(default)]
    description: String,
    code_sha256: String,
    #[serde(flatten)]
    links: AppLinks,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dsn: Option<DsnKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    events_per_day: Option<u32>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl AppRecord {
    fn of(app: &App) -> Self {
        Self {
            pk: APPS_PK.into(),
            sk: app.name.clone(),
            name: app.name.clone(),
            description: app.description.clone(),
            code_sha256: app.code_sha256.clone(),
            links: app.links.clone(),
            dsn: app.dsn.clone(),
            events_per_day: app.events_per_day,
            created_at: app.created_at,
            updated_at: app.updated_at,
        }
    }

    fn into_app(self) -> App {
        App {
            name: self.name,
            description: self.description,
            code_sha256: self.code_sha256,
            links: self.links,
            dsn: self.dsn,
            events_per_day: self.events_per_day,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// An app's project item.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ProjectRecord {
    pk: String,
    sk: String,
    name: String,
}

/// The apps in DynamoDB.
#[derive(Debug, Clone)]
pub struct AppStore {
    client: Client,
    table: String,
}

impl AppStore {
    pub(crate) fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// The app named `name`, read consistently.
    pub(crate) async fn get(&self, name: &AppName) -> Result<Option<App>, IncidentError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(APPS_PK.into()))
            .key("sk", AttributeValue::S(name.as_str().to_owned()))
            .consistent_read(true)
            .send()
            .await?;
        out.item
            .map(|i| Ok(serde_dynamo::from_item::<_, AppRecord>(i)?.into_app()))
            .transpose()
    }

    /// The app whose DSN has this project id: its project item, then the app it names.
    pub(crate) async fn by_project(&self, project_id: u64) -> Result<Option<App>, IncidentError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(project_pk(project_id)))
            .key("sk", AttributeValue::S(PROJECT_SK.into()))
            .consistent_read(true)
            .send()
            .await?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        let project: ProjectRecord = serde_dynamo::from_item(item)?;
        let Ok(name) = AppName::parse(&project.name) else {
            return Ok(None);
        };
        Ok(self
            .get(&name)
            .await?
            .filter(|app| app.project_id() == Some(project_id)))
    }

    /// Writes the app item (under `condition`, with `values`) and, when it has a DSN, its
    /// project item (new, or already naming this app) in one transaction; `false` when a
    /// condition failed.
    async fn put_with_project(
        &self,
        app: &App,
        condition: &str,
        values: Option<HashMap<String, AttributeValue>>,
    ) -> Result<bool, IncidentError> {
        let build = |e: aws_sdk_dynamodb::error::BuildError| IncidentError::Invalid(e.to_string());
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(AppRecord::of(app))?))
            .condition_expression(condition)
            .set_expression_attribute_values(values)
            .build()
            .map_err(build)?;
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        if let Some(dsn) = &app.dsn {
            let record = ProjectRecord {
                pk: project_pk(dsn.project_id),
                sk: PROJECT_SK.into(),
                name: app.name.clone(),
            };
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(serde_dynamo::to_item(record)?))
                .condition_expression("attribute_not_exists(pk) OR #name = :name")
                .expression_attribute_names("#name", "name")
                .expression_attribute_values(":name", AttributeValue::S(app.name.clone()))
                .build()
                .map_err(build)?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        Ok(ddb::transact_if(&self.client, items).await?)
    }

    /// Stores a new app with its project item; [`IncidentError::AppExists`] if the name is
    /// taken, [`IncidentError::Changed`] if the project id is.
    pub(crate) async fn insert(&self, app: &App) -> Result<(), IncidentError> {
        if self
            .put_with_project(app, "attribute_not_exists(pk)", None)
            .await?
        {
            return Ok(());
        }
        let name = AppName::parse(&app.name).map_err(IncidentError::Invalid)?;
        if self.get(&name).await?.is_some() {
            Err(IncidentError::AppExists(app.name.clone()))
        } else {
            Err(IncidentError::Changed("the project id is taken; retry"))
        }
    }

    /// Stores `app` over the stored one, provided that one was last updated at `previous`
    /// ([`IncidentError::Changed`] when it changed meanwhile), with its project item.
    pub(crate) async fn replace(
        &self,
        app: &App,
        previous: Timestamp,
    ) -> Result<(), IncidentError> {
        let values =
            HashMap::from([(":prev".to_owned(), AttributeValue::S(previous.to_rfc3339()))]);
        if self
            .put_with_project(app, "updatedAt = :prev", Some(values))
            .await?
        {
            Ok(())
        } else {
            Err(IncidentError::Changed("the app changed meanwhile; retry"))
        }
    }

    /// Deletes an app (its incidents stay) with its project item, in one transaction, both
    /// conditioned on the app as read; [`IncidentError::AppNotFound`] for an unknown one,
    /// [`IncidentError::Changed`] when it changed meanwhile.
    pub async fn delete(&self, name: &AppName) -> Result<(), IncidentError> {
        let app = self
            .get(name)
            .await?
            .ok_or_else(|| IncidentError::AppNotFound(name.as_str().to_owned()))?;
        let build = |e: aws_sdk_dynamodb::error::BuildError| IncidentError::Invalid(e.to_string());
        let delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(APPS_PK.into()))
            .key("sk", AttributeValue::S(app.name.clone()))
            .condition_expression("updatedAt = :prev")
            .expression_attribute_values(":prev", AttributeValue::S(app.updated_at.to_rfc3339()))
            .build()
            .map_err(build)?;
        let mut items = vec![TransactWriteItem::builder().delete(delete).build()];
        if let Some(dsn) = &app.dsn {
            // Only while it names this app (another app's project item is never removed).
            let delete = Delete::builder()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(project_pk(dsn.project_id)))
                .key("sk", AttributeValue::S(PROJECT_SK.into()))
                .condition_expression("attribute_not_exists(pk) OR #name = :name")
                .expression_attribute_names("#name", "name")
                .expression_attribute_values(":name", AttributeValue::S(app.name.clone()))
                .build()
                .map_err(build)?;
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        if ddb::transact_if(&self.client, items).await? {
            return Ok(());
        }
        match self.get(name).await? {
            None => Err(IncidentError::AppNotFound(name.as_str().to_owned())),
            Some(_) => Err(IncidentError::Changed("the app changed meanwhile; retry")),
        }
    }

    /// Every app, by name (one Query on the `APPS` partition).
    pub async fn list(&self) -> Result<Vec<App>, IncidentError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(APPS_PK.into()));
        ddb::query_all(query)
            .await?
            .into_iter()
            .map(|item| Ok(serde_dynamo::from_item::<_, AppRecord>(item)?.into_app()))
            .collect()
    }
}

/// The methods above, as the port.
impl Apps for AppStore {
    fn get<'a>(&'a self, name: &'a AppName) -> BoxFuture<'a, Result<Option<App>, IncidentError>> {
        Box::pin(AppStore::get(self, name))
    }

    fn by_project(&self, project_id: u64) -> BoxFuture<'_, Result<Option<App>, IncidentError>> {
        Box::pin(AppStore::by_project(self, project_id))
    }

    fn insert<'a>(&'a self, app: &'a App) -> BoxFuture<'a, Result<(), IncidentError>> {
        Box::pin(AppStore::insert(self, app))
    }

    fn replace<'a>(
        &'a self,
        app: &'a App,
        previous: Timestamp,
    ) -> BoxFuture<'a, Result<(), IncidentError>> {
        Box::pin(AppStore::replace(self, app, previous))
    }

    fn delete<'a>(&'a self, name: &'a AppName) -> BoxFuture<'a, Result<(), IncidentError>> {
        Box::pin(AppStore::delete(self, name))
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<App>, IncidentError>> {
        Box::pin(AppStore::list(self))
    }
}
