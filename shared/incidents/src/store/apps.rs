//! The app items (`APPS` / `<name>`): registered apps with the SHA-256 of their code. The
//! port [`Apps`] and its DynamoDB adapter [`AppStore`].

use std::fmt::Debug;

use aws_sdk_dynamodb::{types::AttributeValue, Client};
use serde::{Deserialize, Serialize};

use lookout_core::{ddb, time::Timestamp, BoxFuture};

use crate::error::IncidentError;
use crate::input::{AppLinks, AppName};
use crate::records::{App, AppView};

const APPS_PK: &str = "APPS";

/// The registered apps.
pub trait Apps: Send + Sync + Debug {
    /// The app named `name`, read consistently.
    fn get<'a>(&'a self, name: &'a AppName) -> BoxFuture<'a, Result<Option<App>, IncidentError>>;

    /// Stores a new app; [`IncidentError::AppExists`] if the name is taken.
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
    fn list(&self) -> BoxFuture<'_, Result<Vec<AppView>, IncidentError>>;
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
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
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

    /// Stores a new app; [`IncidentError::AppExists`] if the name is taken.
    pub(crate) async fn insert(&self, app: &App) -> Result<(), IncidentError> {
        if ddb::put_new(&self.client, &self.table, &AppRecord::of(app)).await? {
            Ok(())
        } else {
            Err(IncidentError::AppExists(app.name.clone()))
        }
    }

    /// Stores `app` over the stored one, provided that one was last updated at `previous`
    /// ([`IncidentError::Changed`] when it changed meanwhile).
    pub(crate) async fn replace(
        &self,
        app: &App,
        previous: Timestamp,
    ) -> Result<(), IncidentError> {
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(AppRecord::of(app))?))
            .condition_expression("updatedAt = :prev")
            .expression_attribute_values(":prev", AttributeValue::S(previous.to_rfc3339()))
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if ddb::is_conditional_check_failed(&e) => {
                Err(IncidentError::Changed("the app changed meanwhile; retry"))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes an app (its incidents stay); [`IncidentError::AppNotFound`] for an unknown one.
    pub async fn delete(&self, name: &AppName) -> Result<(), IncidentError> {
        let res = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(APPS_PK.into()))
            .key("sk", AttributeValue::S(name.as_str().to_owned()))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if ddb::is_conditional_check_failed(&e) => {
                Err(IncidentError::AppNotFound(name.as_str().to_owned()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Every app, by name (one Query on the `APPS` partition).
    pub async fn list(&self) -> Result<Vec<AppView>, IncidentError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(APPS_PK.into()));
        ddb::query_all(query)
            .await?
            .into_iter()
            .map(|item| {
                Ok(serde_dynamo::from_item::<_, AppRecord>(item)?
                    .into_app()
                    .view())
            })
            .collect()
    }
}

/// The methods above, as the port.
impl Apps for AppStore {
    fn get<'a>(&'a self, name: &'a AppName) -> BoxFuture<'a, Result<Option<App>, IncidentError>> {
        Box::pin(AppStore::get(self, name))
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

    fn list(&self) -> BoxFuture<'_, Result<Vec<AppView>, IncidentError>> {
        Box::pin(AppStore::list(self))
    }
}
