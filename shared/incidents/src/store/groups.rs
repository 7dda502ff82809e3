//! The group items (`GROUP#<app>#<hash>` / `GROUP`): which incident a group's reports go to
//! (`currentId`), and the last heartbeat transition applied to it (`hbSeq`). The port
//! [`Groups`] and its DynamoDB adapter [`GroupStore`]; a group is pointed at a new incident in
//! the transaction that opens it ([`crate::store::incidents::Incidents::create`]).

use std::fmt::Debug;

use aws_sdk_dynamodb::{
    types::{AttributeValue, TransactWriteItem, Update},
    Client,
};

use lookout_core::{ddb, BoxFuture};

use crate::error::IncidentError;
use crate::records::Group;

const GROUP_SK: &str = "GROUP";

/// The incident groups, one per app, title and level (keyed `GROUP#<app>#<hash>`).
pub trait Groups: Send + Sync + Debug {
    /// The group, read consistently; `None` before anything was written to it.
    fn get<'a>(&'a self, gpk: &'a str) -> BoxFuture<'a, Result<Option<Group>, IncidentError>>;

    /// Records heartbeat transition `seq` as applied unless a newer one already is (then
    /// nothing changes, and it is no error).
    fn mark_applied<'a>(
        &'a self,
        gpk: &'a str,
        seq: u64,
    ) -> BoxFuture<'a, Result<(), IncidentError>>;
}

/// The groups in DynamoDB.
#[derive(Debug, Clone)]
pub(crate) struct GroupStore {
    client: Client,
    table: String,
}

impl GroupStore {
    pub(crate) fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// The group item, read consistently; `None` before the group's first incident.
    pub(crate) async fn get(&self, gpk: &str) -> Result<Option<Group>, IncidentError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(gpk.to_owned()))
            .key("sk", AttributeValue::S(GROUP_SK.into()))
            .consistent_read(true)
            .send()
            .await?
            .item;
        Ok(item.map(|g| Group {
            current_id: g.get("currentId").and_then(|v| v.as_s().ok()).cloned(),
            applied_seq: g
                .get("hbSeq")
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse::<u64>().ok()),
        }))
    }

    /// Records heartbeat transition `seq` as applied unless a newer one already is.
    pub(crate) async fn mark_applied(&self, gpk: &str, seq: u64) -> Result<(), IncidentError> {
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(gpk.to_owned()))
            .key("sk", AttributeValue::S(GROUP_SK.into()))
            .update_expression("SET hbSeq = :seq")
            .condition_expression("attribute_not_exists(hbSeq) OR hbSeq < :seq")
            .expression_attribute_values(":seq", AttributeValue::N(seq.to_string()))
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if ddb::is_conditional_check_failed(&e) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// The methods above, as the port.
impl Groups for GroupStore {
    fn get<'a>(&'a self, gpk: &'a str) -> BoxFuture<'a, Result<Option<Group>, IncidentError>> {
        Box::pin(GroupStore::get(self, gpk))
    }

    fn mark_applied<'a>(
        &'a self,
        gpk: &'a str,
        seq: u64,
    ) -> BoxFuture<'a, Result<(), IncidentError>> {
        Box::pin(GroupStore::mark_applied(self, gpk, seq))
    }
}

/// The write (to `table`) that points group `gpk` at its new incident `new`, provided it still
/// points at `previous` (or at nothing): part of the transaction that opens the incident.
pub(crate) fn repoint(
    table: &str,
    gpk: &str,
    previous: Option<&str>,
    new: &str,
) -> Result<TransactWriteItem, IncidentError> {
    let update = Update::builder()
        .table_name(table)
        .key("pk", AttributeValue::S(gpk.to_owned()))
        .key("sk", AttributeValue::S(GROUP_SK.into()))
        .update_expression("SET currentId = :new")
        .expression_attribute_values(":new", AttributeValue::S(new.to_owned()));
    let update = match previous {
        Some(prev) => update
            .condition_expression("currentId = :prev")
            .expression_attribute_values(":prev", AttributeValue::S(prev.to_owned())),
        None => update.condition_expression("attribute_not_exists(currentId)"),
    };
    Ok(TransactWriteItem::builder().update(update.build()?).build())
}
