//! The heartbeat table's stores, one per aggregate (see the crate docs for the table and its
//! indexes): each is a port (a trait, what the use cases call) with a DynamoDB adapter, which
//! holds the client and table name it needs and reads and writes its items, and an in-memory
//! adapter ([`memory`], for unit tests); what to write, and when, the use cases decide.
//!
//! - [`apps::Apps`] ([`apps::AppStore`]): one item per app (`APP#…`), and the `tenant-apps`
//!   index;
//! - [`due::DueItems`] ([`due::DueIndex`]): the scanner's reads of the sparse `due` index;
//! - [`watch::Watchlist`] ([`watch::WatchIndex`]): the console overview's read of the sparse
//!   `watch` index;
//! - [`ingestion::IngestionRecords`] ([`ingestion::IngestionStore`]): the ingestion health and
//!   watched-apps count (`SCANNER#…`);
//! - [`budgets::Budgets`] ([`budgets::BudgetStore`]): the alert budgets, one item per scope and
//!   hour (`BUDGET#…`);
//! - [`pings::Pings`] ([`pings::PingStore`]): the `ping` index (an app by its check UUID) and
//!   the ping bodies kept as outputs (`OUTPUT#…`).

use aws_sdk_dynamodb::operation::put_item::{builders::PutItemFluentBuilder, PutItemError};
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use lookout_core::StoreError;
use serde::de::DeserializeOwned;

use crate::error::HeartbeatError;

pub(crate) mod apps;
pub(crate) mod budgets;
pub(crate) mod due;
pub(crate) mod ingestion;
pub(crate) mod memory;
pub(crate) mod pings;
pub(crate) mod watch;

/// Items one Query page asks for.
pub(crate) const QUERY_PAGE: i32 = 100;

/// Outcome of a conditional put.
#[derive(Debug)]
pub enum Put<T> {
    Written,
    /// The condition failed; the item as it is now (`None`: it does not exist).
    Conflict(Option<Box<T>>),
}

/// Sends `req`, a put with a condition, asking for the current item when the condition fails.
pub(crate) async fn put_conditionally<T: DeserializeOwned>(
    req: PutItemFluentBuilder,
) -> Result<Put<T>, HeartbeatError> {
    let req =
        req.return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
    match req.send().await {
        Ok(_) => Ok(Put::Written),
        Err(err) => match err.as_service_error() {
            Some(PutItemError::ConditionalCheckFailedException(e)) => Ok(Put::Conflict(
                e.item
                    .clone()
                    .map(serde_dynamo::from_item)
                    .transpose()?
                    .map(Box::new),
            )),
            // An outage stays one (503), whatever else a 500.
            _ => Err(StoreError::from(err).into()),
        },
    }
}
