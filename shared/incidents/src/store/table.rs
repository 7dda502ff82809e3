//! The incidents table's stores together: the port the use cases that span aggregates take
//! (reporting, a heartbeat transition), and its DynamoDB adapter, built from one client and
//! table name.

use std::fmt::Debug;

use aws_sdk_dynamodb::Client;

use lookout_core::{config, time::Timestamp};

use crate::apps::register_app;
use crate::edits::update_incident;
use crate::error::IncidentError;
use crate::input::{AppIn, IncidentQuery, IncidentUpdate, NewIncident};
use crate::occurrence::record_occurrence;
use crate::overview::{DayVolume, OpenIncidents};
use crate::records::{AppWithCode, Incident, IncidentDetail, IncidentPage, Reported};
use crate::snapshot::Enrichment;
use crate::store::apps::{AppStore, Apps};
use crate::store::events::{EventCountStore, EventCounts};
use crate::store::groups::{GroupStore, Groups};
use crate::store::incidents::{IncidentRecordStore, Incidents};
use crate::store::overview::OverviewStore;

/// The incidents table's stores, one per aggregate, for a use case that spans them.
pub trait IncidentTable: Send + Sync + Debug {
    fn apps(&self) -> &dyn Apps;
    fn incidents(&self) -> &dyn Incidents;
    fn groups(&self) -> &dyn Groups;
    fn events(&self) -> &dyn EventCounts;
}

/// The incidents table's stores in DynamoDB, built from one client and table name.
#[derive(Debug, Clone)]
pub struct IncidentStore {
    pub apps: AppStore,
    pub incidents: IncidentRecordStore,
    pub(crate) groups: GroupStore,
    pub(crate) overview: OverviewStore,
    pub events: EventCountStore,
}

impl IncidentTable for IncidentStore {
    fn apps(&self) -> &dyn Apps {
        &self.apps
    }

    fn incidents(&self) -> &dyn Incidents {
        &self.incidents
    }

    fn groups(&self) -> &dyn Groups {
        &self.groups
    }

    fn events(&self) -> &dyn EventCounts {
        &self.events
    }
}

impl IncidentStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        let table = table.into();
        Self {
            apps: AppStore::new(client.clone(), table.clone()),
            incidents: IncidentRecordStore::new(client.clone(), table.clone()),
            groups: GroupStore::new(client.clone(), table.clone()),
            events: EventCountStore::new(client.clone(), table.clone()),
            overview: OverviewStore::new(client, table),
        }
    }

    /// The table named by `INCIDENTS_TABLE`.
    pub fn from_env(client: Client) -> Result<Self, config::ConfigError> {
        Ok(Self::new(
            client,
            config::required(config::names::INCIDENTS_TABLE)?,
        ))
    }

    /// The same stores, a listing reading at most `pages` Query pages of `items` incidents
    /// each (tests use small bounds to see them at work on little data).
    pub fn with_read_bounds(mut self, pages: usize, items: i32) -> Self {
        self.incidents = self.incidents.with_read_bounds(pages, items);
        self
    }

    /// Unresolved incidents by level and the `recent` most recently active (the overview).
    pub async fn open_incidents(&self, recent: usize) -> Result<OpenIncidents, IncidentError> {
        self.overview.open_incidents(recent).await
    }

    /// Incidents opened per UTC day over the last 30 days up to `now` (the overview's chart).
    pub async fn volume(&self, now: Timestamp) -> Result<Vec<DayVolume>, IncidentError> {
        self.overview.volume(now).await
    }

    // Shorthands for callers that hold the whole table (the bench, other areas' tests): each
    // is one call of the store or use case named in its doc.

    /// [`record_occurrence`]: an occurrence grouped or opened as an incident, without the
    /// code check and the admin's notification of [`crate::report()`].
    pub async fn report<F, Fut>(
        &self,
        input: &NewIncident,
        now: Timestamp,
        enrich: F,
    ) -> Result<(Reported, Option<Incident>), IncidentError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Enrichment>,
    {
        record_occurrence(&self.groups, &self.incidents, input, now, enrich()).await
    }

    /// [`register_app`].
    pub async fn register_app(&self, input: AppIn) -> Result<AppWithCode, IncidentError> {
        register_app(&self.apps, input).await
    }

    /// [`update_incident`].
    pub async fn update(
        &self,
        input: IncidentUpdate,
        now: Timestamp,
    ) -> Result<IncidentDetail, IncidentError> {
        update_incident(&self.incidents, input, now).await
    }

    /// [`IncidentRecordStore::get`].
    pub async fn get(&self, id: &str) -> Result<IncidentDetail, IncidentError> {
        self.incidents.get(id).await
    }

    /// [`IncidentRecordStore::list`].
    pub async fn list(&self, q: IncidentQuery) -> Result<IncidentPage, IncidentError> {
        self.incidents.list(q).await
    }
}
