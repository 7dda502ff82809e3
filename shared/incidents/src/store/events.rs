//! The daily Sentry event counts (`EVENTS#<app>` / `<YYYY-MM-DD>`): events accepted within an
//! app's daily quota, and requests refused past it. The port [`EventCounts`] and its DynamoDB
//! adapter [`EventCountStore`].

use std::fmt::Debug;

use aws_sdk_dynamodb::{types::AttributeValue, Client};

use lookout_core::{ddb, BoxFuture};

use crate::error::IncidentError;

/// An app's events of one UTC day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventCount {
    pub accepted: u64,
    pub refused: u64,
}

/// The daily event counts.
pub trait EventCounts: Send + Sync + Debug {
    /// Counts one event of `app` on `day` if fewer than `limit` were accepted that day
    /// (`true`); otherwise counts a refusal (`false`).
    fn take<'a>(
        &'a self,
        app: &'a str,
        day: &'a str,
        limit: u32,
    ) -> BoxFuture<'a, Result<bool, IncidentError>>;

    /// `app`'s counts on `day`.
    fn count<'a>(
        &'a self,
        app: &'a str,
        day: &'a str,
    ) -> BoxFuture<'a, Result<EventCount, IncidentError>>;
}

fn events_pk(app: &str) -> String {
    format!("EVENTS#{app}")
}

/// The daily event counts in DynamoDB: one conditional `UpdateItem` per event (and one more
/// for a refusal).
#[derive(Debug, Clone)]
pub struct EventCountStore {
    client: Client,
    table: String,
}

impl EventCountStore {
    pub(crate) fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    async fn take(&self, app: &str, day: &str, limit: u32) -> Result<bool, IncidentError> {
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(events_pk(app)))
            .key("sk", AttributeValue::S(day.to_owned()))
            .update_expression("ADD accepted :one")
            .condition_expression("attribute_not_exists(accepted) OR accepted < :limit")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":limit", AttributeValue::N(limit.to_string()))
            .send()
            .await;
        match res {
            Ok(_) => return Ok(true),
            Err(e) if ddb::is_conditional_check_failed(&e) => {}
            Err(e) => return Err(e.into()),
        }
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(events_pk(app)))
            .key("sk", AttributeValue::S(day.to_owned()))
            .update_expression("ADD refused :one")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .send()
            .await?;
        Ok(false)
    }

    async fn count(&self, app: &str, day: &str) -> Result<EventCount, IncidentError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(events_pk(app)))
            .key("sk", AttributeValue::S(day.to_owned()))
            .send()
            .await?;
        let number = |name: &str| {
            out.item
                .as_ref()
                .and_then(|i| i.get(name))
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        Ok(EventCount {
            accepted: number("accepted"),
            refused: number("refused"),
        })
    }
}

impl EventCounts for EventCountStore {
    fn take<'a>(
        &'a self,
        app: &'a str,
        day: &'a str,
        limit: u32,
    ) -> BoxFuture<'a, Result<bool, IncidentError>> {
        Box::pin(EventCountStore::take(self, app, day, limit))
    }

    fn count<'a>(
        &'a self,
        app: &'a str,
        day: &'a str,
    ) -> BoxFuture<'a, Result<EventCount, IncidentError>> {
        Box::pin(EventCountStore::count(self, app, day))
    }
}
